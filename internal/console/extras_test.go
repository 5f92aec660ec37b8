package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/bot"
	"github.com/sigap-id/sigap/internal/content"
	"github.com/sigap-id/sigap/internal/live"
	"github.com/sigap-id/sigap/internal/web"
)

type extrasEnv struct {
	*env
	live   *live.Offices
	engine *bot.Engine
}

// newExtrasEnv is newEnv with the content, "not understood", dashboard and
// simulator pages, over the same store.
func newExtrasEnv(t *testing.T) *extrasEnv {
	t.Helper()
	cat, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	x := &extrasEnv{}
	e := newEnv(t, func(o *Options) {
		byCode := func(code string) (sigap.Office, bool) {
			for _, of := range o.Offices {
				if of.Code == code {
					return of, true
				}
			}
			return sigap.Office{}, false
		}
		x.live = live.New(live.Options{Base: byCode, List: func() []sigap.Office { return o.Offices }, Store: o.Store, Check: cat.CheckText, Now: o.Now})
		if err := x.live.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		st := o.Store
		x.engine = bot.New(cat, bot.Deps{Applications: st, Directory: st, Tickets: st, Subscriptions: st, Guard: st}, o.Now)
		sim := &web.Simulator{Offices: o.Offices, Lookup: x.live.ByCode, Chat: func(ctx context.Context, office sigap.Office, m sigap.InboundMessage) ([]sigap.Reply, error) {
			replies, _, err := x.engine.Handle(ctx, office, sigap.Conversation{}, m)
			return replies, err
		}}
		o.Extensions = append(o.Extensions, Extras{Catalog: cat, Live: x.live, Engine: x.engine, Simulator: sim}.Pages())
	})
	x.env = e
	return x
}

// say is what the bot answers a fresh sender at office now, as every
// replica would (the office as the live layer gives it).
func (x *extrasEnv) say(office, text string) string {
	x.t.Helper()
	o, _ := x.live.ByCode(office)
	replies, _, err := x.engine.Handle(context.Background(), o, sigap.Conversation{LastInboundAt: x.clock.Now()},
		sigap.InboundMessage{ID: "m", Kind: sigap.KindText, Text: text, At: x.clock.Now()})
	if err != nil || len(replies) == 0 {
		x.t.Fatalf("%s: %v, %d replies", text, err, len(replies))
	}
	return replies[0].Text
}

