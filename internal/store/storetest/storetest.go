// Package storetest is the behaviour every sigap.Store must have, written
// once and run against each engine by that engine's tests.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
)

// Run runs the whole suite; open returns a new, empty, migrated store.
func Run(t *testing.T, open func(t *testing.T) sigap.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s sigap.Store)
	}{
		{"ApplicationsUpsert", testApplicationsUpsert},
		{"ApplicationsScopedByOffice", testApplicationsScopedByOffice},
		{"BatchUpsert", testBatchUpsert},
		{"Conversations", testConversations},
		{"InboxDedupe", testInboxDedupe},
		{"InboxConcurrentRedelivery", testInboxConcurrentRedelivery},
		{"InboxLease", testInboxLease},
		{"CompleteInboundEnqueues", testCompleteInboundEnqueues},
		{"OutboxLifecycle", testOutboxLifecycle},
		{"StatusesAreRanked", testStatusesAreRanked},
		{"InboxIsClaimedOneMessagePerSender", testInboxIsClaimedOneMessagePerSender},
		{"PruneKeepsWhatDedupeNeeds", testPruneKeepsWhatDedupeNeeds},
		{"Leases", testLeases},
		{"RenewInbound", testRenewInbound},
		{"RenewOutbound", testRenewOutbound},
		{"SendBudget", testSendBudget},
		{"ExpireClaimsKeepsDoubt", testExpireClaimsKeepsDoubt},
		{"StatusMarksReplySent", testStatusMarksReplySent},
		{"DoubtWait", testDoubtWait},
		{"Tickets", testTickets},
		{"TicketsOncePerMessage", testTicketsOncePerMessage},
		{"Subscriptions", testSubscriptions},
		{"FindApplicationAnywhere", testFindApplicationAnywhere},
		{"ApplicationOfficeMove", testApplicationOfficeMove},
		{"TextsAlike", testTextsAlike},
		{"ConversationState", testConversationState},
		{"SaveDeliveryClaiming", testSaveDeliveryClaiming},
		{"AnswersOnArrival", testAnswersOnArrival},
		{"AnswersUnclaimed", testAnswersUnclaimed},
		{"AnswersTogether", testAnswersTogether},
		{"SenderWaiting", testSenderWaiting},
		{"CompleteInboundOnce", testCompleteInboundOnce},
		{"CompleteInboundClaimsReplies", testCompleteInboundClaimsReplies},
		{"CompleteInboundQueuesReplies", testCompleteInboundQueuesReplies},
		{"CompleteInboundClaimsNext", testCompleteInboundClaimsNext},
		{"CompleteInboundLeavesClaimedNext", testCompleteInboundLeavesClaimedNext},
		{"MarkSentTogether", testMarkSentTogether},
		{"MarkSentClaimNext", testMarkSentClaimNext},
		{"MarkSentClaimNextSameRecipient", testMarkSentClaimNextSameRecipient},
		{"MarkSentClaimNextHeldElsewhere", testMarkSentClaimNextHeldElsewhere},
		{"MarkSentClaimNextNotDue", testMarkSentClaimNextNotDue},
		{"NumberLock", testNumberLock},
		{"NumberFailuresOnlyForApplications", testNumberFailuresOnlyForApplications},
		{"NumberLockOnce", testNumberLockOnce},
		{"OutboxReport", testOutboxReport},
		{"OutboxReportDoubt", testOutboxReportDoubt},
		{"TakeoverInbound", testTakeoverInbound},
		{"TakeoverOutbound", testTakeoverOutbound},
		{"RetryInboundOnlyItsClaim", testRetryInboundOnlyItsClaim},
		{"RetentionMessages", testRetentionMessages},
		{"RetentionReplies", testRetentionReplies},
		{"RetentionConversations", testRetentionConversations},
		{"RetentionTickets", testRetentionTickets},
		{"RetentionApplications", testRetentionApplications},
		{"RetentionTestSenders", testRetentionTestSenders},
		{"RetentionRuns", testRetentionRuns},
		{"RetentionByKey", testRetentionByKey},
		{"PrivacyExport", testPrivacyExport},
		{"PrivacyErase", testPrivacyErase},
		{"Accounts", testAccounts},
		{"Sessions", testSessions},
		{"LoginThrottle", testLoginThrottle},
		{"Audit", testAudit},
		{"NotificationCursor", testNotificationCursor},
		{"NotificationFailed", testNotificationFailed},
		{"NotificationConcurrent", testNotificationConcurrent},
		{"Handovers", testHandovers},
		{"ChatHistory", testChatHistory},
		{"StaffTickets", testStaffTickets},
		{"APITokens", testAPITokens}, {"APIRateLimit", testAPIRateLimit}, {"APIWrites", testAPIWrites}, {"StageEvents", testStageEvents}, {"StageEventsRace", testStageEventsRace}, {"QueueNumbers", testQueueNumbers},
		{"ApplicationAskers", testApplicationAskers},
		{"ContentOverrides", testContentOverrides},
		{"UsageCounts", testUsageCounts},
		{"DashboardReads", testDashboardReads},
		{"Ready", func(t *testing.T, s sigap.Store) {
			if err := s.Ready(context.Background()); err != nil {
				t.Fatalf("Ready: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

var t0 = time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC)

func app() sigap.Application {
	return sigap.Application{
		Number: "1234567890123456", Office: "jakpus", ApplicantName: "Budi Santoso",
		BirthDate: time.Date(1990, 8, 17, 0, 0, 0, 0, time.UTC), PassportType: sigap.PassportElectronic,
		Stage: sigap.StageRegistered, StageAt: t0,
	}
}

func testApplicationsUpsert(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	a := app()
	steps := []struct {
		name string
		in   sigap.Application
		want sigap.UpsertResult
		// stage is the stage stored afterwards.
		stage sigap.Stage
	}{
		{"new", a, sigap.Inserted, sigap.StageRegistered},
		{"same row again", a, sigap.Unchanged, sigap.StageRegistered},
		{"moves on", with(a, func(a *sigap.Application) {
			a.Stage, a.StageAt, a.BillingCode = sigap.StageAwaitingPayment, t0.Add(time.Hour), "820250101234567"
			a.BillingExpiresAt = t0.Add(3 * time.Hour)
		}), sigap.Updated, sigap.StageAwaitingPayment},
		{"older row only fills history", with(a, func(a *sigap.Application) {
			a.Stage, a.StageAt = sigap.StageRegistered, t0.Add(-time.Hour)
		}), sigap.Unchanged, sigap.StageAwaitingPayment},
		{"moves on again", with(a, func(a *sigap.Application) { a.Stage, a.StageAt = sigap.StagePaid, t0.Add(2*time.Hour) }),
			sigap.Updated, sigap.StagePaid},
	}
	for _, st := range steps {
		got, err := s.UpsertApplication(ctx, st.in)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.want {
			t.Errorf("%s: result %v, want %v", st.name, got, st.want)
		}
		stored, err := s.FindApplication(ctx, "jakpus", a.Number)
		if err != nil {
			t.Fatalf("%s: find: %v", st.name, err)
		}
		if stored.Stage != st.stage {
			t.Errorf("%s: stored stage %s, want %s", st.name, stored.Stage, st.stage)
		}
	}
	got, err := s.FindApplication(ctx, "jakpus", a.Number)
	if err != nil {
		t.Fatal(err)
	}
	want := with(a, func(a *sigap.Application) { a.Stage, a.StageAt = sigap.StagePaid, t0.Add(2*time.Hour) })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored application (-want +got):\n%s", diff)
	}
	hist, err := s.ApplicationHistory(ctx, a.Number)
	if err != nil {
		t.Fatal(err)
	}
	wantHist := []sigap.StageChange{
		{Stage: sigap.StageRegistered, At: t0.Add(-time.Hour)},
		{Stage: sigap.StageRegistered, At: t0},
		{Stage: sigap.StageAwaitingPayment, At: t0.Add(time.Hour)},
		{Stage: sigap.StagePaid, At: t0.Add(2 * time.Hour)},
	}
	if diff := cmp.Diff(wantHist, hist); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if n, err := s.CountApplications(ctx, "jakpus"); err != nil || n != 1 {
		t.Errorf("CountApplications = %d, %v; want 1", n, err)
	}
}

func with(a sigap.Application, f func(*sigap.Application)) sigap.Application {
	f(&a)
	return a
}

func testApplicationsScopedByOffice(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	if _, err := s.UpsertApplication(ctx, app()); err != nil {
		t.Fatal(err)
	}
	_, err := s.FindApplication(ctx, "mataram", app().Number)
	if !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("another office's application: err = %v, want ErrNotFound", err)
	}
	_, err = s.FindApplication(ctx, "jakpus", "9999999999999999")
	if !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("unknown number: err = %v, want ErrNotFound", err)
	}
}

func testConversations(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	c, err := s.Conversation(ctx, "jakpus", "6281234")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sigap.Conversation{Office: "jakpus", User: "6281234"}, c); diff != "" {
		t.Errorf("new conversation (-want +got):\n%s", diff)
	}
	c.Lang, c.Awaiting, c.AwaitingNumber, c.AwaitingSince, c.LastInboundAt = "en", "birth_date", "1234567890123456", t0, t0
	if err := s.SaveConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	c.Lang = "id"
	if err := s.SaveConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Conversation(ctx, "jakpus", "6281234")
	if err != nil {
		t.Fatal(err)
	}
	c.Version = 2 // stored twice
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("saved conversation (-want +got):\n%s", diff)
	}
	other, _ := s.Conversation(ctx, "mataram", "6281234")
	if other.Lang != "" {
		t.Errorf("conversation leaked across offices: %+v", other)
	}
}

