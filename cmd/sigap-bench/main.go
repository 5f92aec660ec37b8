// Command sigap-bench measures SIGAP's whole path under load: signed Cloud
// API deliveries in, replies out to a Graph API stand-in, on this machine.
//
//	go run ./cmd/sigap-bench                       SQLite, 64 senders, 15 s
//	go run ./cmd/sigap-bench -database postgres://postgres@127.0.0.1:5432/test
//
// It starts its own Graph API stand-in on 127.0.0.1 and runs `sigap serve
// --demo` against a fresh database (built from this module unless -sigap
// names a binary). Many distinct applicants write to it, each waiting for
// its reply before writing again, for a bounded time. The same load runs
// against a reference bot built into the tool (verify the signature, parse,
// acknowledge, send one reply; no storage, no logic), and SIGAP's replies
// per second are given as a fraction of the reference's: absolute figures
// move from machine to machine, the ratio much less. See docs/performance.md.
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
	mps          int
	targets      string
	json         bool
	trace        bool
	keep         bool
	rounds       int
	fresh        bool
	logFile      string
	env          multiFlag
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// report is the whole run, for -json.
type report struct {
	Machine      string    `json:"machine"`
	CPUs         int       `json:"cpus"`
	Database     string    `json:"database"`
	Applications int       `json:"applications"`
	Senders      int       `json:"senders"`
	Seconds      float64   `json:"seconds"`
	Rounds       int       `json:"rounds"`
	Results      []result  `json:"results"`
	Ratio        float64   `json:"ratio,omitempty"`
	At           time.Time `json:"at"`
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
	flag.IntVar(&o.applications, "applications", 0, "generated applications to store, half at each demo office (0: only the demo ones)")
	flag.BoolVar(&o.fresh, "fresh", true, "with a postgres:// URL: make a fresh database in that server (false: use the database as it is)")
	flag.IntVar(&o.mps, "mps", 1000, "each demo office's send budget, messages a second (0: the offices file's default, 80)")
	flag.StringVar(&o.targets, "targets", "reference,sigap", "what to measure, in order")
	flag.BoolVar(&o.json, "json", false, "print the figures as JSON")
	flag.BoolVar(&o.trace, "trace", false, "print the first sender's conversation")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary folder and a fresh PostgreSQL database")
	flag.StringVar(&o.logFile, "log", "", "write sigap's log (stderr) to this file")
	flag.Var(&o.env, "env", "KEY=VALUE for sigap's environment (repeatable)")
	flag.Parse()
	if o.senders < 1 || o.senders > 10000 || o.duration <= 0 || o.timeout <= 0 || o.rounds < 1 || o.rounds > 100 {
		fmt.Fprintln(os.Stderr, "sigap-bench: -senders 1 to 10000, -rounds 1 to 100, -duration and -timeout above zero")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, o, os.Stdout, os.Stderr)
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

	rep := report{Machine: machine(), CPUs: runtime.NumCPU(), Applications: o.applications, Senders: o.senders,
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
			tgs = append(tgs, &target{name: t, url: bot.URL, apps: demoApps()})
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

// demoApps are the demo applications, as serve --demo prints them.
func demoApps() *apps {
	a := &apps{}
	for _, d := range demo.Applications(time.Now()) {
		for i, o := range benchOffices {
			if o.code == d.Office {
				a.demo[i] = append(a.demo[i], knownApp{number: d.Number, birth: d.BirthDate})
			}
		}
	}
	return a
}

// startSigapTarget prepares the database (fresh, seeded if asked) and
// starts sigap serve --demo on it.
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
	perOffice := o.applications / len(benchOffices)
	if perOffice > 0 {
		logf("seeding %d applications at each office", perOffice)
		if err := seed(ctx, database, perOffice, logf); err != nil {
			return nil, nil, fmt.Errorf("seed: %w", err)
		}
	}
	offices, err := officesFile(dir, o.mps)
	if err != nil {
		return nil, nil, err
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
	a := &apps{demo: p.demo}
	if perOffice > 0 {
		a.generated = [2]int{perOffice, perOffice}
	}
	return p, a, nil
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
	fmt.Fprintf(w, "%s, %d CPUs; %d senders; %s measured per target in %d alternating rounds; database: %s; applications: %s\n\n",
		rep.Machine, rep.CPUs, rep.Senders, o.duration, o.rounds, orDash(rep.Database), apps0(rep.Applications))
	fmt.Fprintf(w, "%-10s %9s %9s %9s %9s %9s %9s %9s %8s %5s %8s %9s %8s %8s\n", "", "replies/s", "reply p50", "p99", "max",
		"ack p50", "p99", "max", "no reply", "dups", "RSS max", "CPU/reply", "tool CPU", "all CPU")
	for _, r := range rep.Results {
		rss, cpu := "-", "-"
		if r.RSSMaxKB > 0 {
			rss = fmt.Sprintf("%.0f MB", float64(r.RSSMaxKB)/1024)
		}
		if r.CPUPerReplyMS > 0 {
			cpu = fmt.Sprintf("%.2f ms", r.CPUPerReplyMS)
		}
		fmt.Fprintf(w, "%-10s %9.0f %7.1fms %7.1fms %7.1fms %7.2fms %7.2fms %7.1fms %8d %5d %8s %9s %8.2f %8.2f\n",
			r.Name, r.RepliesPerSec, r.LatencyP50MS, r.LatencyP99MS, r.LatencyMaxMS, r.AckP50MS, r.AckP99MS, r.AckMaxMS,
			r.NoReply, r.Duplicates, rss, cpu, r.ToolCPU, r.MachineCPU)
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

func apps0(n int) string {
	if n == 0 {
		return "the 14 demo ones"
	}
	return fmt.Sprint(n)
}

func dbName(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "?"
	}
	return strings.TrimPrefix(p.Path, "/")
}
