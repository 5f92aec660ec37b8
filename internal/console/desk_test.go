package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
)

// fakeChannel prepares replies as the Cloud API channel does: outside the
// window, the office's template if it has one, else an error.
type fakeChannel struct{ template map[string]string }

func (f fakeChannel) Ready(sigap.Office) error                                           { return nil }
func (f fakeChannel) Budget(o sigap.Office) (string, int)                                { return o.Code, 10 }
func (f fakeChannel) Split(r sigap.Reply) []sigap.Reply                                  { return []sigap.Reply{r} }
func (f fakeChannel) Classify(error, int) sigap.SendFailure                              { return sigap.SendFailure{} }
func (f fakeChannel) MarkRead(context.Context, sigap.Office, sigap.InboundMessage) error { return nil }
func (f fakeChannel) Send(context.Context, sigap.Office, sigap.OutboundMessage) (string, error) {
	return "", errors.New("not here")
}
func (f fakeChannel) Prepare(o sigap.Office, m sigap.OutboundMessage, now time.Time) (sigap.OutboundMessage, error) {
	if m.WindowEndsAt.IsZero() || !now.After(m.WindowEndsAt) {
		return m, nil
	}
	name, ok := f.template[o.Code]
	if !ok {
		return m, errors.New("outside the window")
	}
	m.Reply = sigap.Reply{Text: m.Reply.Text, Template: &sigap.Template{Name: name, Language: "id"}}
	return m, nil
}

// desk seeds a handed-over chat and a complaint ticket at each office:
// jakpus from 6281100000001, jaksel from 6281100000002.
func (e *env) desk() (jakpusTicket, jakselTicket string) {
	e.t.Helper()
	ctx := context.Background()
	now := e.clock.Now()
	for i, o := range []string{"jakpus", "jaksel"} {
		user := "628110000000" + string(rune('1'+i))
		m := sigap.InboundMessage{ID: "wamid." + o, Office: o, From: user, At: now.Add(-10 * time.Minute), Kind: sigap.KindText,
			Text: "<script>alert(1)</script> tolong #petugas"}
		if _, err := e.store.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{m}}); err != nil {
			e.t.Fatal(err)
		}
		if err := e.store.CompleteInbound(ctx, m.ID, sigap.Conversation{Office: o, User: user, Lang: "id",
			HandoverSince: m.At, HandoverUntil: m.At.Add(24 * time.Hour), LastInboundAt: m.At}, nil); err != nil {
			e.t.Fatal(err)
		}
		tk, err := e.store.CreateTicket(ctx, sigap.Ticket{Office: o, Kind: sigap.TicketComplaint, User: user, Lang: "id",
			Text: "Antrean <b>kacau</b>", MessageID: "wamid.t" + o, CreatedAt: now.Add(-time.Hour)})
		if err != nil {
			e.t.Fatal(err)
		}
		if i == 0 {
			jakpusTicket = tk.Number
		} else {
			jakselTicket = tk.Number
		}
	}
	return jakpusTicket, jakselTicket
}

// queued returns the outbox's pending messages, by recipient.
func (e *env) queued() map[string][]sigap.OutboundMessage {
	e.t.Helper()
	ms, err := e.store.ClaimOutbound(context.Background(), e.clock.Now().Add(time.Hour), time.Minute, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string][]sigap.OutboundMessage{}
	for _, m := range ms {
		out[m.To] = append(out[m.To], m)
		if err := e.store.MarkSent(context.Background(), m.ID, "wamid.x", e.clock.Now()); err != nil {
			e.t.Fatal(err)
		}
	}
	return out
}

