package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/web"
)

const metricsToken = "scrape-0123456789abcdef"

// logBuffer collects log output written while the server runs.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// chatted records the messages the simulator handed to the bot.
type chatted struct {
	mu   sync.Mutex
	msgs []sigap.InboundMessage
}

func (c *chatted) chat(_ context.Context, _ sigap.Office, m sigap.InboundMessage) ([]sigap.Reply, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, m)
	return []sigap.Reply{{Text: "hai"}}, nil
}

type setup struct {
	ready        error // what Ready answers
	simulator    bool
	metricsToken string
	perMinute    int
}

// start runs the routes on a real server on 127.0.0.1.
func start(t *testing.T, s setup) (string, *chatted, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := &chatted{}
	srv := &web.Server{
		Ready: func(context.Context) error { return s.ready },
		Receivers: map[string]http.Handler{"/webhooks/whatsapp": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
		})},
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "sigap_inbound_messages_total 0\n")
		}),
		MetricsToken: s.metricsToken,
		Log:          log,
	}
	if s.simulator {
		srv.Simulator = &web.Simulator{
			Offices:   []sigap.Office{{Code: "jakpus", Name: "Kantor Imigrasi Jakarta Pusat"}},
			Chat:      c.chat,
			Hints:     []web.Hint{{Office: "jakpus", Number: "1060202611000007", BirthDate: "09-09-1999", Stage: "ready"}},
			PerMinute: s.perMinute,
		}
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL, c, logs
}

