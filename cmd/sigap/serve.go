package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/api"
	"github.com/sigap-id/sigap/internal/config"
	"github.com/sigap-id/sigap/internal/demo"
	"github.com/sigap-id/sigap/internal/gateway"
	"github.com/sigap-id/sigap/internal/metrics"
	"github.com/sigap-id/sigap/internal/outbox"
	"github.com/sigap-id/sigap/internal/receiver"
	"github.com/sigap-id/sigap/internal/web"
)

const serveUsage = `serve [--demo] [--addr ADDR] [--no-migrate]

Runs the gateway: the WhatsApp webhook, health checks, and the sending of
replies. It needs SIGAP_OFFICES, the offices file. --demo is for trying it
out: without SIGAP_OFFICES it runs on the embedded demo offices (and the log
says so), and it seeds demo applications into an empty database and prints
where to look.`

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", serveUsage, stdout, stderr)
	withDemo := fs.Bool("demo", false, "demo offices without SIGAP_OFFICES; demo applications in an empty database")
	addr := fs.String("addr", "", "listen on `ADDR` (default $SIGAP_ADDR or 127.0.0.1:8080)")
	noMigrate := fs.Bool("no-migrate", false, "do not migrate the database at start (run sigap migrate yourself)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.noArgs(); err != nil {
		return err
	}
	rule := officesRequired
	if *withDemo {
		rule = officesOrDemo
	}
	a, err := openWith(ctx, getenv, stderr, !*noMigrate, rule)
	if err != nil {
		return err
	}
	defer a.store.Close()
	tuneGC(getenv)
	if *addr != "" {
		a.env.Addr = *addr
	}
	log := a.log
	if err := a.store.Ready(ctx); err != nil {
		return err
	}
	if a.engine == "sqlite" {
		// SQLite is used by this process alone: whatever is claimed was
		// claimed by a previous run that died, so take it up now rather
		// than when its leases run out.
		if n, err := a.store.ExpireClaims(ctx); err != nil {
			return err
		} else if n > 0 {
			log.Warn("resuming work a previous run left unfinished", "messages", n)
		}
	}

	var hints []web.Hint
	if *withDemo {
		if hints, err = seedDemo(ctx, a); err != nil {
			return err
		}
	}

	met := metrics.New(func(ctx context.Context) (int, int, time.Time, error) {
		st, err := a.store.QueueStats(ctx)
		return st.InboxPending, st.OutboxPending, st.OldestOutbox, err
	})
	a.metrics = met
	// The sender first, then the processor that hands it replies: both
	// whole before any of their goroutines starts.
	var (
		sender   *outbox.Sender
		procOpts = gateway.Options{Lease: a.env.InboxLease}
	)
	if err := anyReady(a.offices.List(), a.channel); err != nil {
		log.Warn("sending is disabled: no office's channel can send; replies wait in the outbox", "reason", err.Error())
	} else {
		so := outbox.Options{Outbox: a.store, Channels: a.channel, Offices: a.offices.ByCode, Log: log, Metrics: met, Lease: a.env.OutboxLease, Now: a.now}
		if a.engine == "postgres" {
			// Replicas share each number's budget instead of multiplying it.
			so.Limiter = &outbox.SharedLimiter{Slots: a.store, Now: a.now}
		}
		sender = outbox.NewSender(so)
		// Replies are claimed for the sender where they are stored and
		// handed to it; those left queued behind earlier ones, it claims.
		procOpts.Outbox, procOpts.OutboxLease = sender, sender.Options().Lease
		procOpts.MarkRead = true
	}
	rec := a.startTally()
	proc, err := a.processorWith(procOpts)
	if err != nil {
		return err
	}
	// Each channel that receives over HTTP at its own path, its deliveries
	// stored (and answered on arrival) by the processor.
	receivers, err := receiver.Routes(a.channels, func(channel string) receiver.Wiring {
		return receiver.Wiring{Offices: a.offices.Finder(channel), Inbox: proc, Metrics: met, Log: log}
	})
	if err != nil {
		return err
	}
	srv := &web.Server{Ready: a.store.Ready, Receivers: receivers, Log: log}
	if *withDemo {
		// The simulator answers status questions without WhatsApp's proof
		// of who asks: open to anyone only in a demo.
		srv.Simulator = &web.Simulator{Offices: a.offices.List(), Lookup: a.live.ByCode, Chat: proc.Chat, Hints: hints, Log: log}
	}
	// The integration API: token-authenticated, rate-limited per token.
	srv.API = api.New(api.Options{Store: a.store, Offices: a.offices.ByCode, Now: a.now, Log: log, RateLimit: a.env.APIRateLimit})
	if a.env.MetricsAddr == "" && a.env.MetricsToken != "" {
		srv.Metrics, srv.MetricsToken = met.Handler(), a.env.MetricsToken
	}
	a.addConsolePages(proc.Chat, hints)
	if srv.Console, err = newConsole(a, getenv); err != nil {
		return err
	}
	var demoAdmin string
	if *withDemo {
		if demoAdmin, err = ensureDemoAdmin(ctx, a); err != nil {
			return err
		}
	}
	notifier, err := a.notifier()
	if err != nil {
		return err
	}
	keeper := &gateway.Housekeeper{Store: a.store, Policy: a.env.Retention, Holder: instanceName(), Every: time.Hour, Log: log, Now: a.now}

	ln, err := net.Listen("tcp", a.env.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	httpSrv := newServer(srv.Handler())

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { proc.Run(workCtx) })
	wg.Go(func() { keeper.Run(workCtx) })
	wg.Go(func() { notifier.Run(workCtx) })
	wg.Go(func() { rec.Run(workCtx) })
	if sender != nil {
		wg.Go(func() { sender.Run(workCtx) })
	}
	if a.env.DebugAddr != "" {
		if _, err := serveDebug(workCtx, a.env.DebugAddr, log); err != nil {
			stopWork()
			wg.Wait()
			return err
		}
	}
	url := "http://" + ln.Addr().String()
	metricsURL := ""
	switch {
	case a.env.MetricsAddr != "":
		h := met.Handler()
		if a.env.MetricsToken != "" {
			h = metrics.RequireToken(a.env.MetricsToken, h)
		}
		bound, err := serveMetrics(workCtx, a.env.MetricsAddr, h, log)
		if err != nil {
			stopWork()
			wg.Wait()
			return err
		}
		metricsURL = "http://" + bound + "/metrics"
		log.Info("metrics listening", "addr", metricsURL, "token", a.env.MetricsToken != "")
	case a.env.MetricsToken != "":
		metricsURL = url + "/metrics"
		log.Info("metrics served on the public listener to scrapes with SIGAP_METRICS_TOKEN", "addr", metricsURL)
	default:
		log.Info("metrics are not served: set SIGAP_METRICS_ADDR (a listener of their own) or SIGAP_METRICS_TOKEN (a scrape token)")
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()

	log.Info("sigap serving", "addr", ln.Addr().String(), "offices", officeNames(a.offices),
		"database", config.RedactDatabase(a.env.Database), "simulator", srv.Simulator != nil)
	fmt.Fprintf(stdout, "SIGAP is running at %s\n", url)
	if srv.Simulator != nil {
		fmt.Fprintf(stdout, "  simulator:  %s/simulator\n", url)
	}
	fmt.Fprintf(stdout, "  console:    %s/admin\n", url)
	if demoAdmin != "" {
		fmt.Fprintf(stdout, "              %s\n", demoAdmin)
	}
	for _, path := range slices.Sorted(maps.Keys(receivers)) {
		fmt.Fprintf(stdout, "  webhook:    %s%s\n", url, path)
	}
	fmt.Fprintf(stdout, "  health:     %s/healthz  %s/readyz\n", url, url)
	fmt.Fprintf(stdout, "  api:        %s/api/v1/ (described at %s/api/v1/openapi.json; tokens: sigap token create)\n", url, url)
	if metricsURL != "" {
		fmt.Fprintf(stdout, "  metrics:    %s\n", metricsURL)
	}
	if len(hints) > 0 {
		fmt.Fprintln(stdout, "  demo applications (number, birth date, stage) to try in the simulator:")
		for _, h := range hints {
			fmt.Fprintf(stdout, "    %-8s %s  %s  %s\n", h.Office, h.Number, h.BirthDate, h.Stage)
		}
	}

	select {
	case err = <-serveErr:
		stopWork()
		wg.Wait()
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	// Stop taking deliveries first, then let the workers finish their step.
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("http shutdown", "err", err)
	}
	stopWork()
	wg.Wait()
	log.Info("stopped")
	return nil
}

