package storetest

// The integration API's storage (sigap.Integration): tokens, the shared
// rate limit, the write record, stage events and queue numbers.

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
)

// testAPITokens: a token is found by its hash until it is revoked; names
// are unique; the list shows scope, creation, last use and revocation.
func testAPITokens(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	upstream, all := sigap.NewAPIToken(), sigap.NewAPIToken()
	if upstream == all || len(upstream) != len(sigap.APITokenPrefix)+64 {
		t.Fatalf("tokens %q and %q: want two different 32-byte tokens", upstream, all)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateAPIToken(ctx, sigap.APIToken{Name: "mpaspor", Offices: []string{"jakpus", "mataram"}, CreatedAt: t0}, sigap.HashAPIToken(upstream)))
	must(s.CreateAPIToken(ctx, sigap.APIToken{Name: "national", AllOffices: true, CreatedAt: t0}, sigap.HashAPIToken(all)))
	if err := s.CreateAPIToken(ctx, sigap.APIToken{Name: "mpaspor", Offices: []string{"jakpus"}}, sigap.HashAPIToken(sigap.NewAPIToken())); !errors.Is(err, sigap.ErrInvalid) {
		t.Errorf("a second token named mpaspor: err = %v, want ErrInvalid", err)
	}
	if err := s.CreateAPIToken(ctx, sigap.APIToken{Name: "Bad Name", AllOffices: true}, "x"); !errors.Is(err, sigap.ErrInvalid) {
		t.Errorf("a bad name: err = %v, want ErrInvalid", err)
	}

	used := t0.Add(time.Hour)
	tok, err := s.AuthenticateAPIToken(ctx, sigap.HashAPIToken(upstream), used)
	must(err)
	if tok.Name != "mpaspor" || !tok.Allows("jakpus") || !tok.Allows("mataram") || tok.Allows("denpasar") || tok.AllOffices {
		t.Errorf("authenticated %+v, want mpaspor for jakpus and mataram only", tok)
	}
	if _, err := s.AuthenticateAPIToken(ctx, sigap.HashAPIToken(upstream+"x"), used); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("an unknown token: err = %v, want ErrNotFound", err)
	}
	must(s.RevokeAPIToken(ctx, "mpaspor", used.Add(time.Minute)))
	must(s.RevokeAPIToken(ctx, "mpaspor", used.Add(time.Hour))) // the first revocation stays
	if _, err := s.AuthenticateAPIToken(ctx, sigap.HashAPIToken(upstream), used.Add(2*time.Minute)); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("a revoked token: err = %v, want ErrNotFound", err)
	}
	if err := s.RevokeAPIToken(ctx, "nobody", used); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("revoking no token: err = %v, want ErrNotFound", err)
	}
	list, err := s.ListAPITokens(ctx)
	must(err)
	want := []sigap.APIToken{
		{Name: "mpaspor", Offices: []string{"jakpus", "mataram"}, CreatedAt: t0, LastUsedAt: used, RevokedAt: used.Add(time.Minute)},
		{Name: "national", AllOffices: true, CreatedAt: t0},
	}
	if d := cmp.Diff(want, list); d != "" {
		t.Errorf("tokens (-want +got):\n%s", d)
	}
}

// testAPIRateLimit: a token's requests are counted in fixed windows, by
// everyone sharing the store together: exactly the limit pass, however
// many ask at once; the next window starts again; tokens count apart.
func testAPIRateLimit(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 3, 4, 10, 0, time.UTC) // 50 s before the minute ends
	const limit = 20
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		passed int
		waits  []time.Duration
	)
	for range 3 * limit {
		wg.Go(func() {
			ok, wait, err := s.TakeAPIRequest(ctx, "mpaspor", limit, time.Minute, now)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if ok {
				passed++
			} else {
				waits = append(waits, wait)
			}
		})
	}
	wg.Wait()
	if passed != limit {
		t.Errorf("%d requests passed at once, want the limit, %d", passed, limit)
	}
	for _, w := range waits {
		if w != 50*time.Second {
			t.Errorf("retry after %v, want 50s, the rest of the window", w)
			break
		}
	}
	if ok, _, _ := s.TakeAPIRequest(ctx, "other", limit, time.Minute, now); !ok {
		t.Error("another token was limited by mpaspor's requests")
	}
	if ok, _, _ := s.TakeAPIRequest(ctx, "mpaspor", limit, time.Minute, now.Add(50*time.Second)); !ok {
		t.Error("the next window was limited")
	}
	// Prune drops the counts of windows that ended.
	if _, err := s.Prune(ctx, now.Add(time.Hour), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := s.TakeAPIRequest(ctx, "mpaspor", limit, time.Minute, now.Add(50*time.Second)); !ok {
		t.Error("after prune, the window in progress lost its count")
	}
}

