package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
)

// notifyOne tells n with a text message, and reports whether it was told.
func notifyOne(t *testing.T, s sigap.Store, n sigap.DueNotification, text string) bool {
	t.Helper()
	msg := sigap.OutboundMessage{Office: n.Office, To: n.User, Reply: sigap.Reply{Text: text}}
	told, err := s.Notify(context.Background(), n, &msg, "")
	if err != nil {
		t.Fatalf("Notify: %v", err)
	}
	return told
}

func due(t *testing.T, s sigap.Store, office string) []sigap.DueNotification {
	t.Helper()
	got, err := s.DueNotifications(context.Background(), office, 100)
	if err != nil {
		t.Fatalf("DueNotifications: %v", err)
	}
	return got
}

func upsert(t *testing.T, s sigap.Store, a sigap.Application) {
	t.Helper()
	if _, err := s.UpsertApplication(context.Background(), a); err != nil {
		t.Fatalf("UpsertApplication: %v", err)
	}
}

func moveTo(a sigap.Application, st sigap.Stage, at time.Time) sigap.Application {
	a.Stage, a.StageAt = st, at
	return a
}

// testNotificationCursor: subscribing tells nothing, not even about an
// application already at a stage to tell; a move to such a stage is due
// once, to each subscriber at the application's office, and once told is
// due no more; a stage not to tell is never due; an older event arriving
// late is not due; a repeated subscription keeps its cursor; opting out
// ends it.
func testNotificationCursor(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	a := app()
	a = moveTo(a, sigap.StageReady, t0) // already ready when they subscribe
	upsert(t, s, a)
	for _, u := range []string{"62811", "62822"} {
		if err := s.Subscribe(ctx, "jakpus", u, a.Number, t0); err != nil {
			t.Fatal(err)
		}
	}
	// Another office's subscription to the same number never sees it.
	if err := s.Subscribe(ctx, "mataram", "62833", a.Number, t0); err != nil {
		t.Fatal(err)
	}
	if got := due(t, s, "jakpus"); len(got) != 0 {
		t.Fatalf("due right after subscribing: %+v; want none", got)
	}

	// Collected: not a stage to tell.
	upsert(t, s, moveTo(a, sigap.StageCollected, t0.Add(time.Hour)))
	if got := due(t, s, "jakpus"); len(got) != 0 {
		t.Fatalf("due after collected: %+v; want none", got)
	}
	// On hold (a correction after it): due to both, oldest change first.
	b := with(app(), func(b *sigap.Application) { b.Number = "2234567890123456" })
	upsert(t, s, b)
	if err := s.Subscribe(ctx, "jakpus", "62811", b.Number, t0); err != nil {
		t.Fatal(err)
	}
	upsert(t, s, moveTo(b, sigap.StageAwaitingPayment, t0.Add(2*time.Hour)))
	upsert(t, s, moveTo(a, sigap.StageOnHold, t0.Add(3*time.Hour)))
	got := due(t, s, "jakpus")
	if len(got) != 3 || got[0].Application.Number != b.Number || got[0].Application.Stage != sigap.StageAwaitingPayment ||
		got[1].Application.Stage != sigap.StageOnHold || got[1].User != "62811" || got[2].User != "62822" {
		t.Fatalf("due: %+v; want b to 62811, then a on hold to 62811 and 62822", got)
	}
	if !got[1].Application.StageAt.Equal(t0.Add(3 * time.Hour)) {
		t.Errorf("due change at %v, want %v", got[1].Application.StageAt, t0.Add(3*time.Hour))
	}
	if got := due(t, s, "mataram"); len(got) != 0 {
		t.Errorf("due at mataram for jakpus's application: %+v", got)
	}
	for _, n := range got {
		if !notifyOne(t, s, n, "told") {
			t.Errorf("Notify %s %s: not told the first time", n.User, n.Application.Number)
		}
	}
	for _, n := range got {
		if notifyOne(t, s, n, "again") {
			t.Errorf("Notify %s %s: told twice", n.User, n.Application.Number)
		}
	}
	if got := due(t, s, "jakpus"); len(got) != 0 {
		t.Fatalf("due after telling: %+v; want none", got)
	}
	// An older event arriving late changes nothing and tells nothing.
	upsert(t, s, moveTo(a, sigap.StageReady, t0.Add(90*time.Minute)))
	if got := due(t, s, "jakpus"); len(got) != 0 {
		t.Fatalf("due after an older event: %+v; want none", got)
	}
	// A later change is due again.
	upsert(t, s, moveTo(a, sigap.StageCancelled, t0.Add(4*time.Hour)))
	// Subscribing again keeps the cursor: the cancellation is still due.
	if err := s.Subscribe(ctx, "jakpus", "62822", a.Number, t0.Add(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	got = due(t, s, "jakpus")
	if len(got) != 2 {
		t.Fatalf("due after cancelled: %+v; want it to both", got)
	}
	// A notification listed before the application moved on is not told.
	upsert(t, s, moveTo(a, sigap.StageReady, t0.Add(6*time.Hour)))
	if notifyOne(t, s, got[0], "stale") {
		t.Errorf("a change the application has moved on from was told")
	}
	// Opting out: nothing more is due or told.
	if err := s.Unsubscribe(ctx, "jakpus", "62822"); err != nil {
		t.Fatal(err)
	}
	got = due(t, s, "jakpus")
	if len(got) != 1 || got[0].User != "62811" || got[0].Application.Stage != sigap.StageReady {
		t.Fatalf("due after 62822 opted out: %+v; want ready to 62811 only", got)
	}
	gone := got[0]
	gone.User = "62822"
	if notifyOne(t, s, gone, "opted out") {
		t.Errorf("told a subscriber who opted out")
	}

	lister := outboxListerOf(t, s)
	out, err := lister.Outbound(ctx, "jakpus", 100)
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]int{}
	for _, m := range out {
		texts[m.To+" "+m.Reply.Text]++
		if m.State != sigap.OutboundPending {
			t.Errorf("notification %d is %s; want pending", m.ID, m.State)
		}
	}
	if len(out) != 3 || texts["62811 told"] != 2 || texts["62822 told"] != 1 {
		t.Errorf("outbox: %v; want the three told once each", texts)
	}
}

// testNotificationFailed: a notification that cannot be sent (outside the
// window with no template) is stored failed with its reason and moves the
// cursor: it is recorded once and not tried again.
func testNotificationFailed(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	a := app()
	upsert(t, s, a)
	if err := s.Subscribe(ctx, "jakpus", "62811", a.Number, t0); err != nil {
		t.Fatal(err)
	}
	upsert(t, s, moveTo(a, sigap.StageReady, t0.Add(time.Hour)))
	got := due(t, s, "jakpus")
	if len(got) != 1 {
		t.Fatalf("due: %+v", got)
	}
	msg := sigap.OutboundMessage{Office: "jakpus", To: "62811", Reply: sigap.Reply{Text: "ready"}, WindowEndsAt: t0}
	if told, err := s.Notify(ctx, got[0], &msg, "no template"); err != nil || !told {
		t.Fatalf("Notify: %v, %v", told, err)
	}
	report, ok := s.(sigap.OutboxReport)
	if !ok {
		t.Skip("the store has no outbox report")
	}
	failed, err := report.ListOutbound(ctx, sigap.OutboxQuery{State: sigap.OutboundFailed, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 1 || failed[0].LastError != "no template" || failed[0].To != "62811" {
		t.Fatalf("failed replies: %+v; want the notification, with its reason", failed)
	}
	if claimed, err := s.ClaimOutbound(ctx, t0.Add(48*time.Hour), time.Minute, 10); err != nil || len(claimed) != 0 {
		t.Errorf("ClaimOutbound: %d, %v; a failed notification is never sent", len(claimed), err)
	}
	if got := due(t, s, "jakpus"); len(got) != 0 {
		t.Errorf("due after recording it failed: %+v", got)
	}
	// Without a message, Notify only moves the cursor.
	upsert(t, s, moveTo(a, sigap.StageCancelled, t0.Add(2*time.Hour)))
	got = due(t, s, "jakpus")
	if told, err := s.Notify(ctx, got[0], nil, ""); err != nil || !told {
		t.Fatalf("Notify without a message: %v, %v", told, err)
	}
	if got := due(t, s, "jakpus"); len(got) != 0 {
		t.Errorf("due after moving the cursor: %+v", got)
	}
}

// testNotificationConcurrent: several notifiers (replicas) telling the same
// changes at once queue each one message, however they interleave.
func testNotificationConcurrent(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	const apps, notifiers = 8, 4
	for i := range apps {
		a := with(app(), func(a *sigap.Application) { a.Number = fmt.Sprintf("3%015d", i) })
		upsert(t, s, a)
		if err := s.Subscribe(ctx, "jakpus", fmt.Sprintf("6281%d", i), a.Number, t0); err != nil {
			t.Fatal(err)
		}
		upsert(t, s, moveTo(a, sigap.StageReady, t0.Add(time.Hour)))
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		told  int
		first error
	)
	for range notifiers {
		wg.Go(func() {
			got, err := s.DueNotifications(ctx, "jakpus", 100)
			for _, n := range got {
				if err != nil {
					break
				}
				msg := sigap.OutboundMessage{Office: n.Office, To: n.User, Reply: sigap.Reply{Text: n.Application.Number}}
				var ok bool
				ok, err = s.Notify(ctx, n, &msg, "")
				if ok {
					mu.Lock()
					told++
					mu.Unlock()
				}
			}
			if err != nil {
				mu.Lock()
				first = err
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
	if told != apps {
		t.Errorf("%d notifications told by %d notifiers; want %d, each once", told, notifiers, apps)
	}
	out, err := outboxListerOf(t, s).Outbound(ctx, "jakpus", 100)
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, m := range out {
		per[m.Reply.Text]++
	}
	if len(out) != apps || len(per) != apps {
		t.Errorf("outbox holds %d messages for %d applications; want one each: %v", len(out), len(per), per)
	}
}