// TestContentPermissionsAndLiveEdit: staff read their office's texts and
// change nothing; an office admin cannot reach another office's texts
// even by URL; every write needs the CSRF token; a saved text is what the
// bot says at once, audited, and "back to the national default" undoes it.
func TestContentPermissionsAndLiveEdit(t *testing.T) {
	x := newExtrasEnv(t)
	x.account("staff@jakpus.go.id", sigap.RoleStaff, "jakpus")
	x.account("admin@jakpus.go.id", sigap.RoleOfficeAdmin, "jakpus")
	national := x.say("jakpus", "terima kasih")
	form := func(text string) url.Values { return url.Values{"text": {text}} }
	const path = "/admin/content/jakpus/text?lang=id&key=thanks"

	staff := x.browser()
	staff.login("staff@jakpus.go.id")
	if r := staff.get("/admin/content/jakpus"); r.status != http.StatusOK || !strings.Contains(r.body, "thanks") {
		t.Fatalf("staff read their office's content: %d", r.status)
	}
	for _, p := range []string{"/admin/content/jaksel", "/admin/content/jaksel/text?lang=id&key=thanks", "/admin/content/nowhere"} {
		if r := staff.get(p); r.status != http.StatusNotFound {
			t.Errorf("staff GET %s: %d, want 404", p, r.status)
		}
	}
	staff.get(path)
	if r := staff.post(path, form("Sama-sama dari staf")); r.status != http.StatusForbidden {
		t.Errorf("staff saved a text: %d, want 403", r.status)
	}

	admin := x.browser()
	admin.login("admin@jakpus.go.id")
	admin.get(path)
	if r := admin.post("/admin/content/jaksel/text?lang=id&key=thanks", form("Sama-sama")); r.status != http.StatusNotFound {
		t.Errorf("jakpus admin saved jaksel's text: %d, want 404", r.status)
	}
	if r := admin.post(path, url.Values{"text": {"Sama-sama"}, "csrf_token": {"wrong"}}); r.status != http.StatusForbidden {
		t.Errorf("save with a wrong CSRF token: %d, want 403", r.status)
	}
	if r := admin.post(path, form("Halo {{.Kantor}}")); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "{{.Kantor}}") {
		t.Errorf("an unknown placeholder: %d, want 422 naming it", r.status)
	}
	if r := admin.post(path, form(strings.Repeat("panjang ", 600))); r.status != http.StatusUnprocessableEntity {
		t.Errorf("a text over 4096 characters: %d, want 422", r.status)
	}
	if x.say("jakpus", "terima kasih") != national {
		t.Fatal("a refused text changed the reply")
	}
	const mine = "Sama-sama! Salam dari *{{.Office}}*."
	if r := admin.post(path, form(mine)); r.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", r.status, r.body)
	}
	if got := x.say("jakpus", "terima kasih"); got != "Sama-sama! Salam dari *Kanim Jakarta Pusat*." {
		t.Errorf("the bot says %q after the edit", got)
	}
	if got := x.say("jaksel", "terima kasih"); got != national {
		t.Errorf("another office's reply changed: %q", got)
	}
	if r := admin.get(path); !strings.Contains(r.body, "<b>Kanim Jakarta Pusat</b>") {
		t.Errorf("the edit page does not preview WhatsApp's bold")
	}
	req, _ := http.NewRequest(http.MethodPost, x.srv.URL+"/admin/content/jakpus/preview?lang=id&key=thanks",
		strings.NewReader(url.Values{"text": {"_miring_ <script>"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", admin.csrf)
	req.Header.Set("X-Preview", "1")
	if r := admin.do(req); r.status != http.StatusOK || !strings.Contains(r.body, "<i>miring</i> &lt;script&gt;") || strings.Contains(r.body, "<html") {
		t.Errorf("live preview: %d %q", r.status, r.body)
	}
	log, err := x.store.AuditLog(context.Background(), sigap.AuditQuery{Limit: 10})
	if err != nil || len(log) == 0 || log[0].Action != "content.text.set" || log[0].Actor != "admin@jakpus.go.id" || !strings.Contains(string(log[0].After), "Salam dari") {
		t.Errorf("audit: %+v, %v", log, err)
	}
	if r := admin.post("/admin/content/jakpus/text/reset?lang=id&key=thanks", nil); r.status != http.StatusSeeOther {
		t.Fatalf("reset: %d", r.status)
	}
	if got := x.say("jakpus", "terima kasih"); got != national {
		t.Errorf("after back to the default: %q, want %q", got, national)
	}

	// Keywords: a clash with another service is refused; a new one works.
	admin.get("/admin/content/jakpus")
	if r := admin.post("/admin/content/jakpus/words", url.Values{"intent": {"pickup"}, "kind": {"keyword"}, "word": {"#bayar"}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("a keyword of another service: %d, want 422", r.status)
	}
	if r := admin.post("/admin/content/jakpus/words", url.Values{"intent": {"payment"}, "kind": {"keyword"}, "word": {"#ongkos"}}); r.status != http.StatusSeeOther {
		t.Fatalf("add keyword: %d", r.status)
	}
	if got, want := x.say("jakpus", "#ongkos"), x.say("jakpus", "#bayar"); got != want {
		t.Errorf("#ongkos answers %q, want the payment answer", got)
	}
}

// TestNotUnderstoodAddSynonym: the list shows an office's unplaced
// messages only to who may see it; trying changes nothing; adding (admins
// only) makes the bot place them at once and takes them off the list.
func TestNotUnderstoodAddSynonym(t *testing.T) {
	x := newExtrasEnv(t)
	x.account("staff@jakpus.go.id", sigap.RoleStaff, "jakpus")
	x.account("admin@jakpus.go.id", sigap.RoleOfficeAdmin, "jakpus")
	x.account("admin@jaksel.go.id", sigap.RoleOfficeAdmin, "jaksel")
	now := x.clock.Now()
	if err := x.store.AddUsage(context.Background(), sigap.UsageCounts{Unplaced: []sigap.UnplacedMessage{
		{Office: "jakpus", Text: "zorbax qwimble dong", Count: 4, FirstSeen: now, LastSeen: now},
		{Office: "jakpus", Text: "qwimble", Count: 1, FirstSeen: now, LastSeen: now},
		{Office: "jakpus", Text: "lain hal", Count: 1, FirstSeen: now, LastSeen: now},
		{Office: "jaksel", Text: "rahasia jaksel", Count: 2, FirstSeen: now, LastSeen: now},
	}}); err != nil {
		t.Fatal(err)
	}
	other := x.browser()
	other.login("admin@jaksel.go.id")
	if r := other.get("/admin/unknown"); strings.Contains(r.body, "qwimble") || !strings.Contains(r.body, "rahasia jaksel") {
		t.Errorf("jaksel's admin sees another office's messages, or not their own")
	}
	if r := other.post("/admin/unknown/add", url.Values{"office": {"jakpus"}, "intent": {"pickup"}, "kind": {"synonym"}, "word": {"qwimble"}}); r.status != http.StatusNotFound {
		t.Errorf("jaksel's admin added to jakpus: %d, want 404", r.status)
	}

	staff := x.browser()
	staff.login("staff@jakpus.go.id")
	if r := staff.get("/admin/unknown"); r.status != http.StatusOK || !strings.Contains(r.body, "zorbax qwimble dong") || strings.Contains(r.body, "rahasia jaksel") {
		t.Fatalf("staff's list: %d", r.status)
	}
	form := func() url.Values {
		return url.Values{"office": {"jakpus"}, "intent": {"pickup"}, "kind": {"synonym"}, "word": {"qwimble"}}
	}
	r := staff.post("/admin/unknown/try", form())
	if r.status != http.StatusOK || !strings.Contains(r.body, `id="result"`) || strings.Count(r.body, "→ pickup") != 2 {
		t.Errorf("try: %d, want the two messages caught as pickup\n%s", r.status, r.body)
	}
	if place, _ := x.engine.Place(mustLive(x, "jakpus"), "zorbax qwimble dong"); place != "" {
		t.Fatal("trying changed the bot")
	}
	if r := staff.post("/admin/unknown/add", form()); r.status != http.StatusForbidden {
		t.Errorf("staff added a synonym: %d, want 403", r.status)
	}

	admin := x.browser()
	admin.login("admin@jakpus.go.id")
	admin.get("/admin/unknown")
	if r := admin.post("/admin/unknown/add", form()); r.status != http.StatusOK || strings.Count(r.body, "→ pickup") != 2 {
		t.Fatalf("add: %d\n%s", r.status, r.body)
	}
	if place, _ := x.engine.Place(mustLive(x, "jakpus"), "zorbax qwimble dong"); place != "pickup" {
		t.Errorf("after adding, the message is placed at %q", place)
	}
	if got, want := x.say("jakpus", "zorbax qwimble dong"), x.say("jakpus", "#antrian"); got != want {
		t.Errorf("the bot answers %q", got)
	}
	left, _ := x.store.Unplaced(context.Background(), "jakpus", 10)
	if len(left) != 1 || left[0].Text != "lain hal" {
		t.Errorf("left on the list: %+v", left)
	}
}

func mustLive(x *extrasEnv, code string) sigap.Office {
	o, _ := x.live.ByCode(code)
	return o
}

// TestDashboardAndSimulatorScope: the dashboard draws its charts for the
// account's office; the console's simulator talks only to the account's
// offices, as a test sender, and needs the CSRF token.
func TestDashboardAndSimulatorScope(t *testing.T) {
	x := newExtrasEnv(t)
	x.account("staff@jakpus.go.id", sigap.RoleStaff, "jakpus")
	staff := x.browser()
	staff.login("staff@jakpus.go.id")
	if r := staff.get("/admin/dashboard"); r.status != http.StatusOK || strings.Count(r.body, "<svg") != 5 || !strings.Contains(r.body, "Kanim Jakarta Pusat") {
		t.Errorf("dashboard: %d, %d charts", r.status, strings.Count(r.body, "<svg"))
	}
	if r := staff.get("/admin/dashboard?days=x"); r.status != http.StatusBadRequest {
		t.Errorf("bad days: %d", r.status)
	}
	page := staff.get("/admin/simulator")
	if page.status != http.StatusOK || !strings.Contains(page.body, `value="jakpus"`) || strings.Contains(page.body, `value="jaksel"`) {
		t.Fatalf("simulator page: %d", page.status)
	}
	post := func(office, csrf string) resp {
		body, _ := json.Marshal(map[string]string{"office": office, "from": "t1", "text": "#bayar"})
		req, _ := http.NewRequest(http.MethodPost, x.srv.URL+"/admin/simulator/messages", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		return staff.do(req)
	}
	if r := post("jakpus", staff.csrf); r.status != http.StatusOK || !strings.Contains(r.body, "replies") {
		t.Errorf("simulator message: %d %s", r.status, r.body)
	}
	if r := post("jaksel", staff.csrf); r.status != http.StatusBadRequest {
		t.Errorf("another office through the simulator: %d, want 400", r.status)
	}
	if r := post("jakpus", ""); r.status != http.StatusForbidden {
		t.Errorf("simulator without the CSRF token: %d, want 403", r.status)
	}
	if r := staff.get("/admin/simulator/static/simulator.js"); r.status != http.StatusOK {
		t.Errorf("simulator script: %d", r.status)
	}
}
