package graphtest_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sigap-id/sigap/internal/graphtest"
)

// With status webhooks on, each accepted send is followed by a signed
// `sent` status echoing its biz_opaque_callback_data, retried past a
// refusal and past a webhook that is down; without them, none is posted.
func TestStatusWebhooks(t *testing.T) {
	const secret = "app-secret"
	got := make(chan map[string]any, 10)
	refuse := 1
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		if r.Header.Get("X-Hub-Signature-256") != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			t.Errorf("bad signature on %s", body)
		}
		if refuse > 0 {
			refuse--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var d map[string]any
		if err := json.Unmarshal(body, &d); err != nil {
			t.Errorf("status webhook: %v", err)
		}
		got <- d
	}))
	defer hook.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()

	g, err := graphtest.Start("tok")
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	send := func(callback string) {
		t.Helper()
		body := `{"messaging_product":"whatsapp","to":"6281234567890","type":"text","text":{"body":"halo"}` + callback + `}`
		req, _ := http.NewRequest(http.MethodPost, g.URL+"/v23.0/100000000000001/messages", bytes.NewReader([]byte(body)))
		req.Header.Set("Authorization", "Bearer tok")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("send: HTTP %d", resp.StatusCode)
		}
	}

	send(`,"biz_opaque_callback_data":"sigap:jakpus:7"`) // no hooks yet
	g.PostStatuses(&graphtest.StatusHooks{URLs: []string{down.URL, hook.URL}, AppSecret: secret})
	send(`,"biz_opaque_callback_data":"sigap:jakpus:8"`)
	select {
	case d := <-got:
		v := d["entry"].([]any)[0].(map[string]any)["changes"].([]any)[0].(map[string]any)["value"].(map[string]any)
		st := v["statuses"].([]any)[0].(map[string]any)
		if st["status"] != "sent" || st["biz_opaque_callback_data"] != "sigap:jakpus:8" || st["id"] != g.Sent()[1].WAMID {
			t.Errorf("status = %v", st)
		}
		if v["metadata"].(map[string]any)["phone_number_id"] != "100000000000001" {
			t.Errorf("metadata = %v", v["metadata"])
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no status webhook")
	}
	g.PostStatuses(nil)
	send("")
	select {
	case d := <-got:
		t.Errorf("status posted without hooks: %v", d)
	case <-time.After(300 * time.Millisecond):
	}
	if n := g.StatusesPosted(); n != 1 {
		t.Errorf("StatusesPosted = %d, want 1", n)
	}

	// A held answer: the send is recorded (accepted) before it is answered.
	g.AnswerAfter(300 * time.Millisecond)
	start := time.Now()
	send("")
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("answered after %v, want 300ms", d)
	}
	if n := len(g.Sent()); n != 4 {
		t.Errorf("%d sends recorded, want 4", n)
	}
}