func msg(id, from, text string) sigap.InboundMessage {
	return sigap.InboundMessage{ID: id, Office: "jakpus", From: from, At: t0, Kind: sigap.KindText, Text: text}
}

func testInboxDedupe(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	n, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg("wamid.1", "62811", "halo"), msg("wamid.2", "62812", "#bayar")}})
	if err != nil || n != 2 {
		t.Fatalf("first delivery: added %d, %v; want 2", n, err)
	}
	n, err = s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg("wamid.2", "62812", "#bayar"), msg("wamid.3", "62813", "menu")}})
	if err != nil || n != 1 {
		t.Fatalf("redelivery: added %d, %v; want 1", n, err)
	}
	got, err := s.ClaimInbound(ctx, t0, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []sigap.InboundMessage{msg("wamid.1", "62811", "halo"), msg("wamid.2", "62812", "#bayar"), msg("wamid.3", "62813", "menu")}
	for i := range want {
		want[i].Attempts = 1
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claimed (-want +got):\n%s", diff)
	}
}

func testInboxConcurrentRedelivery(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		added int
	)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg("wamid.same", "62811", "halo")}})
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			added += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if added != 1 {
		t.Errorf("8 concurrent deliveries of one message added %d, want 1", added)
	}
}

func testInboxLease(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg("wamid.1", "62811", "halo")}}); err != nil {
		t.Fatal(err)
	}
	first, err := s.ClaimInbound(ctx, t0, time.Minute, 10)
	if err != nil || len(first) != 1 {
		t.Fatalf("first claim: %d, %v", len(first), err)
	}
	again, err := s.ClaimInbound(ctx, t0.Add(30*time.Second), time.Minute, 10)
	if err != nil || len(again) != 0 {
		t.Fatalf("claim during lease: %d, %v; want none", len(again), err)
	}
	// The claimer died: once the lease is over, the message is offered again.
	later, err := s.ClaimInbound(ctx, t0.Add(2*time.Minute), time.Minute, 10)
	if err != nil || len(later) != 1 || later[0].Attempts != 2 {
		t.Fatalf("claim after lease: %+v, %v; want 1 message on attempt 2", later, err)
	}
}

