package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/config"
)

// specEnv holds the settings SPEC.md names, so that this test does not
// change with every setting added to config.Env.
type specEnv struct {
	Addr, Database, OfficesPath, LogLevel, LogFormat          string
	AppSecret, VerifyToken, AccessToken, GraphURL, APIVersion string
}

func specSettings(e config.Env) specEnv {
	return specEnv{
		Addr: e.Addr, Database: e.Database, OfficesPath: e.OfficesPath, LogLevel: e.LogLevel, LogFormat: e.LogFormat,
		AppSecret: e.AppSecret, VerifyToken: e.VerifyToken, AccessToken: e.AccessToken, GraphURL: e.GraphURL, APIVersion: e.APIVersion,
	}
}

func TestFromEnv(t *testing.T) {
	defaults := specEnv{
		Addr:       "127.0.0.1:8080",
		Database:   "sqlite:data/sigap.db",
		LogLevel:   "info",
		LogFormat:  "text",
		GraphURL:   "https://graph.facebook.com",
		APIVersion: "v23.0",
	}
	tests := []struct {
		name string
		env  map[string]string
		want specEnv
	}{
		{"nothing set: SPEC defaults", nil, defaults},
		{"blank values fall back to the defaults", map[string]string{
			"SIGAP_ADDR": "  ", "SIGAP_DATABASE": "", "WHATSAPP_GRAPH_URL": "\t", "WHATSAPP_API_VERSION": " ",
		}, defaults},
		{"everything set", map[string]string{
			"SIGAP_ADDR":            "0.0.0.0:9000",
			"SIGAP_DATABASE":        "postgres://sigap:pw@db:5432/sigap?sslmode=disable",
			"SIGAP_OFFICES":         "/etc/sigap/offices.yaml",
			"SIGAP_LOG_LEVEL":       "debug",
			"SIGAP_LOG_FORMAT":      "json",
			"WHATSAPP_APP_SECRET":   "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
			"WHATSAPP_VERIFY_TOKEN": "sigap-verify-7f3a",
			"WHATSAPP_ACCESS_TOKEN": "EAAtestTOKEN123",
			"WHATSAPP_GRAPH_URL":    "http://127.0.0.1:18080",
			"WHATSAPP_API_VERSION":  "v25.0",
		}, specEnv{
			Addr:        "0.0.0.0:9000",
			Database:    "postgres://sigap:pw@db:5432/sigap?sslmode=disable",
			OfficesPath: "/etc/sigap/offices.yaml",
			LogLevel:    "debug",
			LogFormat:   "json",
			AppSecret:   "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
			VerifyToken: "sigap-verify-7f3a",
			AccessToken: "EAAtestTOKEN123",
			GraphURL:    "http://127.0.0.1:18080",
			APIVersion:  "v25.0",
		}},
		{"values with spaces around are trimmed", map[string]string{
			"SIGAP_ADDR": " :8080 ", "SIGAP_OFFICES": " offices.yaml\n",
		}, func() specEnv { e := defaults; e.Addr, e.OfficesPath = ":8080", "offices.yaml"; return e }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := config.FromEnv(envMap(tt.env))
			if err != nil {
				t.Fatalf("FromEnv: %v", err)
			}
			if diff := cmp.Diff(tt.want, specSettings(env)); diff != "" {
				t.Errorf("FromEnv mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromEnvLeases(t *testing.T) {
	tests := []struct {
		name             string
		env              map[string]string
		wantIn, wantOut  time.Duration
		wantErrNamingKey string
	}{
		{"defaults", nil, 5 * time.Second, 5 * time.Second, ""},
		{"both set", map[string]string{"SIGAP_INBOX_LEASE": "2m", "SIGAP_OUTBOX_LEASE": " 45s "}, 2 * time.Minute, 45 * time.Second, ""},
		{"exactly one second", map[string]string{"SIGAP_OUTBOX_LEASE": "1s"}, 5 * time.Second, time.Second, ""},
		{"under a second", map[string]string{"SIGAP_INBOX_LEASE": "500ms"}, 0, 0, "SIGAP_INBOX_LEASE"},
		{"negative", map[string]string{"SIGAP_OUTBOX_LEASE": "-30s"}, 0, 0, "SIGAP_OUTBOX_LEASE"},
		{"no unit", map[string]string{"SIGAP_OUTBOX_LEASE": "30"}, 0, 0, "SIGAP_OUTBOX_LEASE"},
		{"not a duration", map[string]string{"SIGAP_INBOX_LEASE": "a minute"}, 0, 0, "SIGAP_INBOX_LEASE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := config.FromEnv(envMap(tt.env))
			if tt.wantErrNamingKey != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrNamingKey) {
					t.Errorf("FromEnv error = %v, want one naming %s", err, tt.wantErrNamingKey)
				}
				return
			}
			if err != nil {
				t.Fatalf("FromEnv: %v", err)
			}
			if env.InboxLease != tt.wantIn || env.OutboxLease != tt.wantOut {
				t.Errorf("leases = %v, %v; want %v, %v", env.InboxLease, env.OutboxLease, tt.wantIn, tt.wantOut)
			}
		})
	}
}

func TestFromEnvDoubtWait(t *testing.T) {
	for _, tt := range []struct {
		set  string
		want time.Duration
	}{{"", 2 * time.Second}, {"5s", 5 * time.Second}, {"2m", 2 * time.Minute}, {"100ms", 0}, {"soon", 0}} {
		env, err := config.FromEnv(envMap(map[string]string{"SIGAP_OUTBOX_DOUBT_WAIT": tt.set}))
		if tt.want == 0 {
			if err == nil || !strings.Contains(err.Error(), "SIGAP_OUTBOX_DOUBT_WAIT") {
				t.Errorf("%q: error = %v, want one naming SIGAP_OUTBOX_DOUBT_WAIT", tt.set, err)
			}
			continue
		}
		if err != nil || env.DoubtWait != tt.want {
			t.Errorf("%q: DoubtWait = %v, %v; want %v", tt.set, env.DoubtWait, err, tt.want)
		}
	}
}

func TestParseDatabase(t *testing.T) {
	tests := []struct {
		in      string
		want    config.Database
		wantErr bool
	}{
		{"sqlite:data/sigap.db", config.Database{Engine: "sqlite", DSN: "data/sigap.db"}, false},
		{"sqlite://data/sigap.db", config.Database{Engine: "sqlite", DSN: "data/sigap.db"}, false},
		{"sqlite:///var/lib/sigap/sigap.db", config.Database{Engine: "sqlite", DSN: "/var/lib/sigap/sigap.db"}, false},
		{"sqlite:/var/lib/sigap/sigap.db", config.Database{Engine: "sqlite", DSN: "/var/lib/sigap/sigap.db"}, false},
		{"sqlite::memory:", config.Database{Engine: "sqlite", DSN: ":memory:"}, false},
		{"postgres://sigap:pw@127.0.0.1:5432/sigap?sslmode=disable",
			config.Database{Engine: "postgres", DSN: "postgres://sigap:pw@127.0.0.1:5432/sigap?sslmode=disable"}, false},
		{"postgresql://sigap@db/sigap", config.Database{Engine: "postgres", DSN: "postgresql://sigap@db/sigap"}, false},
		{"sqlite:", config.Database{}, true},
		{"sqlite://", config.Database{}, true},
		{"", config.Database{}, true},
		{"data/sigap.db", config.Database{}, true},
		{"mysql://root@localhost/sigap", config.Database{}, true},
		{"postgres:sigap", config.Database{}, true},
		{"SQLITE:data/sigap.db", config.Database{}, true},
		{"garbage", config.Database{}, true},
	}
	for _, tt := range tests {
		got, err := config.ParseDatabase(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseDatabase(%q) error = %v, want error: %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			if !strings.Contains(err.Error(), "SIGAP_DATABASE") {
				t.Errorf("ParseDatabase(%q) error %q does not name SIGAP_DATABASE", tt.in, err)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("ParseDatabase(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestFromEnvMetrics(t *testing.T) {
	token := "0123456789abcdef0123"
	env, err := config.FromEnv(func(k string) string {
		return map[string]string{"SIGAP_METRICS_ADDR": "127.0.0.1:9090", "SIGAP_METRICS_TOKEN": " " + token + " "}[k]
	})
	if err != nil || env.MetricsAddr != "127.0.0.1:9090" || env.MetricsToken != token {
		t.Errorf("FromEnv = %q, %q, %v; want the address and the trimmed token", env.MetricsAddr, env.MetricsToken, err)
	}
	env, err = config.FromEnv(func(string) string { return "" })
	if err != nil || env.MetricsAddr != "" || env.MetricsToken != "" {
		t.Errorf("without settings: %q, %q, %v; want no metrics", env.MetricsAddr, env.MetricsToken, err)
	}
	_, err = config.FromEnv(func(k string) string {
		return map[string]string{"SIGAP_METRICS_TOKEN": "short-secret"}[k]
	})
	if err == nil || !strings.Contains(err.Error(), "SIGAP_METRICS_TOKEN") || strings.Contains(err.Error(), "short-secret") {
		t.Errorf("a 12-character token: %v; want an error naming the variable, not the token", err)
	}
}

func TestFromEnvRetention(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name             string
		env              map[string]string
		want             sigap.RetentionPolicy
		wantErrNamingKey string
	}{
		{"defaults", nil, sigap.DefaultRetention(), ""},
		{"days and durations", map[string]string{
			"SIGAP_RETAIN_MESSAGE_TEXT":  "6h",
			"SIGAP_RETAIN_MESSAGE_IDS":   "7d",
			"SIGAP_RETAIN_REPLIES":       " 14d ",
			"SIGAP_RETAIN_CONVERSATIONS": "30d",
			"SIGAP_RETAIN_TICKETS":       "730d",
			"SIGAP_RETAIN_SUBSCRIPTIONS": "180d",
			"SIGAP_RETAIN_APPLICATIONS":  "8760h",
			"SIGAP_RETAIN_TEST_SENDERS":  "2h",
			"SIGAP_RETAIN_API_WRITES":    "90d",
			"SIGAP_RETAIN_AUDIT":         "730d",
		}, sigap.RetentionPolicy{
			MessageText: 6 * time.Hour, Messages: 7 * day, Replies: 14 * day, Conversations: 30 * day,
			Tickets: 730 * day, Subscriptions: 180 * day, Applications: 365 * day, TestSenders: 2 * time.Hour,
			Runs: sigap.DefaultKeepRuns, APIWrites: 90 * day, Audit: 730 * day,
		}, ""},
		{"message ids within Meta's redelivery", map[string]string{"SIGAP_RETAIN_MESSAGE_IDS": "3d"}, sigap.RetentionPolicy{}, "SIGAP_RETAIN_MESSAGE_IDS"},
		{"under an hour", map[string]string{"SIGAP_RETAIN_MESSAGE_TEXT": "30m"}, sigap.RetentionPolicy{}, "SIGAP_RETAIN_MESSAGE_TEXT"},
		{"zero", map[string]string{"SIGAP_RETAIN_TICKETS": "0d"}, sigap.RetentionPolicy{}, "SIGAP_RETAIN_TICKETS"},
		{"negative", map[string]string{"SIGAP_RETAIN_REPLIES": "-30d"}, sigap.RetentionPolicy{}, "SIGAP_RETAIN_REPLIES"},
		{"no unit", map[string]string{"SIGAP_RETAIN_CONVERSATIONS": "90"}, sigap.RetentionPolicy{}, "SIGAP_RETAIN_CONVERSATIONS"},
		{"months are not a unit", map[string]string{"SIGAP_RETAIN_APPLICATIONS": "12mo"}, sigap.RetentionPolicy{}, "SIGAP_RETAIN_APPLICATIONS"},
		{"fractional days", map[string]string{"SIGAP_RETAIN_SUBSCRIPTIONS": "1.5d"}, sigap.RetentionPolicy{}, "SIGAP_RETAIN_SUBSCRIPTIONS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := config.FromEnv(envMap(tt.env))
			if tt.wantErrNamingKey != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrNamingKey) {
					t.Errorf("FromEnv error = %v, want one naming %s", err, tt.wantErrNamingKey)
				}
				return
			}
			if err != nil {
				t.Fatalf("FromEnv: %v", err)
			}
			if diff := cmp.Diff(tt.want, env.Retention); diff != "" {
				t.Errorf("retention (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromEnvSQLiteMmap(t *testing.T) {
	for _, tt := range []struct {
		set  string
		want int64 // -1: refused
	}{{"", 0}, {"0", 0}, {"2GiB", 2 << 30}, {"512 MiB", 512 << 20}, {"64KiB", 64 << 10}, {"1048576", 1 << 20},
		{"65GiB", -1}, {"-1", -1}, {"2GB", -1}, {"lots", -1}} {
		env, err := config.FromEnv(envMap(map[string]string{"SIGAP_SQLITE_MMAP": tt.set}))
		if tt.want < 0 {
			if err == nil || !strings.Contains(err.Error(), "SIGAP_SQLITE_MMAP") {
				t.Errorf("%q: error = %v, want one naming SIGAP_SQLITE_MMAP", tt.set, err)
			}
			continue
		}
		if err != nil || env.SQLiteMmap != tt.want {
			t.Errorf("%q: SQLiteMmap = %d, %v; want %d", tt.set, env.SQLiteMmap, err, tt.want)
		}
	}
}
