package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
)

// testContentOverrides: a text replaces the office's text of its language
// and key, a keyword is one whatever its case or '#', every change counts
// the version up, and deleting takes an override away (and says when there
// was none).
func testContentOverrides(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	v0, err := s.ContentVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	set := func(o sigap.ContentOverride, wantPrev string) {
		t.Helper()
		prev, err := s.SetContentOverride(ctx, o)
		if err != nil || prev != wantPrev {
			t.Fatalf("SetContentOverride(%+v) = %q, %v; want %q", o, prev, err, wantPrev)
		}
	}
	set(sigap.ContentOverride{Office: "jakpus", Kind: sigap.OverrideText, Lang: "id", Item: "thanks", Value: "Sama-sama A", By: "a@x", At: t0}, "")
	set(sigap.ContentOverride{Office: "jakpus", Kind: sigap.OverrideText, Lang: "id", Item: "thanks", Value: "Sama-sama B", By: "b@x", At: t0.Add(time.Minute)}, "Sama-sama A")
	set(sigap.ContentOverride{Office: "jakpus", Kind: sigap.OverrideText, Lang: "en", Item: "thanks", Value: "You're welcome", By: "b@x", At: t0}, "")
	set(sigap.ContentOverride{Office: "jakpus", Kind: sigap.OverrideKeyword, Item: "payment", Value: "#Ongkos", By: "a@x", At: t0}, "")
	set(sigap.ContentOverride{Office: "jakpus", Kind: sigap.OverrideKeyword, Item: "payment", Value: "ongkos", By: "a@x", At: t0}, "#Ongkos")
	set(sigap.ContentOverride{Office: "surabaya", Kind: sigap.OverrideSynonym, Item: "pickup", Value: "kapan jadi", By: "c@x", At: t0}, "")

	got, v, err := s.ContentOverrides(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != v0+6 {
		t.Errorf("version %d after 6 changes from %d", v, v0)
	}
	if cur, _ := s.ContentVersion(ctx); cur != v {
		t.Errorf("ContentVersion %d, ContentOverrides said %d", cur, v)
	}
	want := []sigap.ContentOverride{
		{Office: "jakpus", Kind: sigap.OverrideKeyword, Item: "payment", Value: "ongkos", By: "a@x", At: t0},
		{Office: "jakpus", Kind: sigap.OverrideText, Lang: "en", Item: "thanks", Value: "You're welcome", By: "b@x", At: t0},
		{Office: "jakpus", Kind: sigap.OverrideText, Lang: "id", Item: "thanks", Value: "Sama-sama B", By: "b@x", At: t0.Add(time.Minute)},
		{Office: "surabaya", Kind: sigap.OverrideSynonym, Item: "pickup", Value: "kapan jadi", By: "c@x", At: t0},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ContentOverrides (-want +got):\n%s", d)
	}

	prev, err := s.DeleteContentOverride(ctx, "jakpus", sigap.OverrideText, "id", "thanks", "")
	if err != nil || prev != "Sama-sama B" {
		t.Errorf("DeleteContentOverride(text) = %q, %v", prev, err)
	}
	if _, err := s.DeleteContentOverride(ctx, "jakpus", sigap.OverrideText, "id", "thanks", ""); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("deleting it again: %v, want ErrNotFound", err)
	}
	if prev, err := s.DeleteContentOverride(ctx, "jakpus", sigap.OverrideKeyword, "", "payment", "#ONGKOS"); err != nil || prev != "ongkos" {
		t.Errorf("DeleteContentOverride(keyword in another case) = %q, %v", prev, err)
	}
	got, v2, _ := s.ContentOverrides(ctx)
	if v2 != v+2 || len(got) != 2 {
		t.Errorf("after two deletions: version %d (was %d), %d overrides, want 2", v2, v, len(got))
	}
	for _, bad := range []sigap.ContentOverride{
		{Office: "jakpus", Kind: "colour", Item: "x", Value: "y"},
		{Office: "jakpus", Kind: sigap.OverrideText, Item: "thanks", Value: "no language"},
		{Office: "jakpus", Kind: sigap.OverrideKeyword, Item: "payment", Value: " # "},
		{Kind: sigap.OverrideKeyword, Item: "payment", Value: "no office"},
	} {
		if _, err := s.SetContentOverride(ctx, bad); !errors.Is(err, sigap.ErrInvalid) {
			t.Errorf("SetContentOverride(%+v): %v, want ErrInvalid", bad, err)
		}
	}
}

