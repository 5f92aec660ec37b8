package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestTokenToQueueNumber is the integrator's path through the real binary:
// sigap token create prints a token once (only its hash is stored), sigap
// serve takes it at /api/v1, the queue number it sets is in the next
// #antrian reply sent over WhatsApp, sigap token list shows the token's
// use, and after sigap token revoke the same request is refused.
func TestTokenToQueueNumber(t *testing.T) {
	ctx := context.Background()
	db := "sqlite:" + filepath.Join(t.TempDir(), "sigap.db")
	env := map[string]string{"SIGAP_DATABASE": db, "SIGAP_LOG_LEVEL": "warn"}
	token := func(args ...string) (string, string, error) {
		var stdout, stderr bytes.Buffer
		err := run(ctx, append([]string{"token"}, args...), func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
		return stdout.String(), stderr.String(), err
	}
	out, says, err := token("create", "--name", "upstream", "--office", "jakpus")
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, says)
	}
	secret := strings.TrimSpace(out)
	if !regexp.MustCompile(`^sigap_[0-9a-f]{64}$`).MatchString(secret) || !strings.Contains(says, "shown this once") {
		t.Fatalf("token create printed %q and said %q", out, says)
	}
	if _, _, err := token("create", "--name", "upstream", "--all-offices"); err == nil {
		t.Error("a second token named upstream was created")
	}
	env["SIGAP_OFFICES"] = demoOfficesFile(t)
	if _, says, err := token("create", "--name", "other", "--office", "jakpsu"); err == nil || !strings.Contains(says, `--office "jakpsu": not in the offices file`) {
		t.Errorf("token create --office jakpsu = %v, %q; want the office refused", err, says)
	}

	g := startGateway(t, map[string]string{"SIGAP_DATABASE": db})
	put := func() int {
		req, _ := http.NewRequest("PUT", g.url+"/api/v1/offices/jakpus/queue", strings.NewReader(`{"number": "A-123"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Errorf("answer %d is not JSON: %v", resp.StatusCode, err)
		}
		return resp.StatusCode
	}
	if code := put(); code != http.StatusOK {
		t.Fatalf("PUT queue with the new token: %d", code)
	}
	g.deliver(t, textDelivery(jakpusPhoneID, [3]string{"wamid.Q1", "6281111", "#antrian"}))
	sent := g.graph.WaitSent(1, 10*time.Second)
	if len(sent) != 1 || !strings.Contains(sent[0].Text(), "A-123") {
		t.Fatalf("the #antrian reply does not show the queue number: %+v", sent)
	}
	resp, err := http.Get(g.url + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(doc, []byte(`"openapi"`)) {
		t.Errorf("openapi.json: %d %.100s", resp.StatusCode, doc)
	}

	list, _, err := token("list")
	if err != nil {
		t.Fatal(err)
	}
	// NAME SCOPE CREATED (date time) LAST USED (date time) REVOKED (-)
	rows := strings.Split(strings.TrimSpace(list), "\n")
	if f := strings.Fields(rows[len(rows)-1]); len(rows) != 2 || !strings.Contains(rows[0], "LAST USED") || len(f) != 7 ||
		f[0] != "upstream" || f[1] != "jakpus" || f[6] != "-" {
		t.Errorf("token list, want upstream used and not revoked:\n%s", list)
	}
	if strings.Contains(list, secret) || strings.Contains(list, secret[6:20]) {
		t.Error("token list shows the token")
	}
	if _, _, err := token("revoke", "upstream"); err != nil {
		t.Fatal(err)
	}
	if code := put(); code != http.StatusUnauthorized {
		t.Errorf("PUT queue with a revoked token: %d, want 401", code)
	}
	if _, _, err := token("revoke", "nobody"); err == nil {
		t.Error("revoking no token succeeded")
	}
}