func TestInbox(t *testing.T) {
	e := newEnv(t)
	e.account("siti@kanim.go.id", sigap.RoleStaff, "jakpus")
	e.account("admin@kanim.go.id", sigap.RoleNationalAdmin, "")
	jp, js := e.desk()
	b := e.browser()
	b.login("siti@kanim.go.id")
	r := b.get("/admin/inbox")
	for _, want := range []string{"6281100000001", jp, "(2) Kotak masuk", "menunggu 10 mnt", "/admin/chats/jakpus/6281100000001", "/admin/tickets/jakpus/" + jp,
		"Antrean &lt;b&gt;kacau&lt;/b&gt;", "target tanggapan"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("staff's inbox lacks %q", want)
		}
	}
	for _, not := range []string{"6281100000002", js, "<b>kacau</b>"} {
		if strings.Contains(r.body, not) {
			t.Errorf("staff's inbox shows %q (another office's, or unescaped)", not)
		}
	}
	items := b.get("/admin/inbox/items")
	if items.status != http.StatusOK || items.header.Get("X-Waiting") != "2" || !strings.Contains(items.body, jp) || strings.Contains(items.body, "<html") {
		t.Errorf("inbox items: %d, X-Waiting %q; want the lists alone and 2", items.status, items.header.Get("X-Waiting"))
	}
	// The national admin sees both offices, and can narrow to one.
	n := e.browser()
	n.login("admin@kanim.go.id")
	r = n.get("/admin/inbox")
	if !strings.Contains(r.body, jp) || !strings.Contains(r.body, js) || !strings.Contains(r.body, "(4) ") {
		t.Errorf("national admin's inbox: want both offices' items, 4 waiting")
	}
	n.post("/admin/office", url.Values{"office": {"jaksel"}, "back": {"/admin/inbox"}})
	if r = n.get("/admin/inbox"); strings.Contains(r.body, jp) || !strings.Contains(r.body, js) {
		t.Errorf("national admin's inbox narrowed to jaksel: want jaksel's items only")
	}
	// Past its target (5 days for a complaint), a ticket is overdue.
	e.clock.Add(5 * 24 * time.Hour)
	b.login("siti@kanim.go.id") // the session ended while idle
	if r = b.get("/admin/inbox"); !strings.Contains(r.body, "lewat target") {
		t.Errorf("a complaint unanswered for 5 days is not marked overdue:\n%s", r.body)
	}
	// A handover runs out after 24 hours: the chat leaves the inbox.
	if strings.Contains(r.body, "6281100000001</strong>") {
		t.Errorf("an ended handover is still listed")
	}
}

func TestChatReplyAndHandBack(t *testing.T) {
	e := newEnv(t)
	e.account("siti@kanim.go.id", sigap.RoleStaff, "jakpus")
	e.desk()
	b := e.browser()
	b.login("siti@kanim.go.id")
	r := b.get("/admin/chats/jakpus/6281100000001")
	if r.status != http.StatusOK || !strings.Contains(r.body, "&lt;script&gt;alert(1)&lt;/script&gt; tolong #petugas") || strings.Contains(r.body, "<script>alert") {
		t.Fatalf("chat page: %d; want the applicant's message, escaped", r.status)
	}
	if r = b.post("/admin/chats/jakpus/6281100000001/reply", url.Values{"text": {"Halo, dengan Siti. Ada yang bisa dibantu?"}}); r.status != http.StatusSeeOther {
		t.Fatalf("reply: %d\n%s", r.status, r.body)
	}
	q := e.queued()["6281100000001"]
	if len(q) != 1 || q[0].Reply.Text != "Halo, dengan Siti. Ada yang bisa dibantu?" || q[0].Office != "jakpus" || q[0].Reply.Template != nil ||
		!q[0].WindowEndsAt.Equal(e.clock.Now().Add(-10*time.Minute+24*time.Hour)) {
		t.Fatalf("queued = %+v; want the reply, free-form, with the window's end", q)
	}
	r = b.get("/admin/chats/jakpus/6281100000001")
	if !strings.Contains(r.body, "Halo, dengan Siti.") || !strings.Contains(r.body, "petugas") {
		t.Errorf("chat page does not show staff's reply")
	}
	if r = b.get("/admin/inbox"); !strings.Contains(r.body, "sudah dibalas") {
		t.Errorf("an answered chat is not shown as answered")
	}
	// Empty and overlong replies are refused.
	for _, text := range []string{"   ", strings.Repeat("x", 4097)} {
		if r = b.post("/admin/chats/jakpus/6281100000001/reply", url.Values{"text": {text}}); r.status != http.StatusBadRequest {
			t.Errorf("reply of %d characters: %d, want 400", len(text), r.status)
		}
	}
	// Hand back: the bot answers again.
	if r = b.post("/admin/chats/jakpus/6281100000001/handback", nil); r.status != http.StatusSeeOther {
		t.Fatalf("hand back: %d", r.status)
	}
	c, _ := e.store.Conversation(context.Background(), "jakpus", "6281100000001")
	if !c.HandoverSince.IsZero() {
		t.Errorf("conversation still handed over: %+v", c)
	}
	if r = b.post("/admin/chats/jakpus/6281100000001/reply", url.Values{"text": {"lagi"}}); r.status != http.StatusNotFound {
		t.Errorf("reply after hand back: %d, want 404", r.status)
	}
	log, _ := e.store.AuditLog(context.Background(), sigap.AuditQuery{})
	if len(log) != 2 || log[0].Action != "chat.handback" || log[1].Action != "chat.reply" || log[1].Actor != "siti@kanim.go.id" || log[1].Office != "jakpus" {
		t.Errorf("audit log has %d entries; want the reply and the hand back, by siti", len(log))
	}
}

