package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sigap-id/sigap/internal/graphtest"
	"github.com/sigap-id/sigap/internal/whatsapp"
)

const (
	testSecret      = "app-secret-for-tests"
	testVerifyToken = "verify-me"
	testAccessToken = "EAAG-test-token"
	jakpusPhoneID   = "100000000000001"
	mataramPhoneID  = "100000000000002"
)

// running is a running `sigap serve` with a Graph API stand-in.
type running struct {
	url    string
	graph  *graphtest.Server
	stop   func() error
	stdout *lockedBuffer // all it printed
	log    *lockedBuffer // all it logged
}

// startGateway runs the real serve command on a free loopback port, with
// the demo offices and applications, sending to a Graph API stand-in.
func startGateway(t *testing.T, extraEnv map[string]string) *running {
	t.Helper()
	return startServe(t, []string{"--demo"}, extraEnv)
}

// startServe runs sigap serve with args, as startGateway does.
func startServe(t *testing.T, args []string, extraEnv map[string]string) *running {
	t.Helper()
	graph, err := graphtest.Start(testAccessToken)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { graph.Close() })
	env := map[string]string{
		"SIGAP_ADDR":            "127.0.0.1:0",
		"SIGAP_DATABASE":        "sqlite:" + filepath.Join(t.TempDir(), "sigap.db"),
		"SIGAP_LOG_LEVEL":       "warn",
		"WHATSAPP_APP_SECRET":   testSecret,
		"WHATSAPP_VERIFY_TOKEN": testVerifyToken,
		"WHATSAPP_ACCESS_TOKEN": testAccessToken,
		"WHATSAPP_GRAPH_URL":    graph.URL,
		"WHATSAPP_API_VERSION":  "v23.0",
	}
	for k, v := range extraEnv {
		env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	stdout, logged := &lockedBuffer{}, &lockedBuffer{}
	go func() {
		err := run(ctx, append([]string{"serve"}, args...), func(k string) string { return env[k] }, strings.NewReader(""), outW, &testLog{t: t, copy: logged})
		outW.Close()
		done <- err
	}()
	lines := bufio.NewScanner(outR)
	if !lines.Scan() {
		cancel()
		t.Fatalf("serve printed nothing; it ended with %v", <-done)
	}
	url, ok := strings.CutPrefix(lines.Text(), "SIGAP is running at ")
	if !ok {
		t.Fatalf("serve's first line: %q", lines.Text())
	}
	go func() {
		// The scanner may hold more than the first line already.
		for ok := true; ok; ok = lines.Scan() {
			stdout.Write([]byte(lines.Text() + "\n")) //nolint:errcheck
		}
		io.Copy(io.Discard, outR) //nolint:errcheck
	}()
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(20 * time.Second):
				stopErr = fmt.Errorf("serve did not stop within 20s of being told to")
			}
		})
		return stopErr
	}
	t.Cleanup(func() { _ = stop() })
	return &running{url: url, graph: graph, stop: stop, stdout: stdout, log: logged}
}

// testLog shows the log in the test's output, and keeps a copy if asked.
type testLog struct {
	t    *testing.T
	copy *lockedBuffer
}

func (l *testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	if l.copy != nil {
		l.copy.Write(p) //nolint:errcheck
	}
	return len(p), nil
}

// textDelivery builds a Cloud API delivery of text messages to one office.
func textDelivery(phoneID string, msgs ...[3]string) []byte {
	var messages []map[string]any
	var contacts []map[string]any
	for _, m := range msgs { // wamid, from, text
		messages = append(messages, map[string]any{
			"from": m[1], "id": m[0], "timestamp": now(0), "type": "text", "text": map[string]string{"body": m[2]},
		})
		contacts = append(contacts, map[string]any{"profile": map[string]string{"name": "Tester"}, "wa_id": m[1]})
	}
	return delivery(change(phoneID, map[string]any{"contacts": contacts, "messages": messages}))
}

// now is a Cloud API timestamp (Unix seconds as a string) plus a few
// seconds: replies are only sent inside the applicant's 24-hour window,
// which counts from the message's timestamp.
func now(plus int) string { return strconv.FormatInt(time.Now().Unix()+int64(plus), 10) }

func change(phoneID string, value map[string]any) map[string]any {
	value["messaging_product"] = "whatsapp"
	value["metadata"] = map[string]string{"display_phone_number": "628118539333", "phone_number_id": phoneID}
	return map[string]any{"field": "messages", "value": value}
}

