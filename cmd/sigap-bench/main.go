// Command sigap-bench measures SIGAP's whole path under load: signed Cloud
// API deliveries in, replies out to a Graph API stand-in, on this machine.
//
//	go run ./cmd/sigap-bench                       SQLite, 64 senders, 15 s
//	go run ./cmd/sigap-bench -database postgres://postgres@127.0.0.1:5432/test
//
// It starts its own Graph API stand-in on 127.0.0.1 and runs `sigap serve
// --demo` against a fresh database (built from this module unless -sigap
// names a binary), with -offices offices (default 8), each with its own
// WhatsApp number and send budget (-mps): the two demo offices and copies
// of them (jakpus2, mataram2 …, with generated applications), so that no
// one number's budget caps the load. Many distinct applicants write to it,
// each waiting for its reply before writing again, for a bounded time. The
// same load runs against a reference bot built into the tool (verify the
// signature, parse, acknowledge, send one reply; no storage, no logic), and
// SIGAP's replies per second are given as a fraction of the reference's:
// absolute figures move from machine to machine, the ratio much less. See
// docs/performance.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/sigap-id/sigap/internal/demo"
)

const (
	benchSecret = "sigap-bench-app-secret"
	benchToken  = "EAAG-sigap-bench-token"
)

type options struct {
	sigap        string
	database     string
	senders      int
	warmup       time.Duration
	duration     time.Duration
	timeout      time.Duration
	applications int
	offices      int
	fleet        fleet // from offices and applications
	mps          int
	targets      string
	json         bool
	trace        bool
	keep         bool
	rounds       int
	seedOnly     bool
	fresh        bool
	logFile      string
	env          multiFlag
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// report is the whole run, for -json. Applications is what -applications
// asked for; ExtraApplications the generated applications at each extra
// office (0: there is none). Offices is how many offices, each with its own
// number, the load was spread over, and MessagesPerSecond each number's
// send budget.
type report struct {
	Machine           string    `json:"machine"`
	CPUs              int       `json:"cpus"`
	Database          string    `json:"database"`
	Applications      int       `json:"applications"`
	ExtraApplications int       `json:"applications_per_extra_office,omitempty"`
	Offices           int       `json:"offices"`
	MessagesPerSecond int       `json:"messages_per_second_per_number"`
	Senders           int       `json:"senders"`
	Seconds           float64   `json:"seconds"`
	Rounds            int       `json:"rounds"`
	Results           []result  `json:"results"`
	Ratio             float64   `json:"ratio,omitempty"`
	At                time.Time `json:"at"`
}

func main() {
	var o options
	flag.StringVar(&o.sigap, "sigap", "", "a built sigap binary (default: go build ./cmd/sigap into a temporary folder)")
	flag.StringVar(&o.database, "database", "", "sqlite:PATH (kept), or a postgres:// URL in whose server a fresh database is made and dropped\n(default: a fresh temporary SQLite file)")
	flag.IntVar(&o.senders, "senders", 64, "applicants writing at once, each waiting for its reply")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "load before measuring")
	flag.DurationVar(&o.duration, "duration", 15*time.Second, "measured time per target, in all")
	flag.IntVar(&o.rounds, "rounds", 3, "measure the targets in turn this many times, each for duration/rounds")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Second, "a message with no reply after this counts as lost")
	flag.IntVar(&o.applications, "applications", 0, "generated applications to store, spread evenly over the offices\n(0: the demo offices keep their demo ones; an extra office always gets at least 1000)")
	flag.IntVar(&o.offices, "offices", 8, "offices to spread the load over, each with its own number and send budget: an even number\nfrom 2 to 16, half like jakpus (asks the birth date) and half like mataram, the demo offices\nthemselves and copies of them (jakpus2, mataram2 …); 2: the two demo offices alone")
	flag.BoolVar(&o.fresh, "fresh", true, "with a postgres:// URL: make a fresh database in that server (false: use the database as it is)")
	flag.IntVar(&o.mps, "mps", 1000, "each office's send budget (its number's), messages a second, at most 1000\n(0: the offices file's default, 80)")
	flag.StringVar(&o.targets, "targets", "reference,sigap", "what to measure, in order")
	flag.BoolVar(&o.json, "json", false, "print the figures as JSON")
	flag.BoolVar(&o.trace, "trace", false, "print the first sender's conversation")
	flag.BoolVar(&o.seedOnly, "seed-only", false, "with -database: store the generated applications (-applications, and the extra offices')\nand stop, to copy or reuse the database (run it later with the same -offices and -applications)")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary folder and a fresh PostgreSQL database")
	flag.StringVar(&o.logFile, "log", "", "write sigap's log (stderr) to this file")
	flag.Var(&o.env, "env", "KEY=VALUE for sigap's environment (repeatable)")
	flag.Parse()
	if o.senders < 1 || o.senders > 10000 || o.duration <= 0 || o.timeout <= 0 || o.rounds < 1 || o.rounds > 100 {
		fmt.Fprintln(os.Stderr, "sigap-bench: -senders 1 to 10000, -rounds 1 to 100, -duration and -timeout above zero")
		os.Exit(2)
	}
	f, err := newFleet(o.offices, o.applications)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sigap-bench:", err)
		os.Exit(2)
	}
	o.fleet = f
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.seedOnly {
		if o.database == "" || o.applications < len(o.fleet) && o.fleet.extraApps() == 0 {
			fmt.Fprintln(os.Stderr, "sigap-bench: -seed-only wants -database, and -applications or -offices above 2")
			os.Exit(2)
		}
		logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
		if err := seed(ctx, o.database, o.fleet, logf); err != nil {
			fmt.Fprintln(os.Stderr, "sigap-bench:", err)
			os.Exit(1)
		}
		return
	}
	err = run(ctx, o, os.Stdout, os.Stderr)
	for _, drop := range dropAtExit {
		drop()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sigap-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, stdout, stderr io.Writer) error {
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	dir, err := os.MkdirTemp("", "sigap-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		logf("keeping %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	mps := o.mps
	if mps == 0 {
		mps = 80 // the offices file's default
	}
	rep := report{Machine: machine(), CPUs: runtime.NumCPU(), Applications: o.applications,
		ExtraApplications: o.fleet.extraApps(), Offices: len(o.fleet), MessagesPerSecond: mps, Senders: o.senders,
		Seconds: o.duration.Seconds(), Rounds: o.rounds, At: time.Now().UTC()}
	targets := strings.Split(o.targets, ",")
	for _, t := range targets {
		if t != "reference" && t != "sigap" {
			return fmt.Errorf("-targets: %q: want reference and/or sigap", t)
		}
	}

	stand, err := startStandIn(benchToken)
	if err != nil {
		return err
	}
	defer stand.close()
	client := &http.Client{Timeout: 30 * time.Second, Transport: keepAliveTransport(o.senders)}
	defer client.CloseIdleConnections()
	cfg := loadConfig{path: "/webhooks/whatsapp", secret: benchSecret, senders: o.senders, warmup: o.warmup,
		duration: o.duration, timeout: o.timeout, trace: o.trace}

	// Both targets are started first, then measured in turn, round after
	// round (reference, sigap, reference, sigap …), so that a machine whose
	// speed drifts during the run slows both alike.
	type target struct {
		name string
		url  string
		apps *apps
		proc *sigapProcess
		raw  raw
	}
	var tgs []*target
	for _, t := range targets {
		switch t {
		case "reference":
			bot, err := startReference(benchSecret, stand.URL, benchToken, o.senders)
			if err != nil {
				return err
			}
			defer bot.close()
			// The reference ignores what is written; its applicants ask the
			// demo offices about the demo applications, as they always did.
			tgs = append(tgs, &target{name: t, url: bot.URL, apps: newApps(o.fleet, demoApps(), false)})
		case "sigap":
			p, a, err := startSigapTarget(ctx, o, dir, stand, &rep, logf)
			if err != nil {
				return err
			}
			defer p.stop()
			tgs = append(tgs, &target{name: t, url: p.url(), apps: a, proc: p})
		}
	}
	rounds := max(o.rounds, 1)
	base := int(time.Now().UnixNano() / 1e6 % 1000)
	for r := range rounds {
		for i, tg := range tgs {
			cfg.target, cfg.apps, cfg.pid = tg.url, tg.apps, 0
			if tg.proc != nil {
				cfg.pid = tg.proc.cmd.Process.Pid
			}
			cfg.duration = o.duration / time.Duration(rounds)
			cfg.warmup = o.warmup
			if r > 0 {
				cfg.warmup = min(o.warmup, time.Second)
			}
			cfg.nonce = base + r*len(tgs) + i
			cfg.trace = o.trace && r == 0
			cfg.check = tg.proc != nil
			logf("round %d of %d: %s, %d senders, %s warm-up, %s measured", r+1, rounds, tg.name, o.senders, cfg.warmup, cfg.duration)
			tg.raw.add(runLoad(ctx, cfg, stand, client, logf))
			client.CloseIdleConnections()
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	for _, tg := range tgs {
		res := tg.raw.result(tg.name, o.senders, tg.proc != nil)
		if p := tg.proc; p != nil {
			res.RSSMaxKB, res.RSSKB = procStatus(p.cmd.Process.Pid)
			p.stop()
			log, lines := p.stderr()
			if o.logFile != "" {
				if err := os.WriteFile(o.logFile, []byte(log), 0o644); err != nil {
					logf("-log: %v", err)
				}
			}
			if lines > 0 {
				res.Errors = append(res.Errors, fmt.Sprintf("sigap logged %d lines at warn or above", lines))
				first := strings.SplitN(log, "\n", 6)
				res.Errors = append(res.Errors, first[:min(len(first), 5)]...)
			}
		}
		rep.Results = append(rep.Results, res)
	}
	ref := slices.IndexFunc(rep.Results, func(r result) bool { return r.Name == "reference" })
	sig := slices.IndexFunc(rep.Results, func(r result) bool { return r.Name == "sigap" })
	if ref >= 0 && sig >= 0 && rep.Results[ref].RepliesPerSec > 0 {
		rep.Ratio = rep.Results[sig].RepliesPerSec / rep.Results[ref].RepliesPerSec
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printReport(stdout, o, rep)
	return nil
}

// demoApps are the demo applications, by office code, as serve --demo
// prints them.
func demoApps() map[string][]knownApp {
	m := map[string][]knownApp{}
	for _, d := range demo.Applications(time.Now()) {
		m[d.Office] = append(m[d.Office], knownApp{number: d.Number, birth: d.BirthDate})
	}
	return m
}

// startSigapTarget prepares the database (fresh, seeded with the generated
// applications, the extra offices' always) and starts sigap serve --demo on
// it, with the offices of o.fleet.
func startSigapTarget(ctx context.Context, o options, dir string, stand *standIn, rep *report,
	logf func(string, ...any)) (*sigapProcess, *apps, error) {
	bin := o.sigap
	if bin == "" {
		logf("building sigap")
		var err error
		if bin, err = buildSigap(ctx, dir); err != nil {
			return nil, nil, err
		}
	}
	database := o.database
	isPostgres := strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
	switch {
	case database == "":
		database = "sqlite:" + filepath.Join(dir, "sigap.db")
		rep.Database = "sqlite (fresh file, WAL, synchronous=FULL)"
	case strings.HasPrefix(database, "sqlite:"):
		rep.Database = "sqlite " + strings.TrimPrefix(database, "sqlite:")
	case isPostgres && !o.fresh:
		rep.Database = "postgres " + dbName(database)
	case isPostgres:
		fresh, drop, err := freshPostgres(ctx, database)
		if err != nil {
			return nil, nil, err
		}
		if !o.keep {
			// Dropped when the run is over, after sigap stopped (deferred
			// calls run last in, first out; see run).
			dropAtExit = append(dropAtExit, drop)
		}
		database = fresh
		rep.Database = "postgres (fresh database " + dbName(fresh) + ")"
	default:
		return nil, nil, errors.New("-database: want sqlite:PATH or a postgres:// URL")
	}
	offices, err := officesFile(dir, o.mps, o.fleet)
	if err != nil {
		return nil, nil, err
	}
	if extra, per := o.fleet.extraApps(), o.applications/len(o.fleet); per > 0 || extra > 0 {
		switch {
		case extra == 0 || extra == per:
			logf("seeding %d applications at each office", max(per, extra))
		case per == 0:
			logf("seeding %d applications at each extra office", extra)
		default:
			logf("seeding %d applications at each demo office, %d at each extra office", per, extra)
		}
		if err := seed(ctx, database, o.fleet, logf); err != nil {
			return nil, nil, fmt.Errorf("seed: %w", err)
		}
	}
	env := append([]string{
		"SIGAP_DATABASE=" + database, "SIGAP_OFFICES=" + offices, "SIGAP_LOG_LEVEL=warn",
		"WHATSAPP_APP_SECRET=" + benchSecret, "WHATSAPP_VERIFY_TOKEN=sigap-bench",
		"WHATSAPP_ACCESS_TOKEN=" + benchToken, "WHATSAPP_GRAPH_URL=" + stand.URL, "WHATSAPP_API_VERSION=v23.0",
	}, o.env...)
	p, err := startSigap(ctx, bin, env)
	if err != nil {
		return nil, nil, err
	}
	return p, newApps(o.fleet, p.demoApps(), true), nil
}

// dropAtExit drops the fresh PostgreSQL databases, after everything else.
var dropAtExit []func()

func machine() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOOS + "/" + runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOOS + "/" + runtime.GOARCH
}

func printReport(w io.Writer, o options, rep report) {
	fmt.Fprintf(w, "%s, %d CPUs; %d senders; %s measured per target in %d alternating rounds; %s; database: %s; applications: %s\n\n",
		rep.Machine, rep.CPUs, rep.Senders, o.duration, o.rounds, officesText(rep), orDash(rep.Database), appsText(rep))
	fmt.Fprintf(w, "%-10s %9s %9s %9s %9s %9s %9s %9s %8s %5s %5s %8s %9s %8s %8s\n", "", "replies/s", "reply p50", "p99", "max",
		"ack p50", "p99", "max", "no reply", "wrong", "dups", "RSS max", "CPU/reply", "tool CPU", "all CPU")
	for _, r := range rep.Results {
		rss, cpu := "-", "-"
		if r.RSSMaxKB > 0 {
			rss = fmt.Sprintf("%.0f MB", float64(r.RSSMaxKB)/1024)
		}
		if r.CPUPerReplyMS > 0 {
			cpu = fmt.Sprintf("%.2f ms", r.CPUPerReplyMS)
		}
		fmt.Fprintf(w, "%-10s %9.0f %7.1fms %7.1fms %7.1fms %7.2fms %7.2fms %7.1fms %8d %5d %5d %8s %9s %8.2f %8.2f\n",
			r.Name, r.RepliesPerSec, r.LatencyP50MS, r.LatencyP99MS, r.LatencyMaxMS, r.AckP50MS, r.AckP99MS, r.AckMaxMS,
			r.NoReply, r.Wrong, r.Duplicates, rss, cpu, r.ToolCPU, r.MachineCPU)
	}
	if rep.Ratio > 0 {
		fmt.Fprintf(w, "\nsigap / reference (replies per second): %.2f\n", rep.Ratio)
	}
	for _, r := range rep.Results {
		var notes []string
		if r.Refused > 0 {
			notes = append(notes, fmt.Sprintf("%d deliveries refused", r.Refused))
		}
		if r.Late > 0 {
			notes = append(notes, fmt.Sprintf("%d replies came after the timeout", r.Late))
		}
		if r.Stray > 0 {
			notes = append(notes, fmt.Sprintf("%d replies to unknown recipients", r.Stray))
		}
		if r.GraphRejected > 0 {
			notes = append(notes, fmt.Sprintf("%d sends the Graph API would refuse", r.GraphRejected))
		}
		notes = append(notes, r.Errors...)
		if len(notes) > 0 {
			fmt.Fprintf(w, "%s: %s\n", r.Name, strings.Join(notes, "\n  "))
		}
	}
	if len(rep.Results) > 0 {
		r := rep.Results[len(rep.Results)-1]
		keys := make([]string, 0, len(r.Mix))
		for k := range r.Mix {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %.0f%%", k, 100*float64(r.Mix[k])/float64(max(r.Messages, 1))))
		}
		fmt.Fprintf(w, "messages (%d): %s\n", r.Messages, strings.Join(parts, ", "))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// officesText says what the load was spread over.
func officesText(rep report) string {
	kinds := "the two demo ones"
	if rep.Offices > 2 {
		kinds = fmt.Sprintf("%d like jakpus, %d like mataram", rep.Offices/2, rep.Offices/2)
	}
	return fmt.Sprintf("%d offices/numbers (%s) at %d messages/s each", rep.Offices, kinds, rep.MessagesPerSecond)
}

// appsText says which applications the applicants ask about.
func appsText(rep report) string {
	extra, per := rep.ExtraApplications, rep.Applications/max(rep.Offices, 1)
	switch {
	case rep.Applications == 0 && extra == 0:
		return "the 14 demo ones"
	case extra == 0:
		return fmt.Sprint(rep.Applications)
	case per == 0:
		return fmt.Sprintf("the 14 demo ones at the demo offices, %d generated at each of the %d others", extra, rep.Offices-2)
	case extra == per:
		return fmt.Sprintf("%d, %d at each office", rep.Applications, per)
	}
	return fmt.Sprintf("%d at each demo office, %d at each of the %d others", per, extra, rep.Offices-2)
}

func dbName(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "?"
	}
	return strings.TrimPrefix(p.Path, "/")
}
