package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sigap-id/sigap/internal/whatsapp"
)

// The demo offices, the two kinds of office the load is spread over:
// jakpus asks the birth date before a status answer, mataram does not.
type officeInfo struct {
	code, phoneID string
	verify        bool
	kind          int    // which demo office this is, or is a copy of (index in demoOffices)
	copy          int    // 1: the demo office itself; 2, 3 …: an extra office written into the offices file
	prefix        string // the first four digits of its generated applications' numbers
	apps          int    // generated applications stored there (0: the demo ones, at a demo office)
}

var demoOffices = [2]officeInfo{
	{code: "jakpus", phoneID: "100000000000001", verify: true, kind: 0},
	{code: "mataram", phoneID: "100000000000002", verify: false, kind: 1},
}

// Application numbers by kind: the generated ones are prefix base plus the
// copy (1061 … 1068, 3101 … 3108), apart from the demo ones (1060…, 3100…)
// and from the unknown numbers the scripts write (1069…, 3109…).
var (
	generatedBase = [2]string{"106", "310"}
	unknownPrefix = [2]string{"1069", "3109"}
)

const (
	maxOffices = 16
	// minExtraApps is what an extra office holds at least: it has no demo
	// applications to fall back on.
	minExtraApps = 1000
)

// fleet is the offices the load is spread over, kind by kind: jakpus,
// jakpus2 … jakpusN/2, then mataram, mataram2 … Each has a number of its own.
type fleet []officeInfo

// newFleet makes n offices, half of each kind; applications is the
// generated applications in all, spread evenly (an extra office gets at
// least minExtraApps).
func newFleet(n, applications int) (fleet, error) {
	if n < 2 || n > maxOffices || n%2 != 0 {
		return nil, fmt.Errorf("-offices %d: want an even number from 2 to %d (half of them like jakpus, half like mataram)", n, maxOffices)
	}
	per := max(applications, 0) / n
	f := make(fleet, 0, n)
	for kind, d := range demoOffices {
		for c := 1; c <= n/2; c++ {
			o := d
			o.copy, o.prefix, o.apps = c, generatedBase[kind]+strconv.Itoa(c), per
			if c > 1 {
				o.code = d.code + strconv.Itoa(c)
				o.phoneID = fmt.Sprintf("1000000000%d%04d", kind+1, c) // 100000000010002 …, apart from the demo ones
				o.apps = max(per, minExtraApps)
			}
			f = append(f, o)
		}
	}
	return f, nil
}

// pick draws an office of a kind, each copy alike. With one of each (the
// demo offices alone) it draws nothing, so that -offices 2 writes what the
// tool always wrote.
func (f fleet) pick(r *rand.Rand, kind int) int {
	per := len(f) / 2
	if per == 1 {
		return kind
	}
	return kind*per + r.IntN(per)
}

// extraApps is the generated applications at each extra office (0: there
// is none).
func (f fleet) extraApps() int {
	for _, o := range f {
		if o.copy > 1 {
			return o.apps
		}
	}
	return 0
}

// knownApp is an application the tool knows to be stored, with the birth
// date that unlocks it.
type knownApp struct {
	number string
	birth  time.Time
}

// apps picks applications to ask about, by office: the demo ones that
// serve --demo printed, or the generated ones the tool seeded.
type apps struct {
	offices   fleet
	demo      [][]knownApp
	generated []int
}

// newApps knows the demo applications (by office code) and, where
// generated says so, the generated ones of f's offices. An extra office
// always has generated ones; a demo office only when they were asked for.
func newApps(f fleet, demo map[string][]knownApp, generated bool) *apps {
	a := &apps{offices: f, demo: make([][]knownApp, len(f)), generated: make([]int, len(f))}
	for i, o := range f {
		if o.copy == 1 {
			a.demo[i] = demo[o.code]
		}
		if generated || o.copy > 1 {
			a.generated[i] = o.apps
		}
	}
	return a
}