// testAPIWrites: writes are recorded and listed newest first; retention
// deletes those past SIGAP_RETAIN_API_WRITES.
func testAPIWrites(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	old := sigap.APIWrite{At: t0, Token: "mpaspor", Method: "PUT", Path: "/api/v1/applications/1234567890123456",
		Office: "jakpus", Application: "1234567890123456", Status: 201, Outcome: "created"}
	recent := sigap.APIWrite{At: t0.Add(100 * 24 * time.Hour), Token: "mpaspor", Method: "PUT", Path: "/api/v1/offices/jakpus/queue",
		Office: "jakpus", Status: 200, Outcome: "A-123"}
	for _, w := range []sigap.APIWrite{old, recent} {
		if err := s.RecordAPIWrite(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.APIWrites(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]sigap.APIWrite{recent, old}, got); d != "" {
		t.Errorf("writes (-want +got):\n%s", d)
	}
	removed, err := s.ApplyRetention(ctx, sigap.RetentionPolicy{APIWrites: 30 * 24 * time.Hour}, "test", recent.At.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if removed.APIWrites != 1 {
		t.Errorf("retention removed %d api writes, want 1", removed.APIWrites)
	}
	if got, _ := s.APIWrites(ctx, 10); len(got) != 1 || got[0].Outcome != "A-123" {
		t.Errorf("after retention: %+v, want the recent write alone", got)
	}
}

// testStageEvents: events apply in time order whatever order they come
// in; an older one goes into the history only; the same one twice changes
// nothing; the store reads the move at once.
func testStageEvents(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	a := app()
	if _, err := s.UpsertApplication(ctx, a); err != nil {
		t.Fatal(err)
	}
	h := func(d time.Duration) time.Time { return t0.Add(d * time.Hour) }
	steps := []struct {
		name  string
		ev    sigap.StageEvent
		want  sigap.EventResult
		stage sigap.Stage // stored afterwards
	}{
		{"moves on", sigap.StageEvent{Stage: sigap.StageAwaitingPayment, At: h(1), BillingCode: "820250101234567", BillingExpiresAt: h(3)},
			sigap.EventApplied, sigap.StageAwaitingPayment},
		{"newer, out of order", sigap.StageEvent{Stage: sigap.StageInterviewed, At: h(5)}, sigap.EventApplied, sigap.StageInterviewed},
		{"older arrives late", sigap.StageEvent{Stage: sigap.StagePaid, At: h(2)}, sigap.EventHistory, sigap.StageInterviewed},
		{"same again", sigap.StageEvent{Stage: sigap.StageInterviewed, At: h(5)}, sigap.EventKnown, sigap.StageInterviewed},
		{"older again", sigap.StageEvent{Stage: sigap.StagePaid, At: h(2)}, sigap.EventKnown, sigap.StageInterviewed},
		{"ready with a note", sigap.StageEvent{Stage: sigap.StageReady, At: h(9), Note: "Loket 3"}, sigap.EventApplied, sigap.StageReady},
	}
	for _, st := range steps {
		got, err := s.AddStageEvent(ctx, a.Number, st.ev)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.want {
			t.Errorf("%s: %v, want %v", st.name, got, st.want)
		}
		stored, err := s.FindApplication(ctx, "jakpus", a.Number)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Stage != st.stage {
			t.Errorf("%s: stage %s, want %s", st.name, stored.Stage, st.stage)
		}
	}
	stored, _ := s.FindApplication(ctx, "jakpus", a.Number)
	if stored.Note != "Loket 3" || stored.BillingCode != "" || !stored.StageAt.Equal(h(9)) {
		t.Errorf("stored %+v: want the ready event's note, time and no billing code", stored)
	}
	hist, err := s.ApplicationHistory(ctx, a.Number)
	if err != nil {
		t.Fatal(err)
	}
	var stages []sigap.Stage
	for _, c := range hist {
		stages = append(stages, c.Stage)
	}
	wantStages := []sigap.Stage{sigap.StageRegistered, sigap.StageAwaitingPayment, sigap.StagePaid, sigap.StageInterviewed, sigap.StageReady}
	if d := cmp.Diff(wantStages, stages); d != "" {
		t.Errorf("history, oldest first (-want +got):\n%s", d)
	}
	if _, err := s.AddStageEvent(ctx, "9999999999999999", sigap.StageEvent{Stage: sigap.StagePaid, At: h(1)}); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("an event for no application: err = %v, want ErrNotFound", err)
	}
	var fe sigap.FieldErrors
	_, err = s.AddStageEvent(ctx, a.Number, sigap.StageEvent{Stage: "lost", BillingCode: "12"})
	if !errors.As(err, &fe) || !fe.Has("stage") || !fe.Has("at") || !fe.Has("billing_code") {
		t.Errorf("a bad event: err = %v, want stage, at and billing_code named", err)
	}
}

// testStageEventsRace: of events racing for one application, the newest
// is where it ends, and every one is in the history.
func testStageEventsRace(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	a := app()
	if _, err := s.UpsertApplication(ctx, a); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	const n = 12
	for i := range n {
		wg.Go(func() {
			ev := sigap.StageEvent{Stage: sigap.Stages[i%len(sigap.Stages)], At: t0.Add(time.Duration(i+1) * time.Minute)}
			for {
				_, err := s.AddStageEvent(ctx, a.Number, ev)
				if errors.Is(err, sigap.ErrUnavailable) {
					continue
				}
				if err != nil {
					t.Error(err)
				}
				return
			}
		})
	}
	wg.Wait()
	stored, err := s.FindApplication(ctx, "jakpus", a.Number)
	if err != nil {
		t.Fatal(err)
	}
	if !stored.StageAt.Equal(t0.Add(n*time.Minute)) || stored.Stage != sigap.Stages[(n-1)%len(sigap.Stages)] {
		t.Errorf("after the race: %s at %v, want the newest event's", stored.Stage, stored.StageAt)
	}
	if hist, _ := s.ApplicationHistory(ctx, a.Number); len(hist) != n+1 {
		t.Errorf("history has %d entries, want %d", len(hist), n+1)
	}
}

// testQueueNumbers: an office's queue number is replaced by the next one,
// with the time it was set; offices keep their own.
func testQueueNumbers(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	if _, err := s.QueueNumber(ctx, "jakpus"); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("no number yet: err = %v, want ErrNotFound", err)
	}
	for _, q := range []sigap.QueueNumber{
		{Office: "jakpus", Number: "A-100", SetAt: t0},
		{Office: "mataram", Number: "B-7", SetAt: t0.Add(time.Minute)},
		{Office: "jakpus", Number: "A-123", SetAt: t0.Add(time.Hour)},
	} {
		if err := s.SetQueueNumber(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.QueueNumber(ctx, "jakpus")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(sigap.QueueNumber{Office: "jakpus", Number: "A-123", SetAt: t0.Add(time.Hour)}, got); d != "" {
		t.Errorf("jakpus (-want +got):\n%s", d)
	}
	if got, _ := s.QueueNumber(ctx, "mataram"); got.Number != "B-7" {
		t.Errorf("mataram's number %q, want B-7", got.Number)
	}
	if err := s.SetQueueNumber(ctx, sigap.QueueNumber{Office: "jakpus", Number: "A;DROP"}); !errors.Is(err, sigap.ErrInvalid) {
		t.Errorf("a bad number: err = %v, want ErrInvalid", err)
	}
}