func testCompleteInboundEnqueues(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg("wamid.1", "62811", "halo")}}); err != nil {
		t.Fatal(err)
	}
	conv := sigap.Conversation{Office: "jakpus", User: "62811", Lang: "id", LastInboundAt: t0}
	reply := sigap.OutboundMessage{Office: "jakpus", To: "62811", InReplyTo: "wamid.1", Reply: sigap.Reply{
		Text: "Menu", List: &sigap.List{Body: "Menu", Button: "Pilih", Sections: []sigap.ListSection{{Rows: []sigap.ListRow{{ID: "menu:bayar", Title: "Bayar"}}}}},
	}}
	if err := s.CompleteInbound(ctx, "wamid.1", conv, []sigap.OutboundMessage{reply}); err != nil {
		t.Fatal(err)
	}
	if left, _ := s.ClaimInbound(ctx, t0.Add(time.Hour), time.Minute, 10); len(left) != 0 {
		t.Errorf("a completed message was offered again: %v", left)
	}
	if got, _ := s.Conversation(ctx, "jakpus", "62811"); got.Lang != "id" {
		t.Errorf("conversation not saved with the step: %+v", got)
	}
	out, err := s.ClaimOutbound(ctx, time.Now().Add(time.Second), time.Minute, 10)
	if err != nil || len(out) != 1 {
		t.Fatalf("claim outbound: %d, %v; want 1", len(out), err)
	}
	if diff := cmp.Diff(reply.Reply, out[0].Reply); diff != "" {
		t.Errorf("queued reply (-want +got):\n%s", diff)
	}
	if out[0].To != "62811" || out[0].InReplyTo != "wamid.1" || out[0].Attempts != 1 {
		t.Errorf("queued message = %+v", out[0])
	}
}