func (a *apps) pick(r *rand.Rand, office int) knownApp {
	if n := a.generated[office]; n > 0 {
		return generatedApp(a.offices[office], r.IntN(n))
	}
	list := a.demo[office]
	return list[r.IntN(len(list))]
}

// loadConfig is one run's load.
type loadConfig struct {
	target   string // base URL of the webhook's server
	path     string // webhook path
	secret   string
	senders  int
	warmup   time.Duration
	duration time.Duration
	timeout  time.Duration
	apps     *apps
	nonce    int // keeps wa_ids and wamids apart between runs on one database
	trace    bool
	pid      int // the server's process, for its CPU time; 0 when in the tool
	// check: each reply must be the one its message should get (SIGAP's
	// replies; the reference answers everything with one text).
	check bool
}

// result is one target's figures.
type result struct {
	Name           string         `json:"name"`
	Senders        int            `json:"senders"`
	Seconds        float64        `json:"seconds"`
	Messages       int            `json:"messages"`
	Replied        int            `json:"replied"`
	RepliesPerSec  float64        `json:"replies_per_second"`
	LatencyP50MS   float64        `json:"latency_p50_ms"`
	LatencyP99MS   float64        `json:"latency_p99_ms"`
	LatencyMaxMS   float64        `json:"latency_max_ms"`
	AckP50MS       float64        `json:"ack_p50_ms"`
	AckP99MS       float64        `json:"ack_p99_ms"`
	AckMaxMS       float64        `json:"ack_max_ms"`
	NoReply        int            `json:"no_reply"`
	Wrong          int            `json:"wrong_replies"`
	Duplicates     int            `json:"duplicates"`
	Late           int            `json:"late_replies"`
	Refused        int            `json:"refused_deliveries"`
	Stray          int64          `json:"stray_replies"`
	GraphRejected  int64          `json:"graph_rejected"`
	RSSMaxKB       int64          `json:"rss_max_kb,omitempty"`
	RSSKB          int64          `json:"rss_kb,omitempty"`
	CPUPerReplyMS  float64        `json:"cpu_ms_per_reply,omitempty"`
	CPUUtilisation float64        `json:"cpu_cores_used,omitempty"`
	ToolCPU        float64        `json:"tool_cpu_cores_used"`
	MachineCPU     float64        `json:"machine_cpu_cores_used"`
	Mix            map[string]int `json:"mix"`
	Errors         []string       `json:"errors,omitempty"`
}

// workerStats is what one sender goroutine saw while measuring.
type workerStats struct {
	messages, replied, lost, refused, wrong int
	wrongSeen                               []string // the first few, for the report
	lat, ack                                []time.Duration
	mix                                     map[string]int
}

// script is one applicant's conversation: an office (index in the fleet)
// and what they write.
type script struct {
	office int
	msgs   []msg
}

// msg is one message of a script, labelled for the mix, with what its
// reply must be: a reply that is not (an apology, another service's
// answer) is counted wrong, not answered.
type msg struct {
	label, text string
	want        answer
}

// answer says which reply a message should get: a message of this type
// whose text holds this line of the content (internal/content/id.yaml).
// The lines are the ones that name each answer, so rewording the rest of a
// text does not break the load tool; TestAnswersAreInTheContent checks
// that each is still there.
type answer struct{ kind, holds string }

var (
	wantMenu      = answer{"interactive", ""}
	wantBirthDate = answer{"text", "tanggal lahir pemohon"}
	wantStatus    = answer{"text", "*Status permohonan paspor*"}
	wantNotFound  = answer{"text", "data permohonan tersebut tidak dapat kami tampilkan"}
	wantPayment   = answer{"text", "*Biaya paspor*"}
	wantPickup    = answer{"text", "*Pengambilan paspor*"}
	wantTicket    = answer{"text", "nomor tiket"}
	wantThanks    = answer{"text", "Sama-sama"}
	answers       = []answer{wantMenu, wantBirthDate, wantStatus, wantNotFound, wantPayment, wantPickup, wantTicket, wantThanks}
)