func delivery(changes ...map[string]any) []byte {
	var entries []map[string]any
	for _, c := range changes {
		entries = append(entries, map[string]any{"id": "102290129340398", "changes": []any{c}})
	}
	b, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": entries})
	return b
}

func (g *running) post(t *testing.T, body []byte, signature string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.url+"/webhooks/whatsapp", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck
	resp.Body.Close()
	return resp.StatusCode
}

func signed(body []byte) string { return whatsapp.Sign(testSecret, body) }

func (g *running) deliver(t *testing.T, body []byte) {
	t.Helper()
	if code := g.post(t, body, whatsapp.Sign(testSecret, body)); code != http.StatusOK {
		t.Fatalf("delivery answered %d, want 200", code)
	}
}

func TestWebhookHandshake(t *testing.T) {
	g := startGateway(t, nil)
	tests := []struct {
		query string
		code  int
		body  string
	}{
		{"hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444", 200, "1158201444"},
		{"hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444", 403, ""},
		{"hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1", 403, ""},
		{"", 403, ""},
	}
	for _, tt := range tests {
		resp, err := http.Get(g.url + "/webhooks/whatsapp?" + tt.query)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || (tt.body != "" && string(body) != tt.body) {
			t.Errorf("GET ?%s = %d %q, want %d %q", tt.query, resp.StatusCode, body, tt.code, tt.body)
		}
	}
}

func TestWebhookRefusesBadDeliveries(t *testing.T) {
	g := startGateway(t, nil)
	good := textDelivery(jakpusPhoneID, [3]string{"wamid.A", "6281111", "halo"})
	tests := []struct {
		name      string
		body      []byte
		signature string
		code      int
	}{
		{"no signature", good, "", 401},
		{"wrong secret", good, whatsapp.Sign("other-secret", good), 401},
		{"signature of another body", good, whatsapp.Sign(testSecret, []byte("{}")), 401},
		{"not hex", good, "sha256=zz", 401},
		{"no sha256= prefix", good, strings.TrimPrefix(whatsapp.Sign(testSecret, good), "sha256="), 401},
		{"malformed JSON", []byte(`{"object":`), whatsapp.Sign(testSecret, []byte(`{"object":`)), 400},
		{"not a WhatsApp object", []byte(`{"object":"page","entry":[]}`), whatsapp.Sign(testSecret, []byte(`{"object":"page","entry":[]}`)), 400},
		{"malformed signature", good, "sha256=00", 401},
		{"too large", bytes.Repeat([]byte(" "), whatsapp.MaxBodyBytes+1), "sha256=" + strings.Repeat("0", 64), 413},
	}
	for _, tt := range tests {
		if code := g.post(t, tt.body, tt.signature); code != tt.code {
			t.Errorf("%s: %d, want %d", tt.name, code, tt.code)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if got := g.graph.Requests(); len(got) != 0 {
		t.Errorf("refused deliveries were answered: %d sends", len(got))
	}
}

func TestWebhookWithoutSecretRefusesDeliveries(t *testing.T) {
	g := startGateway(t, map[string]string{"WHATSAPP_APP_SECRET": ""})
	body := textDelivery(jakpusPhoneID, [3]string{"wamid.A", "6281111", "halo"})
	if code := g.post(t, body, whatsapp.Sign("", body)); code != http.StatusForbidden {
		t.Errorf("delivery without a configured secret: %d, want 403", code)
	}
}

func TestWebhookAnswersFromTheRightNumber(t *testing.T) {
	g := startGateway(t, nil)
	body := delivery(
		change(jakpusPhoneID, map[string]any{"messages": []any{
			map[string]any{"from": "6281111", "id": "wamid.J1", "timestamp": now(0), "type": "text", "text": map[string]string{"body": "halo"}},
			map[string]any{"from": "6282222", "id": "wamid.J2", "timestamp": now(1), "type": "text", "text": map[string]string{"body": "#bayar"}},
		}}),
		change(mataramPhoneID, map[string]any{"messages": []any{
			map[string]any{"from": "6283333", "id": "wamid.M1", "timestamp": now(2), "type": "text", "text": map[string]string{"body": "#syarat"}},
		}}),
		// Statuses of earlier replies and a number no office owns: acknowledged, never answered.
		change(jakpusPhoneID, map[string]any{"statuses": []any{map[string]any{"id": "wamid.out", "status": "delivered", "timestamp": now(3), "recipient_id": "6281111"}}}),
		change("999999999999999", map[string]any{"messages": []any{
			map[string]any{"from": "6284444", "id": "wamid.X1", "timestamp": now(4), "type": "text", "text": map[string]string{"body": "halo"}},
		}}),
	)
	g.deliver(t, body)
	sent := g.graph.WaitSent(3, 10*time.Second)
	time.Sleep(300 * time.Millisecond) // anything extra would show up now
	sent = g.graph.Sent()
	if len(sent) != 3 {
		t.Fatalf("sent %d replies, want 3: %+v", len(sent), sent)
	}
	from := map[string]string{}
	for _, r := range sent {
		if r.Version != "v23.0" || r.Token != testAccessToken {
			t.Errorf("sent to version %q with token %q", r.Version, r.Token)
		}
		from[r.To()] = r.PhoneNumberID
	}
	want := map[string]string{"6281111": jakpusPhoneID, "6282222": jakpusPhoneID, "6283333": mataramPhoneID}
	for to, phone := range want {
		if from[to] != phone {
			t.Errorf("reply to %s sent from %q, want %q", to, from[to], phone)
		}
	}
}

func TestRedeliveryIsAnsweredOnce(t *testing.T) {
	g := startGateway(t, nil)
	body := textDelivery(jakpusPhoneID, [3]string{"wamid.SAME", "6281111", "#bayar"})
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() { g.deliver(t, body) })
	}
	wg.Wait()
	g.deliver(t, body) // and once more, after the first was answered
	g.graph.WaitSent(1, 10*time.Second)
	time.Sleep(500 * time.Millisecond)
	if sent := g.graph.Sent(); len(sent) != 1 {
		t.Fatalf("one message delivered 7 times got %d replies, want 1", len(sent))
	}
}

