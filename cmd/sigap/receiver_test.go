package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/config"
	"github.com/sigap-id/sigap/internal/demo"
	"github.com/sigap-id/sigap/internal/receiver"
)

// hookChannel is a second transport that receives over HTTP: its
// deliveries come to /webhooks/hook as JSON, proven by a header, and name
// their office by its hook.address; what it sends it records.
type hookChannel struct {
	mu   sync.Mutex
	sent []string // office:to:text
}

const hookSecret = "hook-secret"

func (c *hookChannel) Split(r sigap.Reply) []sigap.Reply { return []sigap.Reply{r} }
func (c *hookChannel) Prepare(_ sigap.Office, m sigap.OutboundMessage, _ time.Time) (sigap.OutboundMessage, error) {
	return m, nil
}
func (c *hookChannel) Budget(o sigap.Office) (string, int) { return "hook/" + o.Code, 100 }
func (c *hookChannel) Ready(sigap.Office) error            { return nil }
func (c *hookChannel) Send(_ context.Context, o sigap.Office, m sigap.OutboundMessage) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, o.Code+":"+m.To+":"+m.Reply.Text)
	return "hook.sent", nil
}
func (c *hookChannel) Classify(error, int) sigap.SendFailure {
	return sigap.SendFailure{Permanent: true}
}
func (c *hookChannel) MarkRead(context.Context, sigap.Office, sigap.InboundMessage) error {
	return nil
}
func (c *hookChannel) sentSoFar() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.sent...)
}

// Its offices' settings: hook.address, by which deliveries name them.
type hookSettings struct {
	Address string `yaml:"address"`
}
type hookConfig string

func (c hookConfig) Address() (string, string) { return "hook.address", string(c) }
func (c hookConfig) DisplayNumber() string     { return "" }

func (c *hookChannel) SettingsField() string { return "hook" }
func (c *hookChannel) NewSettings() any      { return new(hookSettings) }
func (c *hookChannel) CheckSettings(s any, _ func(string) string) (sigap.ChannelConfig, []sigap.FieldProblem) {
	return hookConfig(s.(*hookSettings).Address), nil
}

// Its receiver.
func (c *hookChannel) ReceivePath() string { return "/webhooks/hook" }
func (c *hookChannel) Receiver(w receiver.Wiring) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("X-Hook-Secret") != hookSecret {
			http.Error(rw, "no", http.StatusUnauthorized)
			return
		}
		var in struct{ To, From, ID, Text string }
		if err := json.NewDecoder(http.MaxBytesReader(rw, r.Body, 1<<16)).Decode(&in); err != nil {
			http.Error(rw, "bad delivery", http.StatusBadRequest)
			return
		}
		office, ok := w.Offices(in.To)
		if !ok {
			http.Error(rw, "no such office", http.StatusNotFound)
			return
		}
		d := sigap.Delivery{Messages: []sigap.InboundMessage{{ID: in.ID, Office: office.Code, From: in.From, At: time.Now(), Kind: sigap.KindText, Text: in.Text}}}
		if _, err := w.Inbox.SaveDelivery(r.Context(), d); err != nil {
			http.Error(rw, "not stored", http.StatusServiceUnavailable)
			return
		}
		rw.WriteHeader(http.StatusOK)
	})
}

var _ receiver.Receiver = (*hookChannel)(nil)

// TestServeMountsEachChannelsReceiver: a channel that receives over HTTP
// gets its own route on the real serve command's loopback listener, with
// no change to serve or internal/web: a delivery posted there is stored,
// answered by the real processor and bot, and the answer sent through the
// channel by the real sender. The Cloud API's webhook stays at
// /webhooks/whatsapp with its checks.
func TestServeMountsEachChannelsReceiver(t *testing.T) {
	hook := &hookChannel{}
	cloud := newChannels
	newChannels = func(env config.Env, log *slog.Logger) map[string]sigap.Channel {
		chans := cloud(env, log)
		chans["hook"] = hook
		return chans
	}
	t.Cleanup(func() { newChannels = cloud })
	offices := filepath.Join(t.TempDir(), "offices.yaml")
	file := string(demo.OfficesYAML) + `
  - code: uji
    name: Kantor Uji
    channel: hook
    hook:
      address: uji-1
`
	if err := os.WriteFile(offices, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startServe(t, nil, map[string]string{"SIGAP_OFFICES": offices})

	post := func(path, secret, body string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, g.url+path, strings.NewReader(body))
		req.Header.Set("X-Hook-Secret", secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("/webhooks/hook", "wrong", `{}`); code != http.StatusUnauthorized {
		t.Errorf("a delivery without the channel's proof: %d, want 401", code)
	}
	if code := post("/webhooks/hook", hookSecret, `{"To":"uji-1","From":"628111","ID":"hook.1","Text":"halo"}`); code != http.StatusOK {
		t.Fatalf("a delivery to the hook channel: %d, want 200", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(hook.sentSoFar()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no answer was sent through the hook channel")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if sent := hook.sentSoFar(); !strings.HasPrefix(sent[0], "uji:628111:") || len(sent[0]) == len("uji:628111:") {
		t.Errorf("sent %q, want the bot's answer to 628111 from uji", sent)
	}
	if n := len(g.graph.Sent()); n != 0 {
		t.Errorf("the Cloud API got %d sends; the hook office's answer is the hook channel's", n)
	}

	// The Cloud API's webhook is where it was, with its checks: the
	// handshake, and a delivery without a valid signature refused.
	if code, _, body := fetch(t, g.url+"/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token="+testVerifyToken+"&hub.challenge=42"); code != http.StatusOK || body != "42" {
		t.Errorf("Cloud API handshake: %d %q, want 200 42", code, body)
	}
	if code := g.post(t, textDelivery("100000000000001", [3]string{"wamid.x", "628222", "halo"}), "sha256=00"); code != http.StatusUnauthorized {
		t.Errorf("an unsigned Cloud API delivery: %d, want 401", code)
	}
	for _, line := range []string{"webhook:    " + g.url + "/webhooks/hook", "webhook:    " + g.url + "/webhooks/whatsapp"} {
		waitFor(t, g.stdout, line)
	}
}