func (a answer) matches(r reply) bool {
	return r.kind == a.kind && strings.Contains(r.text, a.holds)
}

var greetings = []string{"halo", "Halo min 🙏", "selamat siang", "assalamualaikum", "pagi kak"}

// spaced writes a number as people do: whole, or in groups of four.
func spaced(r *rand.Rand, n string) string {
	switch r.IntN(3) {
	case 0:
		return n[:4] + " " + n[4:8] + " " + n[8:12] + " " + n[12:]
	case 1:
		return "no permohonan saya " + n
	}
	return n
}

// newScript draws an applicant: a greeting, status look-ups with known and
// unknown numbers, #bayar and the like, feedback. The script decides the
// kind of office; the office is any of that kind.
func newScript(r *rand.Rand, a *apps) script {
	greet := greetings[r.IntN(len(greetings))]
	unknown := func(kind int) string {
		return unknownPrefix[kind] + fmt.Sprintf("%012d", r.Int64N(1e12))
	}
	switch x := r.IntN(100); {
	case x < 30: // jakpus: menu, a known number, its birth date, #bayar
		o := a.offices.pick(r, 0)
		app := a.pick(r, o)
		return script{o, []msg{{"greeting", greet, wantMenu}, {"number (known)", spaced(r, app.number), wantBirthDate},
			{"birth date", app.birth.Format("02-01-2006"), wantStatus}, {"#bayar", "#bayar", wantPayment}}}
	case x < 45: // jakpus: an unknown number and a made-up birth date
		o := a.offices.pick(r, 0)
		return script{o, []msg{{"number (unknown)", unknown(0), wantBirthDate}, {"birth date", "17081990", wantNotFound},
			{"menu", "menu", wantMenu}}}
	case x < 55: // jakpus: feedback with its text, then thanks
		o := a.offices.pick(r, 0)
		return script{o, []msg{{"feedback", "#saran antrian di loket pengambilan lama sekali, mohon ditambah petugasnya", wantTicket},
			{"thanks", "terima kasih", wantThanks}}}
	case x < 85: // mataram: menu, a known number answered at once, pickup
		o := a.offices.pick(r, 1)
		app := a.pick(r, o)
		return script{o, []msg{{"greeting", greet, wantMenu}, {"number (known)", spaced(r, app.number), wantStatus},
			{"#antrian", "#antrian", wantPickup}}}
	default: // mataram: an unknown number, then fees
		o := a.offices.pick(r, 1)
		return script{o, []msg{{"number (unknown)", unknown(1), wantNotFound}, {"#bayar", "#bayar", wantPayment}}}
	}
}

// delivery builds a signed Cloud API delivery of one text message.
func delivery(phoneID, waID, wamid, text string, at time.Time) []byte {
	t, _ := json.Marshal(text)
	b := make([]byte, 0, 512+len(t))
	b = append(b, `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"628118539333","phone_number_id":"`...)
	b = append(b, phoneID...)
	b = append(b, `"},"contacts":[{"profile":{"name":"Pemohon"},"wa_id":"`...)
	b = append(b, waID...)
	b = append(b, `"}],"messages":[{"from":"`...)
	b = append(b, waID...)
	b = append(b, `","id":"`...)
	b = append(b, wamid...)
	b = append(b, `","timestamp":"`...)
	b = strconv.AppendInt(b, at.Unix(), 10)
	b = append(b, `","type":"text","text":{"body":`...)
	b = append(b, t...)
	b = append(b, `}}]}}]}]}`...)
	return b
}

// raw is what one or more measured windows saw, before it is summed up.
type raw struct {
	seconds                          float64
	messages, replied, lost, refused int
	wrong                            int
	wrongSeen                        []string
	dups, late                       int
	stray, rejected                  int64
	lat, ack                         []time.Duration
	mix                              map[string]int
	cpuServer, cpuSelf, cpuMachine   time.Duration
}

