package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
)

func TestApplications(t *testing.T) {
	e := newEnv(t)
	e.account("siti@kanim.go.id", sigap.RoleStaff, "jakpus")
	e.account("budi@jaksel.go.id", sigap.RoleStaff, "jaksel")
	ctx := context.Background()
	app := sigap.Application{Number: "1060202611000007", Office: "jakpus", ApplicantName: "Putri <Ayu>",
		BirthDate: time.Date(1999, 9, 9, 0, 0, 0, 0, time.UTC), PassportType: sigap.PassportElectronic,
		Stage: sigap.StagePrinting, StageAt: e.clock.Now().Add(-48 * time.Hour)}
	if _, err := e.store.UpsertApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	// A sender looked it up; the bot's answer is in their chat.
	m := sigap.InboundMessage{ID: "wamid.a1", Office: "jakpus", From: "6281100000009", At: e.clock.Now(), Kind: sigap.KindText, Text: "09091999"}
	if _, err := e.store.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{m}}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.CompleteInbound(ctx, m.ID, sigap.Conversation{Office: "jakpus", User: m.From, Numbers: []string{app.Number}, LastInboundAt: m.At},
		[]sigap.OutboundMessage{{Office: "jakpus", To: m.From, InReplyTo: m.ID, Reply: sigap.Reply{Text: "Permohonan 1060202611000007: sedang dicetak."}}}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("siti@kanim.go.id")
	if r := b.get("/admin/chats/jakpus/6281100000009"); !strings.Contains(r.body, "sedang dicetak") {
		t.Errorf("the asker's chat does not show what the bot told them")
	}
	r := b.get("/admin/applications?number=1060+2026.1100-0007")
	if !strings.Contains(r.body, `href="/admin/chats/jakpus/6281100000009"`) {
		t.Errorf("the application page does not name who asked about it")
	}
	if r.status != http.StatusOK || !strings.Contains(r.body, "Putri &lt;Ayu&gt;") || !strings.Contains(r.body, "printing") {
		t.Fatalf("search: %d; want the application, escaped", r.status)
	}
	if r = b.get("/admin/applications?number=123"); r.status != http.StatusBadRequest {
		t.Errorf("a short number: %d, want 400", r.status)
	}
	if r = b.post("/admin/applications/jakpus/1060202611000007/stage", url.Values{"stage": {"ready"}, "note": {"Silakan ambil di loket 2."}}); r.status != http.StatusSeeOther {
		t.Fatalf("correct the stage: %d\n%s", r.status, r.body)
	}
	got, _ := e.store.FindApplication(ctx, "jakpus", "1060202611000007")
	hist, _ := e.store.ApplicationHistory(ctx, "1060202611000007")
	if got.Stage != sigap.StageReady || got.Note != "Silakan ambil di loket 2." || len(hist) != 2 {
		t.Errorf("after correction: %+v, history %d; want ready with the note, two stages", got, len(hist))
	}
	if log, _ := e.store.AuditLog(ctx, sigap.AuditQuery{}); len(log) != 1 || log[0].Action != "application.stage" || log[0].Office != "jakpus" {
		t.Errorf("audit log: %d entries; want the correction", len(log))
	}
	if r = b.post("/admin/applications/jakpus/1060202611000007/stage", url.Values{"stage": {"flying"}}); r.status != http.StatusBadRequest {
		t.Errorf("unknown stage: %d, want 400", r.status)
	}
	if r = b.post("/admin/applications/jakpus/1060202611000007/stage", url.Values{"stage": {"collected"}, "csrf_token": {""}}); r.status != http.StatusForbidden {
		t.Errorf("correction without csrf_token: %d, want 403", r.status)
	}
	// Another office's staff: not found, by search or by URL.
	o := e.browser()
	o.login("budi@jaksel.go.id")
	if r = o.get("/admin/applications?number=1060202611000007"); r.status != http.StatusNotFound || strings.Contains(r.body, "Putri") {
		t.Errorf("another office's search: %d, want 404 showing nothing", r.status)
	}
	for _, p := range []string{"/admin/applications/jakpus/1060202611000007/stage", "/admin/applications/jaksel/1060202611000007/stage"} {
		if r = o.post(p, url.Values{"stage": {"cancelled"}}); r.status != http.StatusNotFound {
			t.Errorf("another office's correction %s: %d, want 404", p, r.status)
		}
	}
	if got, _ := e.store.FindApplication(ctx, "jakpus", "1060202611000007"); got.Stage != sigap.StageReady {
		t.Errorf("stage changed by another office's staff: %s", got.Stage)
	}
}