// testUsageCounts: counts add up across writes (as replicas write them),
// an unplaced text keeps its earliest and latest sighting, lists come most
// frequent first and per office, and pruning goes by last sighting and day.
func testUsageCounts(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	first := sigap.UsageCounts{
		Intents: []sigap.IntentDay{{Office: "jakpus", Day: "2026-11-01", Intent: "payment", Count: 3}, {Office: "jakpus", Day: "2026-11-02", Intent: "unknown", Count: 1}},
		Unplaced: []sigap.UnplacedMessage{
			{Office: "jakpus", Text: "kapan jadinya", Count: 2, FirstSeen: t0, LastSeen: t0.Add(time.Hour)},
			{Office: "jakpus", Text: "bisa pakai gopay", Count: 1, FirstSeen: t0, LastSeen: t0},
			{Office: "surabaya", Text: "kapan jadinya", Count: 1, FirstSeen: t0, LastSeen: t0},
		},
	}
	second := sigap.UsageCounts{
		Intents:  []sigap.IntentDay{{Office: "jakpus", Day: "2026-11-01", Intent: "payment", Count: 2}},
		Unplaced: []sigap.UnplacedMessage{{Office: "jakpus", Text: "kapan jadinya", Count: 5, FirstSeen: t0.Add(-time.Hour), LastSeen: t0.Add(30 * time.Minute)}},
	}
	for _, u := range []sigap.UsageCounts{first, second, {}} {
		if err := s.AddUsage(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Unplaced(ctx, "jakpus", 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []sigap.UnplacedMessage{
		{Office: "jakpus", Text: "kapan jadinya", Count: 7, FirstSeen: t0.Add(-time.Hour), LastSeen: t0.Add(time.Hour)},
		{Office: "jakpus", Text: "bisa pakai gopay", Count: 1, FirstSeen: t0, LastSeen: t0},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Unplaced(jakpus) (-want +got):\n%s", d)
	}
	if all, _ := s.Unplaced(ctx, "", 10); len(all) != 3 {
		t.Errorf("Unplaced(all offices): %d, want 3", len(all))
	}
	if one, _ := s.Unplaced(ctx, "", 1); len(one) != 1 || one[0].Count != 7 {
		t.Errorf("Unplaced limited to 1: %+v", one)
	}
	days, err := s.IntentDays(ctx, "jakpus", "2026-11-01")
	if err != nil {
		t.Fatal(err)
	}
	wantDays := []sigap.IntentDay{{Office: "jakpus", Day: "2026-11-01", Intent: "payment", Count: 5}, {Office: "jakpus", Day: "2026-11-02", Intent: "unknown", Count: 1}}
	if d := cmp.Diff(wantDays, days); d != "" {
		t.Errorf("IntentDays (-want +got):\n%s", d)
	}
	if later, _ := s.IntentDays(ctx, "", "2026-11-02"); len(later) != 1 {
		t.Errorf("IntentDays from the 2nd: %+v", later)
	}

	if err := s.DeleteUnplaced(ctx, "jakpus", []string{"bisa pakai gopay"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Unplaced(ctx, "jakpus", 10); len(got) != 1 {
		t.Errorf("after DeleteUnplaced: %+v", got)
	}
	n, err := s.PruneUsage(ctx, t0.Add(time.Minute), "2026-11-02")
	if err != nil {
		t.Fatal(err)
	}
	// surabaya's text (last seen t0) and jakpus's day 2026-11-01 go.
	if n != 2 {
		t.Errorf("PruneUsage removed %d rows, want 2", n)
	}
	if got, _ := s.Unplaced(ctx, "", 10); len(got) != 1 || got[0].Office != "jakpus" {
		t.Errorf("after pruning: %+v", got)
	}
}

// testDashboardReads: failed replies grouped by error, tickets by their
// times (open ones whatever their age), and the chats handed to staff now.
func testDashboardReads(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	storeReplies(t, s, "6281", 4)
	now := time.Now().Add(time.Second)
	got, err := s.ClaimOutbound(ctx, now, time.Minute, 10)
	if err != nil || len(got) != 4 {
		t.Fatalf("claim: %d, %v", len(got), err)
	}
	for i, reason := range []string{"graph api: HTTP 400, code 131026: undeliverable", "graph api: HTTP 400, code 131026: undeliverable", "graph api: HTTP 400, code 131047: re-engagement"} {
		if err := s.MarkFailed(ctx, got[i].ID, reason); err != nil {
			t.Fatal(err)
		}
	}
	fails, err := s.DeliveryFailures(ctx, "jakpus", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	wantFails := []sigap.DeliveryFailure{
		{Office: "jakpus", Error: "graph api: HTTP 400, code 131026: undeliverable", Count: 2},
		{Office: "jakpus", Error: "graph api: HTTP 400, code 131047: re-engagement", Count: 1},
	}
	if d := cmp.Diff(wantFails, fails); d != "" {
		t.Errorf("DeliveryFailures (-want +got):\n%s", d)
	}
	if other, _ := s.DeliveryFailures(ctx, "surabaya", time.Time{}); len(other) != 0 {
		t.Errorf("another office's failures: %+v", other)
	}

	old, err := s.CreateTicket(ctx, sigap.Ticket{Office: "jakpus", Kind: sigap.TicketComplaint, User: "62811", Text: "lama", CreatedAt: t0.Add(-60 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	answered, err := s.CreateTicket(ctx, sigap.Ticket{Office: "jakpus", Kind: sigap.TicketSuggestion, User: "62812", Text: "saran", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AnswerTicket(ctx, "jakpus", answered.Number, "terima kasih", sigap.TicketAnswered, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	times, err := s.TicketTimesSince(ctx, "jakpus", t0.Add(-24*time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	wantTimes := []sigap.TicketTimes{
		{Office: "jakpus", State: sigap.TicketAnswered, CreatedAt: t0, UpdatedAt: t0.Add(2 * time.Hour)},
		{Office: "jakpus", State: sigap.TicketOpen, CreatedAt: old.CreatedAt, UpdatedAt: old.CreatedAt},
	}
	if d := cmp.Diff(wantTimes, times); d != "" {
		t.Errorf("TicketTimesSince (-want +got):\n%s", d)
	}

	for i, c := range []sigap.Conversation{
		{Office: "jakpus", User: "62821", HandoverSince: t0, HandoverUntil: t0.Add(24 * time.Hour)},
		{Office: "jakpus", User: "62822", HandoverSince: t0.Add(-48 * time.Hour), HandoverUntil: t0.Add(-24 * time.Hour)},
		{Office: "jakpus", User: "62823"},
		{Office: "surabaya", User: "62824", HandoverSince: t0, HandoverUntil: t0.Add(24 * time.Hour)},
	} {
		if err := s.SaveConversation(ctx, c); err != nil {
			t.Fatalf("conversation %d: %v", i, err)
		}
	}
	handed, err := s.HandedOver(ctx, "jakpus", t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(handed) != 1 || handed[0].User != "62821" || !handed[0].HandoverSince.Equal(t0) {
		t.Errorf("HandedOver(jakpus) = %+v, want 62821's alone", handed)
	}
	if all, _ := s.HandedOver(ctx, "", t0.Add(time.Hour)); len(all) != 2 {
		t.Errorf("HandedOver(all) = %d, want 2", len(all))
	}
}
