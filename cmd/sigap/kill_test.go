package main

import (
	"bufio"
	"bytes"
	"database/sql"
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

// buildBinary builds the real sigap binary once per test run, or, for the
// before-and-after figures in docs/performance.md, takes the one
// SIGAP_TEST_BINARY names.
var buildBinary = sync.OnceValues(func() (string, error) {
	if bin := os.Getenv("SIGAP_TEST_BINARY"); bin != "" {
		return bin, nil
	}
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
// (as Meta does), and checks, message by message, that every acknowledged
// message was answered and its replies sent, and that the only duplicates
// are replies that were in doubt at the kill (claimed for sending, not
// recorded as sent), each sent again at most once. With the default
// leases, every acknowledged message is first answered within 10 s of the
// restart (or of its acknowledgement, if later).
//
// It runs twice: with a stand-in that posts a `sent` status webhook for
// each send, echoing its biz_opaque_callback_data, as Meta does, and with
// one that posts none.
func TestKillAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Run("status webhooks", func(t *testing.T) { killAndRestart(t, true) })
	t.Run("no status webhooks", func(t *testing.T) { killAndRestart(t, false) })
}

func killAndRestart(t *testing.T, statuses bool) {
	graph, err := graphtest.Start(testAccessToken)
	if err != nil {
		t.Fatal(err)
	}
	defer graph.Close()
	// Sends stay on the wire, accepted but not answered, for a while: the
	// kill cuts some of them short, as a real one does.
	graph.AnswerAfter(answerDelay)
	addr := freeAddr(t)
	dbPath := filepath.Join(t.TempDir(), "sigap.db")
	env := []string{
		"SIGAP_ADDR=" + addr,
		"SIGAP_DATABASE=sqlite:" + dbPath,
		"SIGAP_OFFICES=" + demoOfficesFile(t), "SIGAP_LOG_LEVEL=warn", // the default leases and doubt wait
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
	if statuses {
		// The same address before and after the restart: statuses posted
		// while the process is down are posted again until it is back.
		graph.PostStatuses(&graphtest.StatusHooks{URLs: []string{first.url + "/webhooks/whatsapp"}, AppSecret: testSecret})
	}
	acked := map[string]bool{}
	ackedAt := map[string]time.Time{}
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
			ackedAt[m.id] = time.Now()
		} else {
			unacked = append(unacked, m)
		}
	}
	// Read the dead process's outbox before the restart takes up its claims.
	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	doubtful := inDoubt(t, db)
	t.Logf("killed after %d acknowledged deliveries; %d replies had reached the Graph API, %d were in doubt; %d deliveries refused while down",
		len(acked), len(graph.Sent()), doubtful, len(unacked))

	second := startProcess(t, env)
	restartedAt := time.Now()
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
		acked[m.id] = true
		ackedAt[m.id] = time.Now()
	}
	for _, m := range all[:10] {
		post(second.url, m)
	}
	if len(unacked) == 0 {
		t.Errorf("no delivery was refused after the kill: the redelivery above was not exercised")
	}

	var wamids []string
	for _, m := range all {
		if acked[m.id] {
			wamids = append(wamids, m.id)
		}
	}
	settle(t, db, wamids, 40*time.Second)
	c := countReplies(t, db, wamids, graph.Sent())
	t.Logf("after restart: %s; %s", c, doubtOutcome(t, db, graph))
	late := measureLateness(t, db, graph.Sent(), ackedAt, restartedAt)
	t.Logf("FIGURES restart statuses=%v messages=%d duplicates=%d in_doubt_at_kill=%d longest_wait_after_restart=%v",
		statuses, len(wamids), c.duplicates, doubtful, late.max().Round(10*time.Millisecond))
	t.Log(late)
	if late.max() > 10*time.Second {
		t.Errorf("a message acknowledged before the kill first answered %v after the restart (%s), want within 10s", late.max(), late.worst)
	}
	checkDoubt(t, c, doubtful, statuses)
	if n := retriedInDoubt(t, db); !statuses && n < doubtful {
		// Nothing names them: every reply in doubt at the kill is sent
		// again once its wait is over.
		t.Errorf("%d replies sent again in doubt, fewer than the %d in doubt at the kill", n, doubtful)
	}
	if t.Failed() {
		t.Logf("first process log:\n%s\nsecond:\n%s", first.log, second.log)
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
