package notify_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/content"
	"github.com/sigap-id/sigap/internal/notify"
	"github.com/sigap-id/sigap/internal/store/sqlite"
	"github.com/sigap-id/sigap/internal/store/sqlstore"
)

// clock is a fake clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

var jakarta, _ = time.LoadLocation("Asia/Jakarta")

// wib is a time on 12 January 2026 in Jakarta.
func wib(hour, minute int) time.Time { return time.Date(2026, 1, 12, hour, minute, 0, 0, jakarta) }

const (
	number = "1060202611000007"
	user   = "6281234567890"
)

type fixture struct {
	t     *testing.T
	ctx   context.Context
	clock *clock
	store *sqlstore.Store
	app   sigap.Application
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c := &clock{t: wib(10, 0)}
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sigap.db"),
		sqlite.Options{Migrate: true, Log: slog.New(slog.DiscardHandler), Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := &fixture{t: t, ctx: context.Background(), clock: c, store: s, app: sigap.Application{
		Number: number, Office: "jakpus", ApplicantName: "Budi Santoso",
		BirthDate: time.Date(1990, 8, 17, 0, 0, 0, 0, time.UTC), PassportType: sigap.PassportElectronic,
		Stage: sigap.StagePrinting, StageAt: wib(8, 0),
	}}
	f.upsert(f.app)
	return f
}

func (f *fixture) upsert(a sigap.Application) sigap.UpsertResult {
	f.t.Helper()
	r, err := f.store.UpsertApplication(f.ctx, a)
	if err != nil {
		f.t.Fatal(err)
	}
	f.app = a
	return r
}

func (f *fixture) move(st sigap.Stage, at time.Time) sigap.UpsertResult {
	a := f.app
	a.Stage, a.StageAt = st, at
	return f.upsert(a)
}

// subscribe subscribes user, whose last message came at last (zero: never).
func (f *fixture) subscribe(last time.Time, lang string) {
	f.t.Helper()
	conv, err := f.store.Conversation(f.ctx, "jakpus", user)
	if err != nil {
		f.t.Fatal(err)
	}
	conv.LastInboundAt, conv.Lang, conv.Notify = last, lang, true
	if err := f.store.SaveConversation(f.ctx, conv); err != nil {
		f.t.Fatal(err)
	}
	if err := f.store.Subscribe(f.ctx, "jakpus", user, number, f.clock.Now()); err != nil {
		f.t.Fatal(err)
	}
}

func office(tmpl *sigap.Template, quiet sigap.QuietHours) sigap.Office {
	return sigap.Office{Code: "jakpus", Name: "Kantor Imigrasi Jakarta Pusat", TimeZone: jakarta,
		Notifications: sigap.OfficeNotifications{Quiet: quiet, Template: tmpl}}
}

func (f *fixture) notifier(o sigap.Office) *notify.Notifier {
	f.t.Helper()
	cat, err := content.Load()
	if err != nil {
		f.t.Fatal(err)
	}
	n, err := notify.New(notify.Options{Store: f.store, Offices: []sigap.Office{o}, Content: cat,
		Log: slog.New(slog.DiscardHandler), Now: f.clock.Now})
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) once(n *notify.Notifier, want int) {
	f.t.Helper()
	got, err := n.Once(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	if got != want {
		f.t.Errorf("told %d at %v; want %d", got, f.clock.Now(), want)
	}
}

// outbox lists everything queued, oldest first.
func (f *fixture) outbox() []sigap.OutboundMessage {
	f.t.Helper()
	out, err := f.store.ListOutbound(f.ctx, sigap.OutboxQuery{Limit: 100})
	if err != nil {
		f.t.Fatal(err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// TestInsideTheWindowFreeForm: inside the applicant's 24-hour window the
// notification is free-form text in their language: the stage in words,
// the masked name, what to do; never the name; told once.
func TestInsideTheWindowFreeForm(t *testing.T) {
	for _, tt := range []struct {
		lang  string
		words []string
	}{
		{"", []string{"Siap diambil", "B*** S******", "Yang perlu Anda lakukan", "#notif off", number}},
		{"en", []string{"Ready to collect", "B*** S******", "What you need to do", "#notif off"}},
	} {
		t.Run("lang "+tt.lang, func(t *testing.T) {
			f := newFixture(t)
			last := wib(9, 0)
			f.subscribe(last, tt.lang)
			n := f.notifier(office(&sigap.Template{Name: "sigap_status_update", Language: "id"}, sigap.DefaultQuietHours))
			f.once(n, 0) // subscribing tells nothing
			f.move(sigap.StageReady, wib(9, 30))
			f.once(n, 1)
			f.once(n, 0)
			out := f.outbox()
			if len(out) != 1 {
				t.Fatalf("outbox: %d messages, want 1", len(out))
			}
			m := out[0]
			if m.To != user || m.Reply.Template != nil || m.State != sigap.OutboundPending {
				t.Errorf("message: %+v; want pending free-form text to %s", m, user)
			}
			if want := last.Add(24 * time.Hour); !m.WindowEndsAt.Equal(want) {
				t.Errorf("WindowEndsAt %v, want %v", m.WindowEndsAt, want)
			}
			for _, w := range tt.words {
				if !strings.Contains(m.Reply.Text, w) {
					t.Errorf("text lacks %q:\n%s", w, m.Reply.Text)
				}
			}
			if strings.Contains(m.Reply.Text, "Budi") || strings.Contains(m.Reply.Text, "Santoso") {
				t.Errorf("text shows the name:\n%s", m.Reply.Text)
			}
		})
	}
}

// TestOutsideTheWindowTemplate: outside the window, the office's approved
// template with its parameters; without one, nothing is sent and the
// notification is recorded failed with the reason, once.
func TestOutsideTheWindowTemplate(t *testing.T) {
	f := newFixture(t)
	f.subscribe(wib(9, 0).Add(-30*time.Hour), "")
	tmpl := &sigap.Template{Name: "sigap_status_update", Language: "id", Params: []string{"stage", "number_masked", "name_masked"}}
	n := f.notifier(office(tmpl, sigap.QuietHours{}))
	f.move(sigap.StageAwaitingPayment, wib(9, 30))
	f.once(n, 1)
	out := f.outbox()
	if len(out) != 1 || out[0].Reply.Template == nil {
		t.Fatalf("outbox: %+v; want one template message", out)
	}
	got := out[0].Reply.Template
	want := []string{"Menunggu pembayaran", "************0007", "B*** S******"}
	if got.Name != "sigap_status_update" || got.Language != "id" || strings.Join(got.Params, "|") != strings.Join(want, "|") {
		t.Errorf("template %+v; want sigap_status_update/id with %q", got, want)
	}

	// The same at an office without a template: recorded, not sent.
	g := newFixture(t)
	g.subscribe(time.Time{}, "") // never wrote: no window at all
	n = g.notifier(office(nil, sigap.QuietHours{}))
	g.move(sigap.StageCancelled, wib(9, 30))
	g.once(n, 1)
	g.once(n, 0)
	out = g.outbox()
	if len(out) != 1 || out[0].State != sigap.OutboundFailed || out[0].LastError != notify.NoTemplateReason {
		t.Fatalf("outbox: %+v; want one failed notification with the reason", out)
	}
	if claimed, err := g.store.ClaimOutbound(g.ctx, g.clock.Now(), time.Minute, 10); err != nil || len(claimed) != 0 {
		t.Errorf("claimed %d, %v: a recorded notification is never sent", len(claimed), err)
	}
}

// TestQuietHours: nothing is queued in the office's quiet hours (its time
// zone); what came due then is queued at the first poll after they end.
// "none" turns them off.
func TestQuietHours(t *testing.T) {
	f := newFixture(t)
	f.clock.Set(wib(21, 30))
	f.subscribe(wib(21, 0), "")
	n := f.notifier(office(nil, sigap.DefaultQuietHours))
	f.move(sigap.StageReady, wib(21, 15))
	f.once(n, 0)
	for _, at := range []time.Time{wib(23, 59), wib(24, 0), wib(24+5, 59)} {
		f.clock.Set(at)
		f.once(n, 0)
	}
	if out := f.outbox(); len(out) != 0 {
		t.Fatalf("%d queued in quiet hours", len(out))
	}
	f.clock.Set(wib(24+6, 0))
	f.once(n, 1)
	out := f.outbox()
	if len(out) != 1 || out[0].Reply.Template != nil || !out[0].CreatedAt.Equal(wib(24+6, 0)) {
		t.Fatalf("outbox after the quiet hours: %+v; want the text queued at 06:00", out)
	}

	g := newFixture(t)
	g.clock.Set(wib(23, 0))
	g.subscribe(wib(22, 0), "")
	n = g.notifier(office(nil, sigap.QuietHours{}))
	g.move(sigap.StageReady, wib(22, 30))
	g.once(n, 1)
}

// TestOptOut: after #notif off (the subscription removed), nothing is told.
func TestOptOut(t *testing.T) {
	f := newFixture(t)
	f.subscribe(wib(9, 0), "")
	n := f.notifier(office(nil, sigap.QuietHours{}))
	if err := f.store.Unsubscribe(f.ctx, "jakpus", user); err != nil {
		t.Fatal(err)
	}
	f.move(sigap.StageReady, wib(9, 30))
	f.once(n, 0)
	if out := f.outbox(); len(out) != 0 {
		t.Fatalf("%d queued after opting out", len(out))
	}
}

// TestOlderEventDoesNotNotify: an event older than the application's
// stage, arriving late, neither moves it back nor tells anyone.
func TestOlderEventDoesNotNotify(t *testing.T) {
	f := newFixture(t)
	f.subscribe(wib(9, 0), "")
	n := f.notifier(office(nil, sigap.QuietHours{}))
	f.move(sigap.StageReady, wib(9, 30))
	f.once(n, 1)
	if r := f.move(sigap.StageOnHold, wib(8, 30)); r != sigap.Unchanged {
		t.Fatalf("an older event stored: %v", r)
	}
	f.once(n, 0)
	if out := f.outbox(); len(out) != 1 {
		t.Fatalf("outbox holds %d; want only the first notification", len(out))
	}
}

// TestNotifiersTogether: notifiers on several replicas polling the same
// store at once queue one message.
func TestNotifiersTogether(t *testing.T) {
	f := newFixture(t)
	f.subscribe(wib(9, 0), "")
	f.move(sigap.StageReady, wib(9, 30))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		told int
	)
	for range 4 {
		n := f.notifier(office(nil, sigap.QuietHours{}))
		wg.Go(func() {
			k, err := n.Once(f.ctx)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			told += k
			mu.Unlock()
		})
	}
	wg.Wait()
	if out := f.outbox(); told != 1 || len(out) != 1 {
		t.Errorf("told %d, queued %d; want 1", told, len(out))
	}
}

// TestRunStopsWithItsContext: Run polls until its context ends.
func TestRunStopsWithItsContext(t *testing.T) {
	f := newFixture(t)
	f.subscribe(wib(9, 0), "")
	f.move(sigap.StageReady, wib(9, 30))
	cat, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	n, err := notify.New(notify.Options{Store: f.store, Offices: []sigap.Office{office(nil, sigap.QuietHours{})}, Content: cat,
		Log: slog.New(slog.DiscardHandler), Now: f.clock.Now, Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for len(f.outbox()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
	if out := f.outbox(); len(out) != 1 {
		t.Errorf("outbox holds %d; want 1", len(out))
	}
}

// TestTextsChangedInTheConsole: a notification is worded with the office's
// texts as they stand at the poll (Lookup), not as they were at start.
func TestTextsChangedInTheConsole(t *testing.T) {
	f := newFixture(t)
	f.subscribe(wib(9, 0), "")
	current := office(nil, sigap.DefaultQuietHours)
	cat, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	n, err := notify.New(notify.Options{Store: f.store, Offices: []sigap.Office{current}, Content: cat,
		Lookup: func(string) (sigap.Office, bool) { return current, true },
		Log:    slog.New(slog.DiscardHandler), Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.move(sigap.StageOnHold, wib(9, 10))
	f.once(n, 1)
	current.Texts = map[string]map[string]string{"id": {"notification": "Kabar baru dari kantor: {{.Stage}}"}}
	f.move(sigap.StageReady, wib(9, 20))
	f.once(n, 1)
	out := f.outbox()
	if len(out) != 2 {
		t.Fatalf("outbox: %d messages, want 2", len(out))
	}
	if strings.Contains(out[0].Reply.Text, "Kabar baru dari kantor") {
		t.Errorf("first, before the change: %q", out[0].Reply.Text)
	}
	if !strings.HasPrefix(out[1].Reply.Text, "Kabar baru dari kantor: ") {
		t.Errorf("second, after the change: %q; want the office's new text", out[1].Reply.Text)
	}
}
