package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/lease"
)

// Env is the configuration read from the environment (see the README).
type Env struct {
	Addr        string // SIGAP_ADDR
	Database    string // SIGAP_DATABASE
	OfficesPath string // SIGAP_OFFICES; empty: none (cmd/sigap's officesRule says what each command does then)
	LogLevel    string // SIGAP_LOG_LEVEL: debug, info, warn, error
	LogFormat   string // SIGAP_LOG_FORMAT: text or json
	// DebugAddr (SIGAP_DEBUG_ADDR), when set, serves Go's profiler
	// (/debug/pprof/) on its own listener, apart from the public one.
	DebugAddr string
	// MetricsAddr (SIGAP_METRICS_ADDR), when set, serves /metrics on its
	// own listener; MetricsToken (SIGAP_METRICS_TOKEN), when set, is the
	// bearer token a scrape must show, and without MetricsAddr puts
	// /metrics on the public listener behind it. With neither, no metrics.
	MetricsAddr, MetricsToken string

	AppSecret   string // WHATSAPP_APP_SECRET
	VerifyToken string // WHATSAPP_VERIFY_TOKEN
	AccessToken string // WHATSAPP_ACCESS_TOKEN
	GraphURL    string // WHATSAPP_GRAPH_URL
	APIVersion  string // WHATSAPP_API_VERSION

	// InboxLease and OutboxLease (SIGAP_INBOX_LEASE, SIGAP_OUTBOX_LEASE) are
	// how long a claimed message is reserved for the replica working on
	// it, renewed every fifth of it while the replica lives; after a
	// crash, its work is taken up again when they run out.
	InboxLease, OutboxLease time.Duration
	// DoubtWait (SIGAP_OUTBOX_DOUBT_WAIT) is how long a reply in doubt
	// (its sender died holding it, perhaps mid-send) waits, from the end
	// of its claim, for a status webhook naming it before it is sent once
	// more.
	DoubtWait time.Duration

	// Retention (SIGAP_RETAIN_*, see retention.go) is how long each kind
	// of personal data is kept; every period is set (the defaults filled in).
	Retention sigap.RetentionPolicy

	// APIRateLimit (SIGAP_API_RATE_LIMIT) is how many requests one
	// integration API token may make a minute, counted in the database so
	// that replicas share it.
	APIRateLimit int

	// SQLiteMmap (SIGAP_SQLITE_MMAP) is how much of the SQLite file each
	// connection may read through memory mapping instead of read calls;
	// 0, the default, none. A database larger than SQLite's page cache
	// (millions of applications) is looked up as fast as a small one once
	// its pages are mapped (docs/performance.md).
	SQLiteMmap int64
}