// Limits of the public listener (and the metrics one). A request's headers
// must arrive within ReadHeaderTimeout and the whole request within
// ReadTimeout (a 3 MB delivery takes well under a second); answers are
// small. An idle keep-alive connection is closed after IdleTimeout.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 16 << 10 // Meta's headers are well under 2 KiB
)

func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// instanceName names this replica in leases: host and process id.
func instanceName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}

// anyReady says why no office's channel can send its replies (the first
// office's reason: for the Cloud API, no access token), or nil if one can.
func anyReady(offices []sigap.Office, channel func(string) (sigap.Channel, bool)) error {
	var first error
	for _, o := range offices {
		ch, ok := channel(o.ChannelName())
		if !ok {
			continue
		}
		err := ch.Ready(o)
		if err == nil {
			return nil
		}
		if first == nil {
			first = fmt.Errorf("office %s: %w", o.Code, err)
		}
	}
	if first == nil {
		return errors.New("no offices")
	}
	return first
}

// seedDemo loads the demo applications into offices that have none, and
// returns what to show on the simulator page.
func seedDemo(ctx context.Context, a *app) ([]web.Hint, error) {
	var hints []web.Hint
	seeded := map[string]bool{}
	for _, app := range demo.Applications(time.Now()) {
		if _, ok := a.offices.ByCode(app.Office); !ok {
			continue // a real offices file without the demo offices
		}
		if _, done := seeded[app.Office]; !done {
			n, err := a.store.CountApplications(ctx, app.Office)
			if err != nil {
				return nil, err
			}
			seeded[app.Office] = n == 0
		}
		if seeded[app.Office] {
			if _, err := a.store.UpsertApplication(ctx, app); err != nil {
				return nil, fmt.Errorf("demo: %w", err)
			}
		}
		hints = append(hints, web.Hint{Office: app.Office, Number: app.Number,
			BirthDate: app.BirthDate.Format("02-01-2006"), Stage: string(app.Stage)})
	}
	if len(hints) == 0 {
		a.log.Warn("--demo: none of the demo offices is in the offices file; nothing seeded")
	}
	for office, did := range seeded {
		if did {
			a.log.Info("demo applications seeded", "office", office)
		}
	}
	return hints, nil
}

// tuneGC lets the heap grow to five times what is live between
// collections, unless GOGC says otherwise. The gateway keeps little in
// memory (a few megabytes live under load) and allocates per message, so
// with Go's default (twice what is live) it collects more than ten times a
// second, each time also shrinking the stacks its workers then grow again
// (measured in docs/performance.md, stage F). Five times a small heap is
// still tens of megabytes; GOMEMLIMIT bounds it where memory is tight.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}
