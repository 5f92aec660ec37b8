package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/bot"
	"github.com/sigap-id/sigap/internal/config"
	"github.com/sigap-id/sigap/internal/content"
	"github.com/sigap-id/sigap/internal/demo"
	"github.com/sigap-id/sigap/internal/gateway"
	"github.com/sigap-id/sigap/internal/metrics"
	"github.com/sigap-id/sigap/internal/store/postgres"
	"github.com/sigap-id/sigap/internal/store/sqlite"
	"github.com/sigap-id/sigap/internal/store/sqlstore"
	"github.com/sigap-id/sigap/internal/whatsapp"
)

// app is what every subcommand shares: configuration, logger, offices and store.
type app struct {
	env     config.Env
	log     *slog.Logger
	offices *config.Offices
	store   *sqlstore.Store
	// migrations are the store engine's.
	migrations sqlstore.Migrations
	engine     string // "sqlite" or "postgres"
	// metrics count what the processor's parts report; nil counts nothing.
	metrics *metrics.Metrics
	// channels are the transports an office may name (the offices file's
	// channel:), by name. Only here does SIGAP know them.
	channels map[string]sigap.Channel
	// now is the one clock: the store's and the gateway's.
	now    func() time.Time
	extras // the console's content changes and counts (extras.go)
}

// newChannels makes the channels an office may name. A second transport
// is a package of its own and a line here; if it receives over HTTP
// (receiver.Receiver), serve mounts its receiver at its path.
// (A variable so that a test can add a channel of its own.)
var newChannels = func(env config.Env, log *slog.Logger) map[string]sigap.Channel {
	return map[string]sigap.Channel{
		whatsapp.ChannelName: &whatsapp.Channel{Client: whatsapp.NewClient(env.GraphURL, env.APIVersion), Token: env.AccessToken,
			AppSecret: env.AppSecret, VerifyToken: env.VerifyToken, Log: log},
	}
}

// channel finds a channel by name.
func (a *app) channel(name string) (sigap.Channel, bool) {
	ch, ok := a.channels[name]
	return ch, ok
}

func newLogger(env config.Env, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(env.LogLevel)); err != nil {
		return nil, fmt.Errorf("SIGAP_LOG_LEVEL %q: want debug, info, warn or error", env.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: safeAttr}
	switch strings.ToLower(env.LogFormat) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("SIGAP_LOG_FORMAT %q: want text or json", env.LogFormat)
}

// officesRule is what a subcommand does when SIGAP_OFFICES is not set. It
// is the one rule for the embedded demo offices: a command that serves or
// stores on real offices' behalf never runs on the demo's by accident,
// because rows naming demo offices would enter a production database.
type officesRule int

const (
	officesRequired   officesRule = iota // serve, import: an error (unless --demo)
	officesOrDemo                        // --demo: the demo offices, and the log says so
	officesOrDemoWarn                    // chat, a developer's tool: the demo offices, with a warning
	officesIfSet                         // outbox: the file if set, never the demo's
	officesUnused                        // migrate, privacy: offices are not read
)

// errNoOffices is the refusal of officesRequired.
var errNoOffices = errors.New("SIGAP_OFFICES is not set: set it to your offices file, or run with --demo to use the demo offices")

// loadOffices applies the rule; nil offices mean none were read.
func loadOffices(env config.Env, getenv func(string) string, log *slog.Logger, rule officesRule, channels map[string]sigap.Channel) (*config.Offices, error) {
	switch {
	case rule == officesUnused:
		return nil, nil
	case env.OfficesPath != "":
		return config.LoadOffices(env.OfficesPath, getenv, channels)
	case rule == officesRequired:
		return nil, errNoOffices
	case rule == officesIfSet:
		return nil, nil
	}
	o, err := config.ParseOffices("embedded demo offices", demo.OfficesYAML, getenv, channels)
	if err != nil {
		return nil, err
	}
	if rule == officesOrDemoWarn {
		log.Warn("SIGAP_OFFICES is not set: using the embedded demo offices", "offices", officeNames(o))
	} else {
		log.Info("--demo and no SIGAP_OFFICES: using the embedded demo offices", "offices", officeNames(o))
	}
	return o, nil
}

// open reads the configuration and opens the store, migrating it if asked;
// without SIGAP_OFFICES it refuses (openWith says otherwise).
func open(ctx context.Context, getenv func(string) string, stderr io.Writer, migrate bool) (*app, error) {
	return openWith(ctx, getenv, stderr, migrate, officesRequired)
}

// openWith is open with the subcommand's demo rule.
func openWith(ctx context.Context, getenv func(string) string, stderr io.Writer, migrate bool, rule officesRule) (*app, error) {
	env, err := config.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	log, err := newLogger(env, stderr)
	if err != nil {
		return nil, err
	}
	slog.SetDefault(log)
	a := &app{env: env, log: log, channels: newChannels(env, log), now: time.Now}
	if a.offices, err = loadOffices(env, getenv, log, rule, a.channels); err != nil {
		return nil, err
	}
	db, err := config.ParseDatabase(env.Database)
	if err != nil {
		return nil, err
	}
	a.engine = db.Engine
	switch db.Engine {
	case "sqlite":
		a.store, err = sqlite.Open(ctx, db.DSN, sqlite.Options{Migrate: migrate, Log: log, Now: a.now, MmapSize: env.SQLiteMmap})
		a.migrations = sqlite.Migrations
	case "postgres":
		a.store, err = postgres.Open(ctx, db.DSN, postgres.Options{Migrate: migrate, Log: log, Now: a.now})
		a.migrations = postgres.Migrations
	}
	if err != nil {
		return nil, err
	}
	a.store.SetDoubtWait(env.DoubtWait)
	a.store.SetHolder(instanceName())
	return a, nil
}

// processor builds the bot and the gateway around it, without an outbox
// sender: for the terminal chat.
func (a *app) processor() (*gateway.Processor, error) {
	return a.processorWith(gateway.Options{})
}

// processorWith builds the bot and the gateway around it, made of o and
// the app's store, offices and log.
func (a *app) processorWith(o gateway.Options) (*gateway.Processor, error) {
	cat, err := content.Load()
	if err != nil {
		return nil, err
	}
	offices := a.liveOffices(cat).ByCode // the offices file with the console's changes
	a.bot = bot.New(cat, bot.Deps{
		Applications: a.store, Directory: a.store, Tickets: a.store, Subscriptions: a.store,
		Guard:   gateway.ReportingGuard{LookupGuard: a.store, Log: a.log, Metrics: a.metrics},
		Offices: offices, Retention: a.env.Retention, Queue: a.store, Observe: a.observe(),
	}, nil)
	o.Bot = a.bot
	o.Store, o.Offices, o.Log, o.Now, o.Metrics = a.store, offices, a.log, a.now, a.metrics
	o.Channels = a.channel
	return gateway.NewProcessor(o), nil
}

func officeNames(o *config.Offices) string {
	var codes []string
	for _, office := range o.List() {
		codes = append(codes, office.Code)
	}
	return strings.Join(codes, ", ")
}

var _ sigap.Store = (*sqlstore.Store)(nil)
