package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sigap-id/sigap/internal/graphtest"
	"github.com/sigap-id/sigap/internal/whatsapp"
)

// buildBinary builds the real sigap binary once per test run.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "sigap-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "sigap")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// process is a sigap serve started as its own process.
type process struct {
	cmd *exec.Cmd
	url string
	log *lockedBuffer // stderr, written while the test reads it
}

func startProcess(t *testing.T, env []string) *process {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), env...)
	p := &process{cmd: cmd, log: &lockedBuffer{}}
	cmd.Stderr = p.log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		_ = cmd.Wait()
		t.Fatalf("sigap printed nothing:\n%s", p.log)
	}
	p.url = strings.TrimPrefix(lines.Text(), "SIGAP is running at ")
	go func() {
		for lines.Scan() {
		}
	}()
	return p
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestKillAndRestart kills the real binary (SIGKILL) in the middle of a
// stream of deliveries, restarts it, redelivers what was not acknowledged
// (as Meta does), and checks that every message was answered and that no
// message got more replies than the at-most-once retry of an in-doubt send
// allows.
func TestKillAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	graph, err := graphtest.Start(testAccessToken)
	if err != nil {
		t.Fatal(err)
	}
	defer graph.Close()
	addr := freeAddr(t)
	env := []string{
		"SIGAP_ADDR=" + addr,
		"SIGAP_DATABASE=sqlite:" + filepath.Join(t.TempDir(), "sigap.db"),
		"SIGAP_OFFICES=", "SIGAP_LOG_LEVEL=warn",
		"SIGAP_INBOX_LEASE=2s", "SIGAP_OUTBOX_LEASE=2s",
		"WHATSAPP_APP_SECRET=" + testSecret, "WHATSAPP_VERIFY_TOKEN=" + testVerifyToken,
		"WHATSAPP_ACCESS_TOKEN=" + testAccessToken, "WHATSAPP_GRAPH_URL=" + graph.URL,
	}

	const senders, perSender = 20, 15
	type msg struct{ id, from, text string }
	var all []msg
	for i := range perSender {
		for s := range senders {
			text := []string{"#bayar", "halo", "#syarat"}[i%3]
			all = append(all, msg{fmt.Sprintf("wamid.kill.%d.%d", s, i), fmt.Sprintf("62812%05d", s), text})
		}
	}
	post := func(url string, m msg) bool {
		body := textDelivery(jakpusPhoneID, [3]string{m.id, m.from, m.text})
		req, _ := http.NewRequest(http.MethodPost, url+"/webhooks/whatsapp", bytes.NewReader(body))
		req.Header.Set("X-Hub-Signature-256", whatsapp.Sign(testSecret, body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}

	first := startProcess(t, env)
	acked := map[string]bool{}
	var unacked []msg
	killAt := len(all) / 2
	for i, m := range all {
		if i == killAt {
			// Mid-stream, with replies being processed and sent.
			if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = first.cmd.Wait()
		}
		if post(first.url, m) {
			acked[m.id] = true
		} else {
			unacked = append(unacked, m)
		}
	}
	sentBeforeRestart := len(graph.Sent())
	t.Logf("killed after %d acknowledged deliveries; %d replies had reached the Graph API; %d deliveries refused while down",
		len(acked), sentBeforeRestart, len(unacked))

	second := startProcess(t, env)
	defer func() {
		_ = second.cmd.Process.Signal(syscall.SIGTERM)
		_ = second.cmd.Wait()
	}()
	// Meta redelivers what was not acknowledged; and, being at-least-once,
	// some of what was.
	for _, m := range unacked {
		if !post(second.url, m) {
			t.Fatalf("redelivery of %s refused after restart", m.id)
		}
	}
	for _, m := range all[:10] {
		post(second.url, m)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	want := len(all)
	for len(graph.Sent()) < want && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // a lease's worth more, for any late duplicate to show
	perFrom := map[string]int{}
	for _, r := range graph.Sent() {
		perFrom[r.To()]++
	}
	dups, missing := 0, 0
	for s := range senders {
		from := fmt.Sprintf("62812%05d", s)
		switch got := perFrom[from]; {
		case got < perSender:
			missing += perSender - got
		case got > perSender:
			dups += got - perSender
		}
	}
	t.Logf("after restart: %d messages, %d replies, %d missing, %d duplicates", len(all), len(graph.Sent()), missing, dups)
	if missing > 0 {
		t.Errorf("%d acknowledged messages were never answered\nfirst process log:\n%s\nsecond:\n%s", missing, first.log, second.log)
	}
	// A send in flight when the process died may be retried once. The
	// deliveries above go one at a time, each answered before it is
	// acknowledged, so only the last few replies can have been on their
	// way; 8 is far more than that.
	if dups > 8 {
		t.Errorf("%d duplicate replies, more than the %d sends that can be in flight", dups, 8)
	}
}

// lockedBuffer is a bytes.Buffer that a process writes while a test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