func TestStatusLookupOverWhatsApp(t *testing.T) {
	g := startGateway(t, nil)
	// Demo application 1060202611000007 (ready) belongs to Putri Anjani, born 09-09-1999.
	g.deliver(t, textDelivery(jakpusPhoneID, [3]string{"wamid.S1", "6281111", "min paspor sy 1060 2026 1100 0007 udh jadi?"}))
	g.graph.WaitSent(1, 10*time.Second)
	g.deliver(t, textDelivery(jakpusPhoneID, [3]string{"wamid.S2", "6281111", "09-09-1999"}))
	sent := g.graph.WaitSent(2, 10*time.Second)
	if len(sent) != 2 {
		t.Fatalf("got %d replies, want 2", len(sent))
	}
	ask, status := sent[0].Text(), sent[1].Text()
	if strings.Contains(ask, "P**** A*****") {
		t.Errorf("answered before the birth date was given: %q", ask)
	}
	if !strings.Contains(status, "P**** A*****") || strings.Contains(status, "Putri") || strings.Contains(status, "1999") {
		t.Errorf("status reply should show only the masked name:\n%s", status)
	}
}

func TestServeStopsGracefully(t *testing.T) {
	g := startGateway(t, nil)
	g.deliver(t, textDelivery(jakpusPhoneID, [3]string{"wamid.G1", "6281111", "halo"}))
	if err := g.stop(); err != nil {
		t.Fatalf("serve ended with %v", err)
	}
	if _, err := http.Get(g.url + "/healthz"); err == nil {
		t.Error("still serving after shutdown")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	g := startGateway(t, nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(g.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s = %d, want 200", path, resp.StatusCode)
		}
	}
}

func TestMarkReadAndTyping(t *testing.T) {
	offices := filepath.Join(t.TempDir(), "offices.yaml")
	if err := os.WriteFile(offices, []byte(`offices:
  - code: jakpus
    name: Kantor Imigrasi Kelas I Non TPI Jakarta Pusat
    whatsapp:
      phone_number_id: "`+jakpusPhoneID+`"
      mark_read: true
`), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, map[string]string{"SIGAP_OFFICES": offices})
	g.deliver(t, textDelivery(jakpusPhoneID, [3]string{"wamid.R1", "6281111", "halo"}))
	g.graph.WaitSent(1, 10*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, r := range g.graph.Requests() {
			if r.ReadReceipt {
				typing, _ := r.Body["typing_indicator"].(map[string]any)
				if r.Body["message_id"] != "wamid.R1" || typing["type"] != "text" {
					t.Errorf("read receipt = %s", r.Raw)
				}
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Error("no read receipt sent for an office with mark_read: true")
}
