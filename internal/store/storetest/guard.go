package storetest

// The look-up guard: wrong birth dates counted per application number,
// across senders, and the locks they set (sigap.LookupGuard).

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
)

const otherNumber = "6543210987654321"

// guardApps stores the two applications the guard's tests ask about.
func guardApps(t *testing.T, s sigap.Store) {
	t.Helper()
	for _, a := range []sigap.Application{app(), with(app(), func(a *sigap.Application) { a.Number = otherNumber })} {
		if _, err := s.UpsertApplication(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
}

func countFailure(t *testing.T, s sigap.Store, office, number, msgID string, at time.Time, lim sigap.NumberLimit) bool {
	t.Helper()
	locked, err := s.CountNumberFailure(context.Background(), sigap.NumberFailure{Office: office, Number: number, MessageID: msgID, At: at}, lim)
	if err != nil {
		t.Fatalf("count failure %s at %v: %v", msgID, at, err)
	}
	return locked
}

func numberLocked(t *testing.T, s sigap.Store, office, number string, now time.Time) bool {
	t.Helper()
	locked, err := s.NumberLocked(context.Background(), office, number, now)
	if err != nil {
		t.Fatal(err)
	}
	return locked
}

// testNumberLock: the failure that reaches the limit within the window
// locks the number for the window from then, at its office only; failures
// count once per message; after the lock the count starts again.
func testNumberLock(t *testing.T, s sigap.Store) {
	guardApps(t, s)
	n := app().Number
	lim := sigap.NumberLimit{Max: 3, Window: 24 * time.Hour}
	// Each step counts a failure from msg and checks lockedNow, or with
	// no msg asks whether the number is locked at its office.
	steps := []struct {
		office, number, msg string
		at                  time.Duration
		want                bool
	}{
		{"jakpus", n, "m1", 0, false},
		{"jakpus", n, "m2", time.Hour, false},
		{"jakpus", n, "m2", time.Hour, false},           // the same message again: not a failure
		{"jakpus", otherNumber, "m3", time.Hour, false}, // another number's: not this one's
		{"jakpus", n, "", 2*time.Hour - time.Millisecond, false},
		{"jakpus", n, "m4", 2 * time.Hour, true}, // the third: locked until +26h
		{"jakpus", n, "", 2 * time.Hour, true},
		{"jakpus", n, "m5", 3 * time.Hour, false}, // already locked
		{"jakpus", otherNumber, "", 3 * time.Hour, false},
		{"mataram", n, "", 3 * time.Hour, false},
		{"jakpus", n, "", 26*time.Hour - time.Millisecond, true},
		{"jakpus", n, "", 26 * time.Hour, false},
		// At +26h m1, m2 and m4 have left the window and the lock has
		// ended: m5 and m6 are two failures, m7 the third.
		{"jakpus", n, "m6", 26 * time.Hour, false},
		{"jakpus", n, "m7", 26*time.Hour + time.Minute, true},
		{"jakpus", n, "", 26*time.Hour + time.Minute, true},
		{"jakpus", n, "", 50*time.Hour + time.Minute, false},
	}
	for _, st := range steps {
		at := t0.Add(st.at)
		if st.msg == "" {
			if got := numberLocked(t, s, st.office, st.number, at); got != st.want {
				t.Errorf("%s at %s, +%v: locked %v, want %v", st.number, st.office, st.at, got, st.want)
			}
			continue
		}
		if got := countFailure(t, s, st.office, st.number, st.msg, at, lim); got != st.want {
			t.Errorf("%s for %s at +%v: locked now %v, want %v", st.msg, st.number, st.at, got, st.want)
		}
	}
}

// testNumberFailuresOnlyForApplications: a number that is not an
// application of the office stores nothing (Prune finds no row of it), and
// what is stored goes once it has ended.
func testNumberFailuresOnlyForApplications(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	guardApps(t, s)
	lim := sigap.NumberLimit{Max: 1, Window: 24 * time.Hour}
	far := t0.Add(365 * 24 * time.Hour)
	for i, c := range [][2]string{{"jakpus", "9999999999999999"}, {"mataram", app().Number}} {
		if countFailure(t, s, c[0], c[1], fmt.Sprint("m", i), t0, lim) {
			t.Errorf("%s at %s, not an application there, was locked", c[1], c[0])
		}
		if numberLocked(t, s, c[0], c[1], t0) {
			t.Errorf("%s at %s is locked", c[1], c[0])
		}
	}
	if n, err := s.Prune(ctx, far, t0); err != nil || n != 0 {
		t.Fatalf("prune after failures for unknown numbers: %d rows, %v; want none stored", n, err)
	}
	// An empty message id counts every time.
	lim.Max = 2
	if countFailure(t, s, "jakpus", app().Number, "", t0, lim) || !countFailure(t, s, "jakpus", app().Number, "", t0, lim) {
		t.Error("two failures without a message id did not lock at the second")
	}
	if n, err := s.Prune(ctx, t0.Add(lim.Window-time.Millisecond), t0); err != nil || n != 0 {
		t.Fatalf("prune before the lock ended: %d rows, %v; want none", n, err)
	}
	if !numberLocked(t, s, "jakpus", app().Number, t0.Add(time.Hour)) {
		t.Error("the lock went before it ended")
	}
	if n, err := s.Prune(ctx, t0.Add(lim.Window), t0); err != nil || n != 3 {
		t.Fatalf("prune once ended: %d rows, %v; want 2 failures and a lock", n, err)
	}
	if _, err := s.FindApplication(ctx, "jakpus", app().Number); err != nil {
		t.Errorf("the application went with its failures: %v", err)
	}
}

// testNumberLockOnce: failures counted at once, from several replicas,
// lock the number once; one message counted at once is one failure.
func testNumberLockOnce(t *testing.T, s sigap.Store) {
	guardApps(t, s)
	lim := sigap.NumberLimit{Max: 3, Window: 24 * time.Hour}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		locks int
	)
	for i := range 8 {
		wg.Go(func() {
			if countFailure(t, s, "jakpus", app().Number, fmt.Sprint("m", i), t0, lim) {
				mu.Lock()
				locks++
				mu.Unlock()
			}
		})
		wg.Go(func() {
			if countFailure(t, s, "jakpus", otherNumber, "same", t0, lim) {
				t.Error("one message counted at once locked a number")
			}
		})
	}
	wg.Wait()
	if locks != 1 {
		t.Errorf("8 failures at once locked the number %d times, want once", locks)
	}
	if numberLocked(t, s, "jakpus", otherNumber, t0) {
		t.Error("one message counted at once locked a number")
	}
}