func get(t *testing.T, url string, header ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestPublicSurfaceWithoutDemo(t *testing.T) {
	url, _, _ := start(t, setup{})
	for _, tt := range []struct {
		path string
		code int
	}{
		{"/healthz", 200},
		{"/readyz", 200},
		{"/", 404},
		{"/simulator", 404},
		{"/static/simulator.js", 404},
		{"/static/", 404},
		{"/metrics", 404},
	} {
		if code, _ := get(t, url+tt.path); code != tt.code {
			t.Errorf("GET %s = %d, want %d", tt.path, code, tt.code)
		}
	}
	resp, err := http.Post(url+"/simulator/messages", "application/json", strings.NewReader(`{"office":"jakpus","from":"a","text":"halo"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /simulator/messages = %d, want 404", resp.StatusCode)
	}
}

func TestSimulatorUnderDemo(t *testing.T) {
	url, _, _ := start(t, setup{simulator: true})
	if code, body := get(t, url+"/simulator"); code != 200 || !strings.Contains(body, "1060202611000007") {
		t.Errorf("GET /simulator = %d, want 200 with the demo applications", code)
	}
	if code, _ := get(t, url+"/"); code != http.StatusFound {
		t.Errorf("GET / = %d, want a redirect to the simulator", code)
	}
	if code, body := get(t, url+"/static/simulator.js"); code != 200 || !strings.Contains(body, "/simulator/messages") {
		t.Errorf("GET /static/simulator.js = %d", code)
	}
	// No folder is listed, however it is asked for.
	for _, p := range []string{"/static/", "/static", "/static/./", "/static//", "/static/../static/"} {
		code, body := get(t, url+p)
		if code == 200 || strings.Contains(body, "simulator.css") {
			t.Errorf("GET %s = %d %q, want no listing", p, code, body)
		}
	}
}

func TestMetricsNeedTheScrapeToken(t *testing.T) {
	url, _, _ := start(t, setup{metricsToken: metricsToken})
	for _, tt := range []struct {
		name, auth string
		code       int
	}{
		{"no token", "", 401},
		{"wrong token", "Bearer scrape-0123456789abcdeX", 401},
		{"token prefix", "Bearer " + metricsToken[:8], 401},
		{"not bearer", "Basic " + metricsToken, 401},
		{"right token", "Bearer " + metricsToken, 200},
	} {
		var h []string
		if tt.auth != "" {
			h = []string{"Authorization", tt.auth}
		}
		code, body := get(t, url+"/metrics", h...)
		if code != tt.code {
			t.Errorf("%s: /metrics = %d, want %d", tt.name, code, tt.code)
		}
		if code != 200 && strings.Contains(body, "sigap_") {
			t.Errorf("%s: metrics shown without the token", tt.name)
		}
	}
}

func TestReadyzShowsNoInternals(t *testing.T) {
	dbErr := errors.New(`failed to connect to user=sigap database=sigap: 10.0.0.7:5432: dial error`)
	url, _, logs := start(t, setup{ready: dbErr})
	for range 3 {
		code, body := get(t, url+"/readyz")
		if code != http.StatusServiceUnavailable || body != "not ready\n" {
			t.Errorf("/readyz = %d %q, want 503 \"not ready\"", code, body)
		}
	}
	log := logs.String()
	if !strings.Contains(log, "level=WARN") || !strings.Contains(log, "10.0.0.7:5432") {
		t.Errorf("the reason is not in the log:\n%s", log)
	}
	if n := strings.Count(log, "msg=\"not ready\""); n != 1 {
		t.Errorf("the same failure logged %d times, want once:\n%s", n, log)
	}
}

func postSim(t *testing.T, url, contentType, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url+"/simulator/messages", contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Error   string        `json:"error"`
		Replies []sigap.Reply `json:"replies"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&got)
	return resp.StatusCode, got.Error
}

func simBody(from, text string) string {
	b, _ := json.Marshal(map[string]string{"office": "jakpus", "from": from, "text": text})
	return string(b)
}

func TestSimulatorRefusesWhatWhatsAppWouldNot(t *testing.T) {
	url, c, _ := start(t, setup{simulator: true})
	long := strings.Repeat("é", web.MaxSimulatorText)
	for _, tt := range []struct {
		name, contentType, body string
		code                    int
		errHas                  string
	}{
		{"JSON", "application/json", simBody("6281200000001", "halo"), 200, ""},
		{"JSON with charset", "application/json; charset=utf-8", simBody("tester-2", "halo"), 200, ""},
		{"text at the limit", "application/json", simBody("tester-3", long), 200, ""},
		{"text/plain (a cross-site form)", "text/plain", simBody("tester-4", "halo"), 415, "application/json"},
		{"form", "application/x-www-form-urlencoded", "office=jakpus&from=x&text=halo", 415, "application/json"},
		{"no content type", "", simBody("tester-5", "halo"), 415, "application/json"},
		{"text over the limit", "application/json", simBody("tester-6", long+"x"), 400, "4096"},
		{"sender with a colon", "application/json", simBody("wa:6281234567890", "halo"), 400, "test sender"},
		{"sender too long", "application/json", simBody(strings.Repeat("a", 33), "halo"), 400, "test sender"},
		{"sender in capitals", "application/json", simBody("Tester", "halo"), 400, "test sender"},
		{"no sender", "application/json", simBody("", "halo"), 400, "test sender"},
		{"unknown office", "application/json", `{"office":"nowhere","from":"a","text":"halo"}`, 400, "office"},
		{"unknown kind", "application/json", `{"office":"jakpus","from":"a","kind":"payment","text":"x"}`, 400, "kind"},
		{"not JSON", "application/json", `{"office":`, 400, "JSON"},
	} {
		code, msg := postSim(t, url, tt.contentType, tt.body)
		if code != tt.code || !strings.Contains(msg, tt.errHas) {
			t.Errorf("%s: %d %q, want %d with %q", tt.name, code, msg, tt.code, tt.errHas)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.msgs) != 3 {
		t.Fatalf("%d messages reached the bot, want the 3 good ones", len(c.msgs))
	}
	for _, m := range c.msgs {
		if !strings.HasPrefix(m.From, "sim:") || !strings.HasPrefix(m.ID, "sim.") {
			t.Errorf("a simulator message stored as from %q, id %q; want the sim: prefix", m.From, m.ID)
		}
	}
}

func TestSimulatorLimitsEachAddress(t *testing.T) {
	url, c, _ := start(t, setup{simulator: true, perMinute: 5})
	codes := map[int]int{}
	for i := range 8 {
		// A new sender each time: the limit is the client's, not the sender's.
		code, _ := postSim(t, url, "application/json", simBody("t"+strings.Repeat("x", i), "halo"))
		codes[code]++
	}
	if codes[200] != 5 || codes[http.StatusTooManyRequests] != 3 {
		t.Errorf("answers to 8 messages at once with a limit of 5: %v", codes)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.msgs) != 5 {
		t.Errorf("%d messages reached the bot, want 5", len(c.msgs))
	}
}