// storeReplies stores n replies, r0 … r(n-1), to n recipients whose
// numbers start with prefix, as one message's answer.
func storeReplies(t *testing.T, s sigap.Store, prefix string, n int) {
	t.Helper()
	ctx := context.Background()
	var replies []sigap.OutboundMessage
	for i := range n {
		replies = append(replies, sigap.OutboundMessage{Office: "jakpus", To: fmt.Sprint(prefix, i), Reply: sigap.Reply{Text: fmt.Sprint("r", i)}})
	}
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg("wamid.1", "62811", "x")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteInbound(ctx, "wamid.1", sigap.Conversation{Office: "jakpus", User: "62811"}, replies); err != nil {
		t.Fatal(err)
	}
}

func testOutboxLifecycle(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	storeReplies(t, s, "6281", 3)
	now := time.Now().Add(time.Second)
	got, err := s.ClaimOutbound(ctx, now, time.Minute, 10)
	if err != nil || len(got) != 3 {
		t.Fatalf("claim: %d, %v; want 3", len(got), err)
	}
	if again, _ := s.ClaimOutbound(ctx, now, time.Minute, 10); len(again) != 0 {
		t.Fatalf("claimed twice during the lease: %d", len(again))
	}
	if err := s.MarkSent(ctx, got[0].ID, "wamid.out.0", now); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkRetry(ctx, got[1].ID, "HTTP 500", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, got[2].ID, "131026 undeliverable"); err != nil {
		t.Fatal(err)
	}
	if early, _ := s.ClaimOutbound(ctx, now.Add(30*time.Second), time.Minute, 10); len(early) != 0 {
		t.Errorf("a retry was offered before its time: %d", len(early))
	}
	due, err := s.ClaimOutbound(ctx, now.Add(2*time.Minute), time.Minute, 10)
	if err != nil || len(due) != 1 || due[0].ID != got[1].ID || due[0].Attempts != 2 || due[0].LastError != "HTTP 500" {
		t.Fatalf("retry claim = %+v, %v; want message %d on attempt 2", due, err, got[1].ID)
	}
}

// testMarkSentTogether: replies marked sent at the same moment, by many
// senders at once, each get their own wamid and leave the queue.
func testMarkSentTogether(t *testing.T, s sigap.Store) {
	lister := outboxListerOf(t, s)
	ctx := context.Background()
	const n = 40
	storeReplies(t, s, "6285", n)
	now := time.Now().Add(time.Second)
	got, err := s.ClaimOutbound(ctx, now, time.Minute, n)
	if err != nil || len(got) != n {
		t.Fatalf("claim: %d, %v; want %d", len(got), err, n)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, m := range got {
		wg.Go(func() {
			if err := s.MarkSent(ctx, m.ID, fmt.Sprint("wamid.sent.", m.Reply.Text), now); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if again, err := s.ClaimOutbound(ctx, now.Add(2*time.Minute), time.Minute, n); err != nil || len(again) != 0 {
		t.Fatalf("claimable after being marked sent: %d, %v", len(again), err)
	}
	wantMarked(t, lister, "6285", n)
}

// outboxListerOf is s's listing of its outbox; without one, the test is
// skipped.
func outboxListerOf(t *testing.T, s sigap.Store) outboxLister {
	t.Helper()
	lister, ok := s.(outboxLister)
	if !ok {
		t.Skip("the store cannot list its outbox")
	}
	return lister
}

// wantMarked checks that jakpus has n replies to recipients whose number
// starts with prefix, each marked sent with the wamid "wamid.sent.TEXT".
func wantMarked(t *testing.T, lister outboxLister, prefix string, n int) {
	t.Helper()
	out, err := lister.Outbound(context.Background(), "jakpus", 10*n)
	if err != nil {
		t.Fatal(err)
	}
	marked := 0
	for _, m := range out {
		if !strings.HasPrefix(m.To, prefix) {
			continue
		}
		marked++
		if want := fmt.Sprint("wamid.sent.", m.Reply.Text); m.State != sigap.OutboundSent || m.SentID != want {
			t.Errorf("reply %d (%s): %s with wamid %q; want sent with %q", m.ID, m.Reply.Text, m.State, m.SentID, want)
		}
	}
	if marked != n {
		t.Errorf("%d replies marked; want %d", marked, n)
	}
}
