package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigap-id/sigap/internal/demo"
	"github.com/sigap-id/sigap/internal/store/pgtest"
)

// What `sigap serve` answers on its public address, and where its metrics
// are, through the real command on a loopback port.

// officesFile writes the demo offices to a file, for runs without --demo.
func officesFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "offices.yaml")
	if err := os.WriteFile(path, demo.OfficesYAML, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitFor waits until buf holds want and returns what it holds.
func waitFor(t *testing.T, buf *lockedBuffer, want string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := buf.String()
		if strings.Contains(got, want) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q never appeared in:\n%s", want, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fetch GETs url without following redirects, with header pairs.
func fetch(t *testing.T, url string, header ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
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
	return resp.StatusCode, resp.Header, string(body)
}

func (g *running) simulate(t *testing.T, contentType string, msg map[string]string) (int, string) {
	t.Helper()
	b, _ := json.Marshal(msg)
	resp, err := http.Post(g.url+"/simulator/messages", contentType, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestServeWithoutDemoServesNoSimulator(t *testing.T) {
	g := startServe(t, nil, map[string]string{"SIGAP_OFFICES": officesFile(t), "SIGAP_LOG_LEVEL": "info"})
	out := waitFor(t, g.stdout, "health:")
	if strings.Contains(out, "simulator") || strings.Contains(out, "metrics") {
		t.Errorf("serve without --demo printed a simulator or metrics address:\n%s", out)
	}
	for _, path := range []string{"/", "/static/simulator.js", "/static/", "/metrics", "/debug/pprof/"} {
		if code, _, _ := fetch(t, g.url+path); code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, code)
		}
	}
	// The simulator is the console's: signed-in staff only.
	for path, want := range map[string]string{"/simulator": "/admin/simulator", "/admin/simulator": "/admin/login"} {
		if code, h, _ := fetch(t, g.url+path); code != http.StatusSeeOther || h.Get("Location") != want {
			t.Errorf("GET %s = %d to %q, want 303 to %s", path, code, h.Get("Location"), want)
		}
	}
	code, _ := g.simulate(t, "application/json", map[string]string{"office": "jakpus", "from": "tester", "text": "halo"})
	if code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
		t.Errorf("POST /simulator/messages = %d, want 404", code)
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		if code, _, _ := fetch(t, g.url+path); code != want {
			t.Errorf("GET %s = %d, want %d", path, code, want)
		}
	}
	if n := strings.Count(waitFor(t, g.log, "sigap serving"), "metrics are not served"); n != 1 {
		t.Errorf("the log says %d times that metrics are not served, want once", n)
	}
}

func TestServeSimulatorUnderDemo(t *testing.T) {
	g := startGateway(t, nil)
	waitFor(t, g.stdout, "simulator:  "+g.url+"/simulator")
	if code, _, body := fetch(t, g.url+"/simulator"); code != 200 || !strings.Contains(body, "compose") {
		t.Errorf("GET /simulator = %d, want the page", code)
	}
	if code, h, _ := fetch(t, g.url+"/"); code != http.StatusFound || h.Get("Location") != "/simulator" {
		t.Errorf("GET / = %d to %q, want a redirect to /simulator", code, h.Get("Location"))
	}
	if code, _, body := fetch(t, g.url+"/static/"); code != http.StatusNotFound || strings.Contains(body, "simulator.js") {
		t.Errorf("GET /static/ = %d %q, want 404 without a listing", code, body)
	}
	msg := func(from, text string) map[string]string {
		return map[string]string{"office": "jakpus", "from": from, "text": text}
	}
	for _, tt := range []struct {
		name, contentType string
		msg               map[string]string
		code              int
		says              string
	}{
		{"a text message", "application/json", msg("tester-1", "#bayar"), 200, "Rp950.000"},
		{"text/plain, as a form on another site sends", "text/plain", msg("tester-1", "#bayar"), 415, "application/json"},
		{"longer than WhatsApp allows", "application/json", msg("tester-1", strings.Repeat("a", 4097)), 400, "4096"},
		{"a sender that is not a test sender", "application/json", msg("6281234567890@s.whatsapp.net", "halo"), 400, "test sender"},
	} {
		code, body := g.simulate(t, tt.contentType, tt.msg)
		if code != tt.code || !strings.Contains(body, tt.says) {
			t.Errorf("%s: %d %s, want %d saying %q", tt.name, code, body, tt.code, tt.says)
		}
	}
}

func TestServeMetricsOnTheirOwnAddress(t *testing.T) {
	addr := freeAddr(t)
	g := startGateway(t, map[string]string{"SIGAP_METRICS_ADDR": addr})
	waitFor(t, g.stdout, "metrics:    http://"+addr+"/metrics")
	if code, _, body := fetch(t, "http://"+addr+"/metrics"); code != 200 || !strings.Contains(body, "sigap_inbound_messages_total") {
		t.Errorf("GET /metrics on the metrics address = %d, want the metrics", code)
	}
	for _, path := range []string{"/healthz", "/webhooks/whatsapp", "/simulator"} {
		if code, _, _ := fetch(t, "http://"+addr+path); code != http.StatusNotFound {
			t.Errorf("the metrics address serves %s: %d", path, code)
		}
	}
	if code, _, _ := fetch(t, g.url+"/metrics"); code != http.StatusNotFound {
		t.Errorf("GET /metrics on the public address = %d, want 404", code)
	}
}

func TestServeMetricsBehindAToken(t *testing.T) {
	const token = "scrape-token-0123456789"
	g := startGateway(t, map[string]string{"SIGAP_METRICS_TOKEN": token})
	for _, tt := range []struct {
		name, auth string
		code       int
	}{
		{"no token", "", 401},
		{"wrong token", "Bearer scrape-token-0123456788", 401},
		{"right token", "Bearer " + token, 200},
	} {
		var h []string
		if tt.auth != "" {
			h = []string{"Authorization", tt.auth}
		}
		code, _, body := fetch(t, g.url+"/metrics", h...)
		if code != tt.code {
			t.Errorf("%s: /metrics = %d, want %d", tt.name, code, tt.code)
		}
		if shown := strings.Contains(body, "sigap_inbound_messages_total"); shown != (tt.code == 200) {
			t.Errorf("%s: metrics shown = %v", tt.name, shown)
		}
	}
	if strings.Contains(g.log.String(), token) {
		t.Error("the log shows the scrape token")
	}
}

// TestServeLogsNoDatabasePassword: a database that cannot be reached, or
// whose URL does not parse, with a password in the URL and in a parameter;
// neither the log nor the error shows either.
func TestServeLogsNoDatabasePassword(t *testing.T) {
	const pw, param = "s3cret-pw-4242", "other-secret-99"
	for _, db := range []string{
		"postgres://sigap:" + pw + "@127.0.0.1:1/sigap?sslmode=disable&password=" + param + "&connect_timeout=2",
		"postgres://sigap:" + pw + "@127.0.0.1:99999/sigap?password=" + param,
		"postgresql://sigap:" + pw + "@127.0.0.1:1/sigap?sslmode=nonsense&password=" + param,
	} {
		env := map[string]string{"SIGAP_DATABASE": db, "SIGAP_LOG_LEVEL": "debug"}
		var stdout, stderr bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := run(ctx, []string{"serve", "--demo"}, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
		cancel()
		if err == nil {
			t.Fatal("serve started on a database that is not there")
		}
		all := err.Error() + "\n" + stderr.String() + stdout.String()
		for _, secret := range []string{pw, param} {
			if strings.Contains(all, secret) {
				t.Errorf("the password %q is shown:\n%s", secret, all)
			}
		}
	}
}

// TestServeLogsNoDatabasePasswordPostgres runs serve on PostgreSQL with a
// password in its URL (the test server trusts local connections, so any
// password is accepted) and reads the whole log.
func TestServeLogsNoDatabasePasswordPostgres(t *testing.T) {
	const pw = "s3cret-pw-4242"
	u, err := url.Parse(pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), pw)
	g := startGateway(t, map[string]string{"SIGAP_DATABASE": u.String(), "SIGAP_LOG_LEVEL": "debug"})
	g.deliver(t, textDelivery(jakpusPhoneID, [3]string{"wamid.PW1", "6281111", "halo"}))
	g.graph.WaitSent(1, 10*time.Second)
	if err := g.stop(); err != nil {
		t.Fatal(err)
	}
	log := waitFor(t, g.log, "sigap serving")
	if strings.Contains(log, pw) {
		t.Errorf("the log shows the database password:\n%s", log)
	}
	if !strings.Contains(log, ":REDACTED@"+u.Host) {
		t.Errorf("the log does not name the database (without its password):\n%s", log)
	}
}