func (r *raw) add(o raw) {
	r.seconds += o.seconds
	r.messages += o.messages
	r.replied += o.replied
	r.lost += o.lost
	r.wrong += o.wrong
	if len(r.wrongSeen) < 5 {
		r.wrongSeen = append(r.wrongSeen, o.wrongSeen[:min(len(o.wrongSeen), 5-len(r.wrongSeen))]...)
	}
	r.refused += o.refused
	r.dups += o.dups
	r.late += o.late
	r.stray += o.stray
	r.rejected += o.rejected
	r.lat = append(r.lat, o.lat...)
	r.ack = append(r.ack, o.ack...)
	if r.mix == nil {
		r.mix = map[string]int{}
	}
	for k, v := range o.mix {
		r.mix[k] += v
	}
	r.cpuServer += o.cpuServer
	r.cpuSelf += o.cpuSelf
	r.cpuMachine += o.cpuMachine
}

// result sums r up; server says whether cpuServer is a server's own.
func (r raw) result(name string, senders int, server bool) result {
	res := result{Name: name, Senders: senders, Seconds: r.seconds, Messages: r.messages, Replied: r.replied,
		NoReply: r.lost, Wrong: r.wrong, Refused: r.refused, Duplicates: r.dups, Late: r.late, Stray: r.stray, GraphRejected: r.rejected,
		Mix: r.mix}
	for _, w := range r.wrongSeen {
		res.Errors = append(res.Errors, "wrong reply: "+w)
	}
	if r.seconds > 0 {
		res.RepliesPerSec = float64(r.replied) / r.seconds
		res.ToolCPU = r.cpuSelf.Seconds() / r.seconds
		res.MachineCPU = r.cpuMachine.Seconds() / r.seconds
	}
	res.LatencyP50MS, res.LatencyP99MS, res.LatencyMaxMS = percentiles(r.lat)
	res.AckP50MS, res.AckP99MS, res.AckMaxMS = percentiles(r.ack)
	if server && r.seconds > 0 {
		res.CPUUtilisation = r.cpuServer.Seconds() / r.seconds
		if r.replied > 0 {
			res.CPUPerReplyMS = float64(r.cpuServer) / float64(time.Millisecond) / float64(r.replied)
		}
	}
	return res
}

// runLoad drives target with cfg.senders applicants, each waiting for its
// reply before writing again, for one measured window.
func runLoad(ctx context.Context, cfg loadConfig, stand *standIn, client *http.Client, logf func(string, ...any)) raw {
	stand.reset()
	start := time.Now()
	measureFrom := start.Add(cfg.warmup)
	measureTo := measureFrom.Add(cfg.duration)
	ctx, cancel := context.WithDeadline(ctx, measureTo.Add(cfg.timeout+5*time.Second))
	defer cancel()

	// CPU time over the measured window: the server's, the tool's own and
	// the whole machine's.
	var r raw
	cpuDone := make(chan struct{})
	go func() {
		defer close(cpuDone)
		sleepUntil(ctx, measureFrom)
		s0, t0, m0 := cpuTime(cfg.pid), cpuTime(os.Getpid()), machineBusy()
		sleepUntil(ctx, measureTo)
		r.cpuServer, r.cpuSelf, r.cpuMachine = cpuTime(cfg.pid)-s0, cpuTime(os.Getpid())-t0, machineBusy()-m0
	}()

	stats := make([]workerStats, cfg.senders)
	var wg sync.WaitGroup
	for w := range cfg.senders {
		wg.Go(func() {
			stats[w] = sender(ctx, cfg, w, stand, client, measureFrom, measureTo, logf)
		})
	}
	wg.Wait()
	<-cpuDone
	if ctx.Err() == nil {
		time.Sleep(time.Second) // for a late duplicate to show
	}

	r.seconds = cfg.duration.Seconds()
	for _, s := range stats {
		r.add(raw{messages: s.messages, replied: s.replied, lost: s.lost, refused: s.refused, wrong: s.wrong, wrongSeen: s.wrongSeen, lat: s.lat, ack: s.ack, mix: s.mix})
	}
	r.dups, r.late = stand.tally()
	r.stray, r.rejected = stand.stray.Load(), stand.rejected.Load()
	return r
}