// TestChatWindowClosed: past 24 hours after the applicant's last message,
// a reply goes as the office's template, or is refused with what to do.
func TestChatWindowClosed(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.Channel = func(string) (sigap.Channel, bool) {
			return fakeChannel{template: map[string]string{"jaksel": "balasan_petugas"}}, true
		}
	})
	e.account("admin@kanim.go.id", sigap.RoleNationalAdmin, "")
	e.desk()
	// The handovers last 24 hours after the last message; keep them on
	// past the window by moving their end (a message read late, say).
	ctx := context.Background()
	for _, o := range []string{"jakpus", "jaksel"} {
		user := map[string]string{"jakpus": "6281100000001", "jaksel": "6281100000002"}[o]
		c, _ := e.store.Conversation(ctx, o, user)
		c.HandoverUntil = c.HandoverUntil.Add(2 * time.Hour)
		if err := e.store.SaveConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Add(24 * time.Hour)
	b := e.browser()
	b.login("admin@kanim.go.id")
	r := b.post("/admin/chats/jakpus/6281100000001/reply", url.Values{"text": {"Maaf terlambat."}})
	if r.status != http.StatusConflict || !strings.Contains(r.body, "Jendela 24 jam sudah tutup") || !strings.Contains(r.body, "Maaf terlambat.") {
		t.Errorf("reply outside the window without a template: %d; want 409, what happened, the draft kept", r.status)
	}
	if r = b.post("/admin/chats/jaksel/6281100000002/reply", url.Values{"text": {"Maaf terlambat."}}); r.status != http.StatusSeeOther {
		t.Fatalf("reply outside the window with a template: %d", r.status)
	}
	q := e.queued()
	if len(q["6281100000001"]) != 0 {
		t.Errorf("a refused reply was queued")
	}
	if m := q["6281100000002"]; len(m) != 1 || m[0].Reply.Template == nil || m[0].Reply.Template.Name != "balasan_petugas" {
		t.Errorf("queued = %+v; want the template", m)
	}
}