// FromEnv reads the environment, filling in the defaults.
func FromEnv(getenv func(string) string) (Env, error) {
	get := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	env := Env{
		Addr:        get("SIGAP_ADDR", "127.0.0.1:8080"),
		Database:    get("SIGAP_DATABASE", "sqlite:data/sigap.db"),
		OfficesPath: get("SIGAP_OFFICES", ""),
		LogLevel:    get("SIGAP_LOG_LEVEL", "info"),
		LogFormat:   get("SIGAP_LOG_FORMAT", "text"),
		DebugAddr:   get("SIGAP_DEBUG_ADDR", ""),
		MetricsAddr: get("SIGAP_METRICS_ADDR", ""),
		AppSecret:   getenv("WHATSAPP_APP_SECRET"),
		VerifyToken: getenv("WHATSAPP_VERIFY_TOKEN"),
		AccessToken: getenv("WHATSAPP_ACCESS_TOKEN"),
		GraphURL:    get("WHATSAPP_GRAPH_URL", "https://graph.facebook.com"),
		APIVersion:  get("WHATSAPP_API_VERSION", "v23.0"),
	}
	env.MetricsToken = get("SIGAP_METRICS_TOKEN", "")
	if n := len(env.MetricsToken); n > 0 && n < minMetricsToken {
		return env, fmt.Errorf("SIGAP_METRICS_TOKEN: %d characters; want at least %d, e.g. from: openssl rand -hex 16", n, minMetricsToken)
	}
	var err error
	if env.Retention, err = retentionFromEnv(get); err != nil {
		return env, err
	}
	for _, d := range []struct {
		key  string
		def  time.Duration
		into *time.Duration
	}{
		// A replica that dies has its messages taken over within the
		// inbox lease, and its replies in doubt within the outbox lease
		// and the doubt wait: together within 10 s. A live one renews
		// its claims (one statement a table every second), so no send
		// or answer, however slow, outlasts them.
		{"SIGAP_INBOX_LEASE", DefaultLease, &env.InboxLease},
		{"SIGAP_OUTBOX_LEASE", DefaultLease, &env.OutboxLease},
		{"SIGAP_OUTBOX_DOUBT_WAIT", DefaultDoubtWait, &env.DoubtWait},
	} {
		*d.into = d.def
		if v := get(d.key, ""); v != "" {
			if *d.into, err = time.ParseDuration(v); err != nil || *d.into < time.Second {
				return env, fmt.Errorf("%s %q: want a duration of at least 1s, e.g. 30s", d.key, v)
			}
		}
	}
	env.APIRateLimit = 600
	if v := get("SIGAP_API_RATE_LIMIT", ""); v != "" {
		if _, err := fmt.Sscan(v, &env.APIRateLimit); err != nil || env.APIRateLimit < 1 || env.APIRateLimit > 1_000_000 || fmt.Sprint(env.APIRateLimit) != v {
			return env, fmt.Errorf("SIGAP_API_RATE_LIMIT %q: want requests a minute per token, 1 to 1000000", v)
		}
	}
	if v := get("SIGAP_SQLITE_MMAP", ""); v != "" {
		if env.SQLiteMmap, err = parseBytes(v); err != nil {
			return env, fmt.Errorf("SIGAP_SQLITE_MMAP %q: %w", v, err)
		}
	}
	return env, nil
}

// parseBytes reads a size: a whole number of bytes, or of KiB, MiB or GiB
// ("2GiB"), from 0 to 64 GiB.
func parseBytes(v string) (int64, error) {
	num, mult := v, int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if strings.HasSuffix(v, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(v, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (64<<30)/mult {
		return 0, fmt.Errorf("want a size from 0 to 64GiB, e.g. 2GiB, 512MiB or a number of bytes")
	}
	return n * mult, nil
}

// The defaults of the leases and the doubt wait. The doubt wait counts
// from the end of a claim, which is at least 4 s (a lease less a renewal)
// after any send its holder began: a status Meta posts within 6 s of a
// send is in time. A dead replica's replies in doubt are sent again within
// 5 + 2 s and a poll (1 s) of its death.
const (
	DefaultLease     = lease.Default
	DefaultDoubtWait = 2 * time.Second
)

// minMetricsToken is the shortest SIGAP_METRICS_TOKEN: it guards the
// metrics on the public listener, so it must not be guessable.
const minMetricsToken = 16

// Database is a parsed SIGAP_DATABASE.
type Database struct {
	Engine string // "sqlite" or "postgres"
	DSN    string // the file path for sqlite, the URL for postgres
}

// ParseDatabase reads SIGAP_DATABASE: sqlite:PATH or a postgres:// URL.
func ParseDatabase(s string) (Database, error) {
	switch {
	case strings.HasPrefix(s, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(s, "sqlite:"), "//")
		if path == "" {
			return Database{}, fmt.Errorf("SIGAP_DATABASE %q: want sqlite:PATH", s)
		}
		return Database{Engine: "sqlite", DSN: path}, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return Database{Engine: "postgres", DSN: s}, nil
	}
	return Database{}, fmt.Errorf("SIGAP_DATABASE %q: want sqlite:PATH or postgres://…", RedactDatabase(s))
}