func sleepUntil(ctx context.Context, t time.Time) {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
}

func percentiles(d []time.Duration) (p50, p99, maxMS float64) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	slices.Sort(d)
	at := func(q float64) float64 {
		i := int(q*float64(len(d))+0.5) - 1
		i = min(max(i, 0), len(d)-1)
		return float64(d[i]) / float64(time.Millisecond)
	}
	return at(0.50), at(0.99), float64(d[len(d)-1]) / float64(time.Millisecond)
}

// sender plays one applicant after another until the measured time is over.
func sender(ctx context.Context, cfg loadConfig, w int, stand *standIn, client *http.Client,
	measureFrom, measureTo time.Time, logf func(string, ...any)) workerStats {
	r := rand.New(rand.NewPCG(uint64(cfg.nonce), uint64(w)))
	st := workerStats{mix: map[string]int{}}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	url := cfg.target + cfg.path
	seq := 0
	for n := 0; ; n++ {
		waID := fmt.Sprintf("62%03d%03d%05d", cfg.nonce%1000, w%1000, n%100000)
		p := stand.register(waID)
		sc := newScript(r, cfg.apps)
		office := cfg.apps.offices[sc.office]
		for _, m := range sc.msgs {
			text := m.text
			now := time.Now()
			if !now.Before(measureTo) || ctx.Err() != nil {
				return st
			}
			measured := !now.Before(measureFrom)
			seq++
			wamid := fmt.Sprintf("wamid.bench.%d.%d.%d", cfg.nonce, w, seq)
			body := delivery(office.phoneID, waID, wamid, text, now)
			p.expect()
			start := time.Now()
			ok, ackTook := post(ctx, client, url, cfg.secret, body)
			if !ok {
				p.giveUp()
				if measured {
					st.messages++
					st.refused++
				}
				break // this applicant's conversation is off its script
			}
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			timer.Reset(cfg.timeout)
			var got reply
			select {
			case got = <-p.got:
			case <-timer.C:
				if !p.giveUp() {
					got = <-p.got
				}
			case <-ctx.Done():
				p.giveUp()
			}
			if cfg.trace && w == 0 {
				p.mu.Lock()
				logf("trace %s %s > %q\n    < %q", office.code, waID, text, firstLine(p.lastText))
				p.mu.Unlock()
			}
			if !measured {
				continue
			}
			st.messages++
			st.mix[m.label]++
			st.ack = append(st.ack, ackTook)
			if got.at.IsZero() {
				st.lost++
				continue
			}
			if cfg.check && !m.want.matches(got) {
				st.wrong++
				if len(st.wrongSeen) < 5 {
					st.wrongSeen = append(st.wrongSeen, fmt.Sprintf("%q got %s %q, want %s holding %q",
						text, got.kind, firstLine(got.text), m.want.kind, m.want.holds))
				}
				continue
			}
			st.replied++
			st.lat = append(st.lat, got.at.Sub(start))
		}
	}
}

func firstLine(s string) string {
	if i := bytes.IndexByte([]byte(s), '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// post delivers body as Meta does, retrying a refusal a few times (Meta
// retries for days; the load tool gives up after a second).
func post(ctx context.Context, client *http.Client, url, secret string, body []byte) (bool, time.Duration) {
	sig := whatsapp.Sign(secret, body)
	start := time.Now()
	for attempt := range 4 {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 150 * time.Millisecond)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return false, 0
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Hub-Signature-256", sig)
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return false, 0
			}
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return true, time.Since(start)
		}
	}
	return false, time.Since(start)
}