func TestTicketWork(t *testing.T) {
	e := newEnv(t)
	siti := e.account("siti@kanim.go.id", sigap.RoleStaff, "jakpus")
	e.account("budi@jaksel.go.id", sigap.RoleStaff, "jaksel")
	jp, _ := e.desk()
	b := e.browser()
	b.login("siti@kanim.go.id")
	page := "/admin/tickets/jakpus/" + jp
	r := b.get(page)
	if r.status != http.StatusOK || !strings.Contains(r.body, "Antrean &lt;b&gt;kacau&lt;/b&gt;") || !strings.Contains(r.body, "Pengaduan") {
		t.Fatalf("ticket page: %d", r.status)
	}
	if strings.Contains(r.body, "budi@jaksel.go.id") {
		t.Error("another office's staff offered as assignee")
	}
	if r = b.post(page+"/update", url.Values{"state": {"in_progress"}, "assignee": {"99"}}); r.status != http.StatusBadRequest {
		t.Errorf("assign to an unknown account: %d, want 400", r.status)
	}
	if r = b.post(page+"/update", url.Values{"state": {"lost"}}); r.status != http.StatusBadRequest {
		t.Errorf("unknown state: %d, want 400", r.status)
	}
	if r = b.post(page+"/update", url.Values{"state": {"in_progress"}, "assignee": {itoa(siti.ID)}}); r.status != http.StatusSeeOther {
		t.Fatalf("take the ticket: %d", r.status)
	}
	if r = b.post(page+"/note", url.Values{"note": {"Cek CCTV loket 3 <i>dulu</i>"}}); r.status != http.StatusSeeOther {
		t.Fatalf("note: %d", r.status)
	}
	r = b.get(page)
	if !strings.Contains(r.body, "Diproses") || !strings.Contains(r.body, "Cek CCTV loket 3 &lt;i&gt;dulu&lt;/i&gt;") {
		t.Errorf("ticket page after update and note: want in progress and the note (escaped)")
	}
	if r = b.post(page+"/reply", url.Values{"text": {"Mohon maaf, antrean sudah kami tata ulang."}}); r.status != http.StatusSeeOther {
		t.Fatalf("reply: %d", r.status)
	}
	tk, err := e.store.FindTicket(context.Background(), "jakpus", jp)
	if err != nil || tk.Reply != "Mohon maaf, antrean sudah kami tata ulang." || tk.State != sigap.TicketAnswered {
		t.Errorf("ticket after reply = %+v, %v; want the reply, answered (what #tiket shows)", tk, err)
	}
	q := e.queued()["6281100000001"]
	if len(q) != 1 || !strings.Contains(q[0].Reply.Text, "Mohon maaf, antrean sudah kami tata ulang.") || !strings.Contains(q[0].Reply.Text, jp) {
		t.Errorf("queued = %+v; want the reply with its ticket number", q)
	}
	st, _ := e.store.StaffTicket(context.Background(), "jakpus", jp)
	if strings.Contains(q[0].Reply.Text, "CCTV") || st.Assignee != siti.ID || st.FirstAnsweredAt.IsZero() {
		t.Errorf("after reply: %+v; notes must never reach the applicant, assignee and first answer kept", st)
	}
	log, _ := e.store.AuditLog(context.Background(), sigap.AuditQuery{})
	var actions []string
	for _, l := range log {
		actions = append(actions, l.Action)
	}
	if strings.Join(actions, " ") != "ticket.reply ticket.note ticket.update" {
		t.Errorf("audit actions %v", actions)
	}
	if r = b.get("/admin/inbox"); strings.Contains(r.body, "/admin/tickets/jakpus/"+jp) {
		t.Errorf("an answered ticket is still in the inbox")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestOtherOfficeIsOutOfReach: staff of one office cannot see or change
// another office's chats or tickets, whatever URL they try; each write of
// their own office needs the CSRF token.
func TestOtherOfficeIsOutOfReach(t *testing.T) {
	e := newEnv(t)
	e.account("siti@kanim.go.id", sigap.RoleStaff, "jakpus")
	e.account("kepala@kanim.go.id", sigap.RoleOfficeAdmin, "jakpus")
	_, js := e.desk()
	for _, who := range []string{"siti@kanim.go.id", "kepala@kanim.go.id"} {
		b := e.browser()
		b.login(who)
		gets := []string{
			"/admin/chats/jaksel/6281100000002",
			"/admin/chats/jakpus/6281100000002", // jaksel's sender under jakpus: no such chat
			"/admin/tickets/jaksel/" + js,
			"/admin/tickets/jakpus/" + js, // jaksel's number under jakpus
			"/admin/chats/nowhere/6281100000002",
		}
		for _, p := range gets {
			if r := b.get(p); r.status != http.StatusNotFound || strings.Contains(r.body, "kacau") || strings.Contains(r.body, "alert(1)") {
				t.Errorf("%s GET %s: %d, want 404 showing nothing", who, p, r.status)
			}
		}
		posts := map[string]url.Values{
			"/admin/chats/jaksel/6281100000002/reply":    {"text": {"x"}},
			"/admin/chats/jaksel/6281100000002/handback": {},
			"/admin/tickets/jaksel/" + js + "/reply":     {"text": {"x"}},
			"/admin/tickets/jaksel/" + js + "/update":    {"state": {"closed"}},
			"/admin/tickets/jaksel/" + js + "/note":      {"note": {"x"}},
			"/admin/tickets/jakpus/" + js + "/reply":     {"text": {"x"}},
		}
		for p, form := range posts {
			if r := b.post(p, form); r.status != http.StatusNotFound {
				t.Errorf("%s POST %s: %d, want 404", who, p, r.status)
			}
		}
	}
	ctx := context.Background()
	st, _ := e.store.StaffTicket(ctx, "jaksel", js)
	c, _ := e.store.Conversation(ctx, "jaksel", "6281100000002")
	if st.State != sigap.TicketOpen || st.Reply != "" || st.Notes != "" || c.HandoverSince.IsZero() || len(e.queued()) != 0 {
		t.Errorf("jaksel's ticket or chat changed: %+v, %+v", st, c)
	}
}

// TestDeskWritesNeedCSRF: every write on chats and tickets without the
// session's token is 403 and changes nothing.
func TestDeskWritesNeedCSRF(t *testing.T) {
	e := newEnv(t)
	e.account("siti@kanim.go.id", sigap.RoleStaff, "jakpus")
	jp, _ := e.desk()
	b := e.browser()
	b.login("siti@kanim.go.id")
	posts := map[string]url.Values{
		"/admin/chats/jakpus/6281100000001/reply":    {"text": {"x"}},
		"/admin/chats/jakpus/6281100000001/handback": {},
		"/admin/tickets/jakpus/" + jp + "/reply":     {"text": {"x"}},
		"/admin/tickets/jakpus/" + jp + "/update":    {"state": {"closed"}},
		"/admin/tickets/jakpus/" + jp + "/note":      {"note": {"x"}},
	}
	for p, form := range posts {
		for _, tok := range []string{"", "ab"} {
			form.Set("csrf_token", tok)
			if r := b.post(p, form); r.status != http.StatusForbidden {
				t.Errorf("POST %s with csrf_token %q: %d, want 403", p, tok, r.status)
			}
		}
	}
	ctx := context.Background()
	st, _ := e.store.StaffTicket(ctx, "jakpus", jp)
	c, _ := e.store.Conversation(ctx, "jakpus", "6281100000001")
	if st.State != sigap.TicketOpen || st.Notes != "" || c.HandoverSince.IsZero() || len(e.queued()) != 0 {
		t.Errorf("a refused write changed something: %+v, %+v", st, c)
	}
	if log, _ := e.store.AuditLog(ctx, sigap.AuditQuery{}); len(log) != 0 {
		t.Errorf("audit log after refused writes: %+v", log)
	}
}
