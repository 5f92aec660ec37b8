package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sigap-id/sigap/internal/graphtest"
	"github.com/sigap-id/sigap/internal/notify"
	"github.com/sigap-id/sigap/internal/store/pgtest"
)

// notifyOffices is an offices file for the notification tests: no quiet
// hours (the tests run at any hour; quiet hours have their own tests with
// a fake clock in internal/notify), no birth date asked, and a template
// for applicants outside their window.
func notifyOffices(t *testing.T) string {
	t.Helper()
	return notifyOfficesWith(t, `
    notifications:
      template: {name: sigap_status_update, language: id, params: [stage, number_masked]}
`)
}

// notifyOfficesWith is notifyOffices with other notification settings.
func notifyOfficesWith(t *testing.T, settings string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "offices.yaml")
	err := os.WriteFile(path, []byte(fmt.Sprintf(`offices:
  - code: jakpus
    name: Kantor Imigrasi Kelas I Non TPI Jakarta Pusat
    whatsapp:
      phone_number_id: "%s"
    verify_birth_date: false
    quiet_hours: none`, jakpusPhoneID)+settings+"\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

const (
	notifyNumber = "1060202611000099"
	notifyHead   = "application_number,office,applicant_name,birth_date,passport_type,stage,stage_at\n"
)

// importStage imports the notification test's application at stage, at.
func importStage(t *testing.T, env map[string]string, stage string, at time.Time) {
	t.Helper()
	path := filepath.Join(t.TempDir(), stage+".csv")
	row := fmt.Sprintf("%s,jakpus,Budi Santoso,1990-08-17,electronic,%s,%s\n", notifyNumber, stage, at.Format(time.RFC3339))
	if err := os.WriteFile(path, []byte(notifyHead+row), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runImport(t, func(k string) string { return env[k] }, path); err != nil {
		t.Fatalf("import %s: %v\n%s", stage, err, out)
	}
}

// oldTextDelivery is textDelivery with the message sent ago.
func oldTextDelivery(id, from, text string, ago time.Duration) []byte {
	msg := map[string]any{"from": from, "id": id, "timestamp": strconv.FormatInt(time.Now().Add(-ago).Unix(), 10),
		"type": "text", "text": map[string]string{"body": text}}
	return delivery(change(jakpusPhoneID, map[string]any{
		"contacts": []map[string]any{{"profile": map[string]string{"name": "Tester"}, "wa_id": from}},
		"messages": []map[string]any{msg}}))
}

// notifications are the notifications the stand-in took: the free-form
// text and the template, by recipient.
func notifications(graph *graphtest.Server) map[string][]graphtest.Request {
	out := map[string][]graphtest.Request{}
	for _, r := range graph.Sent() {
		if strings.Contains(r.Text(), "Kabar permohonan paspor") || r.Body["type"] == "template" {
			out[r.To()] = append(out[r.To()], r)
		}
	}
	return out
}

// waitNotified waits until want recipients were notified, or timeout.
func waitNotified(graph *graphtest.Server, want int, timeout time.Duration) map[string][]graphtest.Request {
	deadline := time.Now().Add(timeout)
	for {
		got := notifications(graph)
		if len(got) >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestNotificationEndToEnd: two applicants subscribe over WhatsApp (one
// wrote just now, one 30 hours ago); the upstream system's import moves
// the application to ready; the one inside the window gets the free-form
// text, the other the office's template with its parameters, each exactly
// once, through the Graph API stand-in; a restart sends nothing again.
func TestNotificationEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the notifier's polls")
	}
	dir := t.TempDir()
	env := map[string]string{
		"SIGAP_OFFICES": notifyOffices(t), "SIGAP_DATABASE": "sqlite:" + filepath.Join(dir, "sigap.db"), "SIGAP_LOG_LEVEL": "warn",
	}
	importStage(t, env, "printing", time.Now().Add(-2*time.Hour))
	g := startServe(t, nil, env)

	const fresh, old = "6281100000001", "6281100000002"
	g.deliver(t, textDelivery(jakpusPhoneID, [3]string{"wamid.notif.1", fresh, "#notif on"}))
	g.graph.WaitSent(1, 10*time.Second)
	g.deliver(t, textDelivery(jakpusPhoneID, [3]string{"wamid.notif.2", fresh, notifyNumber}))
	g.graph.WaitSent(2, 10*time.Second)
	// Outside the window, the bot's own answers fail (the office has no
	// reply_template); the subscription is made all the same.
	g.deliver(t, oldTextDelivery("wamid.notif.3", old, "#notif on", 30*time.Hour))
	g.deliver(t, oldTextDelivery("wamid.notif.4", old, notifyNumber, 30*time.Hour))
	time.Sleep(2 * notify.DefaultPoll) // subscribing tells nothing
	if got := notifications(g.graph); len(got) != 0 {
		t.Fatalf("notified before any change: %v", got)
	}

	importStage(t, env, "ready", time.Now().Add(-time.Minute))
	got := waitNotified(g.graph, 2, 30*time.Second)
	time.Sleep(2 * notify.DefaultPoll) // a second one would come by now
	got = notifications(g.graph)
	if len(got[fresh]) != 1 || len(got[old]) != 1 {
		t.Fatalf("notifications by recipient: %d to the one inside the window, %d to the one outside; want 1 each\n%s",
			len(got[fresh]), len(got[old]), g.log)
	}
	text := got[fresh][0].Text()
	for _, w := range []string{"Siap diambil", "B*** S******", notifyNumber} {
		if !strings.Contains(text, w) {
			t.Errorf("the free-form notification lacks %q:\n%s", w, text)
		}
	}
	if strings.Contains(text, "Budi") {
		t.Errorf("the notification shows the name:\n%s", text)
	}
	tmpl := string(got[old][0].Raw)
	for _, w := range []string{`"type":"template"`, `"name":"sigap_status_update"`, `"code":"id"`, `"text":"Siap diambil"`, `"text":"************0099"`} {
		if !strings.Contains(tmpl, w) {
			t.Errorf("the template notification lacks %s:\n%s", w, tmpl)
		}
	}

	// An older event arriving late tells nothing.
	importStage(t, env, "on_hold", time.Now().Add(-time.Hour))
	// A restart on the same database tells nothing again.
	if err := g.stop(); err != nil {
		t.Fatal(err)
	}
	h := startServe(t, nil, env)
	// The same stand-in is not h's; what h sends goes to its own.
	time.Sleep(2 * notify.DefaultPoll)
	if again := notifications(h.graph); len(again) != 0 {
		t.Errorf("after a restart: %d more notifications", len(again))
	}
	// #notif off, then a new change: nothing.
	h.deliver(t, textDelivery(jakpusPhoneID, [3]string{"wamid.notif.5", fresh, "#notif off"}))
	h.graph.WaitSent(1, 10*time.Second)
	importStage(t, env, "cancelled", time.Now())
	time.Sleep(2 * notify.DefaultPoll)
	if again := notifications(h.graph); len(again[fresh]) != 0 || len(again[old]) != 1 {
		t.Errorf("after #notif off and a cancellation: %d to the one who opted out (want 0), %d to the other (want 1)",
			len(again[fresh]), len(again[old]))
	}
}

// TestNotificationTwoReplicasOnPostgres: two real `sigap serve` processes
// on one PostgreSQL database, both running the notifier; a stage change
// imported while both poll is told once; after one replica is killed and
// restarted it is still told once.
func TestNotificationTwoReplicasOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dbURL := pgtest.Schema(t)
	graph, err := graphtest.Start(testAccessToken)
	if err != nil {
		t.Fatal(err)
	}
	defer graph.Close()
	offices := notifyOffices(t)
	env := map[string]string{"SIGAP_OFFICES": offices, "SIGAP_DATABASE": dbURL, "SIGAP_LOG_LEVEL": "warn"}
	importStage(t, env, "printing", time.Now().Add(-2*time.Hour))
	penv := func(addr string) []string {
		return []string{
			"SIGAP_ADDR=" + addr, "SIGAP_DATABASE=" + dbURL, "SIGAP_OFFICES=" + offices, "SIGAP_LOG_LEVEL=warn",
			"WHATSAPP_APP_SECRET=" + testSecret, "WHATSAPP_ACCESS_TOKEN=" + testAccessToken, "WHATSAPP_GRAPH_URL=" + graph.URL,
		}
	}
	a := startProcess(t, penv(freeAddr(t)))
	bAddr := freeAddr(t)
	b := startProcess(t, penv(bAddr))
	defer func() {
		for _, p := range []*process{a, b} {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			_ = p.cmd.Wait()
		}
	}()
	const from = "6281100000003"
	for i, text := range []string{"#notif on", notifyNumber} {
		r := &running{url: []string{a.url, b.url}[i], graph: graph}
		r.deliver(t, textDelivery(jakpusPhoneID, [3]string{fmt.Sprintf("wamid.notifpg.%d", i), from, text}))
		graph.WaitSent(i+1, 15*time.Second)
	}
	importStage(t, env, "ready", time.Now().Add(-time.Minute))
	waitNotified(graph, 1, 30*time.Second)
	time.Sleep(2 * notify.DefaultPoll)
	if got := notifications(graph)[from]; len(got) != 1 {
		t.Fatalf("%d notifications with two replicas polling; want 1\nA:\n%s\nB:\n%s", len(got), a.log, b.log)
	}
	// Kill B and start it again: nothing is told twice.
	_ = b.cmd.Process.Signal(syscall.SIGKILL)
	_ = b.cmd.Wait()
	b = startProcess(t, penv(bAddr))
	time.Sleep(2 * notify.DefaultPoll)
	if got := notifications(graph)[from]; len(got) != 1 {
		t.Errorf("%d notifications after a replica was killed and restarted; want 1", len(got))
	}
	// A later change is told once more, by whichever replica.
	importStage(t, env, "cancelled", time.Now())
	time.Sleep(2 * notify.DefaultPoll)
	if got := notifications(graph)[from]; len(got) != 2 {
		t.Errorf("%d notifications after a cancellation; want 2", len(got))
	}
}

// TestNotificationWithoutTemplate: at an office without
// notifications.template, a notification outside the applicant's window
// is not sent; sigap outbox lists it as failed with the reason. One inside
// the window that meets a passing Graph API error (throttling) is retried
// and sent once, as replies are.
func TestNotificationWithoutTemplate(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the notifier's polls")
	}
	dir := t.TempDir()
	env := map[string]string{
		"SIGAP_OFFICES": notifyOfficesWith(t, ""), "SIGAP_DATABASE": "sqlite:" + filepath.Join(dir, "sigap.db"), "SIGAP_LOG_LEVEL": "warn",
	}
	importStage(t, env, "printing", time.Now().Add(-2*time.Hour))
	g := startServe(t, nil, env)
	const fresh, old = "6281100000004", "6281100000005"
	g.deliver(t, textDelivery(jakpusPhoneID, [3]string{"wamid.nt.1", fresh, "#notif on"}))
	g.graph.WaitSent(1, 10*time.Second)
	g.deliver(t, textDelivery(jakpusPhoneID, [3]string{"wamid.nt.2", fresh, notifyNumber}))
	g.graph.WaitSent(2, 10*time.Second)
	g.deliver(t, oldTextDelivery("wamid.nt.3", old, "#notif on", 30*time.Hour))
	g.deliver(t, oldTextDelivery("wamid.nt.4", old, notifyNumber, 30*time.Hour))
	time.Sleep(time.Second)

	g.graph.FailNext(1, graphtest.Failure{HTTPStatus: 429, Code: 130429, Message: "Rate limit hit"})
	importStage(t, env, "on_hold", time.Now().Add(-time.Minute))
	got := waitNotified(g.graph, 1, 30*time.Second)
	time.Sleep(2 * notify.DefaultPoll)
	got = notifications(g.graph)
	if len(got[fresh]) != 1 || len(got[old]) != 0 {
		t.Fatalf("sent: %d inside the window (want 1, after a retry), %d outside it (want 0)", len(got[fresh]), len(got[old]))
	}
	if !strings.Contains(got[fresh][0].Text(), "Perlu dilengkapi") {
		t.Errorf("notification text:\n%s", got[fresh][0].Text())
	}
	refused := 0
	for _, r := range g.graph.Requests() {
		if r.WAMID == "" && r.To() == fresh {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("%d sends to the applicant refused by the stand-in; want the one throttled", refused)
	}

	var stdout, stderr strings.Builder
	if err := run(t.Context(), []string{"outbox", "--to", old}, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("sigap outbox: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), notify.NoTemplateReason) {
		t.Errorf("sigap outbox --to the applicant outside the window does not show why the notification was not sent:\n%s", stdout.String())
	}
}
