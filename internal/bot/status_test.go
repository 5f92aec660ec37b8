package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigap-id/sigap"
)

// memGuard is an in-memory sigap.LookupGuard over a memStore's
// applications, behaving as the SQL store does (the shared store suite
// tests that): failures of existing applications only, once per message,
// and a lock from the failure that reaches the limit. It records every
// failure it is asked to count.
type memGuard struct {
	apps *memStore

	mu       sync.Mutex
	failures map[[2]string][]sigap.NumberFailure // office, number → stored failures
	locks    map[[2]string][2]time.Time          // office, number → start and end of its lock
	asked    []sigap.NumberFailure               // every call, stored or not
	checks   int                                 // NumberLocked calls
}

func newMemGuard(apps *memStore) *memGuard {
	return &memGuard{apps: apps, failures: map[[2]string][]sigap.NumberFailure{}, locks: map[[2]string][2]time.Time{}}
}

func (g *memGuard) NumberLocked(_ context.Context, office, number string, now time.Time) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.checks++
	lock := g.locks[[2]string{office, number}]
	return !now.Before(lock[0]) && now.Before(lock[1]), nil
}

func (g *memGuard) CountNumberFailure(ctx context.Context, f sigap.NumberFailure, lim sigap.NumberLimit) (bool, error) {
	_, err := g.apps.FindApplication(ctx, f.Office, f.Number)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.asked = append(g.asked, f)
	if errors.Is(err, sigap.ErrNotFound) {
		return false, nil
	}
	k := [2]string{f.Office, f.Number}
	if f.MessageID == "" || !slices.ContainsFunc(g.failures[k], func(old sigap.NumberFailure) bool { return old.MessageID == f.MessageID }) {
		g.failures[k] = append(g.failures[k], f)
	}
	n := 0
	for _, old := range g.failures[k] {
		if f.At.Before(old.At.Add(lim.Window)) {
			n++
		}
	}
	if n < lim.Max || f.At.Before(g.locks[k][1]) {
		return false, nil
	}
	g.locks[k] = [2]time.Time{f.At, f.At.Add(lim.Window)}
	return true, nil
}

var _ sigap.LookupGuard = (*memGuard)(nil)

// sender sends texts from one sender, one message id each, carrying the
// sender's conversation, and returns the replies to the last.
type sender struct {
	t      *testing.T
	e      *Engine
	office sigap.Office
	conv   sigap.Conversation
	n      *int // message ids, shared by the senders of one test
}

func (s *sender) say(texts ...string) []sigap.Reply {
	s.t.Helper()
	var replies []sigap.Reply
	for _, text := range texts {
		*s.n++
		msg := sigap.InboundMessage{ID: fmt.Sprint("wamid.", *s.n), Office: s.office.Code, From: s.conv.User,
			Kind: sigap.KindText, Text: text, At: s.e.now()}
		var err error
		if replies, s.conv, err = s.e.Handle(context.Background(), s.office, s.conv, msg); err != nil {
			s.t.Fatalf("%s > %s: %v", s.conv.User, text, err)
		}
	}
	return replies
}

// TestNumberLockedAcrossSenders: wrong birth dates from five senders lock
// the number; then the right one, from anyone, reads byte for byte like an
// unknown number and counts as the sender's failure, until 24 hours after
// the lock began.
func TestNumberLockedAcrossSenders(t *testing.T) {
	now := at("2026-01-20T10:00:00+07:00")
	store := fixtures()
	deps := store.deps()
	guard := deps.Guard.(*memGuard)
	e := newTestEngine(t, deps, now)
	e.now = func() time.Time { return now }
	office := sigap.Office{Code: testOffice, Name: "Kanim", VerifyBirthDate: true}
	ids := 0
	from := func(user string) *sender {
		return &sender{t: t, e: e, office: office, conv: sigap.Conversation{Office: testOffice, User: user}, n: &ids}
	}
	const number, right, wrong = "3100000000000001", "14051990", "15051990"
	unknown := from("628000").say("9999999999999999", right)
	for i := range sigap.DefaultFailuresPerNumber {
		if locked, _ := guard.NumberLocked(t.Context(), testOffice, number, now); locked {
			t.Fatalf("locked after %d wrong birth dates", i)
		}
		from(fmt.Sprint("62811", i)).say(number, wrong)
		now = now.Add(time.Minute)
	}
	lockedAt := now.Add(-time.Minute)
	asker := from("628999")
	got := asker.say(number, right)
	if diff := cmp.Diff(unknown, got); diff != "" {
		t.Errorf("the right birth date for a locked number differs from an unknown number (-unknown +locked):\n%s", diff)
	}
	if n := asker.conv.Failures.In(now, failureWindow); n != 1 {
		t.Errorf("the sender's failures after a locked number: %d, want 1", n)
	}
	if len(asker.conv.Numbers) != 0 {
		t.Errorf("the locked number was remembered: %v", asker.conv.Numbers)
	}
	// A guess while locked is not even compared, nor counted.
	asked := len(guard.asked)
	from("628998").say(number, wrong)
	if len(guard.asked) != asked {
		t.Errorf("a birth date for a locked number was counted")
	}
	// Another number is not locked.
	if got := from("628997").say("3100000000000002", "02031985"); cmp.Equal(got, unknown) {
		t.Error("another number reads as unknown")
	}
	now = lockedAt.Add(numberWindow - time.Second)
	if got := from("628996").say(number, right); !cmp.Equal(got, unknown) {
		t.Errorf("a second before the lock ends, the right birth date got:\n%v", got)
	}
	now = lockedAt.Add(numberWindow)
	if got := from("628995").say(number, right); cmp.Equal(got, unknown) {
		t.Error("once the lock ended, the right birth date still reads as unknown")
	}
}

// TestNumberFailuresCounted: only a wrong birth date for an existing
// application is counted, against its own office, with the office's
// limit, once per message; an office that does not ask the birth date
// never asks the guard.
func TestNumberFailuresCounted(t *testing.T) {
	now := at("2026-01-20T10:00:00+07:00")
	wantAt := now
	for _, tt := range []struct {
		name   string
		office sigap.Office
		texts  []string
		want   []sigap.NumberFailure
		max    int // the limit asked for
	}{
		{"wrong birth date", sigap.Office{Code: testOffice, VerifyBirthDate: true, Limits: sigap.OfficeLimits{FailuresPerNumber: 3}},
			[]string{"3100000000000001", "15051990"},
			[]sigap.NumberFailure{{Office: testOffice, Number: "3100000000000001", MessageID: "wamid.2", At: wantAt}}, 3},
		{"right birth date", sigap.Office{Code: testOffice, VerifyBirthDate: true},
			[]string{"3100000000000001", "14051990"}, nil, 0},
		{"unknown number", sigap.Office{Code: testOffice, VerifyBirthDate: true},
			[]string{"9999999999999999", "14051990"}, nil, 0},
		{"another office's number, not named", sigap.Office{Code: testOffice, VerifyBirthDate: true},
			[]string{"3100000000000099", "02011990"}, nil, 0},
		// Naming the office would confirm the guess: it counts at the
		// number's own office, by that office's limit (the default here).
		{"another office's number, named", sigap.Office{Code: testOffice, VerifyBirthDate: true, NameHandlingOffice: true},
			[]string{"3100000000000099", "02011990"},
			[]sigap.NumberFailure{{Office: "jaksel", Number: "3100000000000099", MessageID: "wamid.2", At: wantAt}}, sigap.DefaultFailuresPerNumber},
		{"birth date not asked", sigap.Office{Code: testOffice}, []string{"3100000000000001", "9999999999999999"}, nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := fixtures()
			deps := store.deps()
			guard := &maxRecorder{memGuard: deps.Guard.(*memGuard)}
			deps.Guard = guard
			deps.Offices = func(code string) (sigap.Office, bool) {
				return sigap.Office{Code: code, Name: "Kanim " + code, Limits: sigap.OfficeLimits{}.OrDefaults()}, true
			}
			e := newTestEngine(t, deps, now)
			ids := 0
			s := &sender{t: t, e: e, office: tt.office, conv: sigap.Conversation{Office: testOffice, User: "62811"}, n: &ids}
			s.say(tt.texts...)
			if diff := cmp.Diff(tt.want, guard.asked); diff != "" {
				t.Errorf("failures counted (-want +got):\n%s", diff)
			}
			if tt.max != 0 && guard.max != tt.max {
				t.Errorf("limit %d, want %d", guard.max, tt.max)
			}
			if !tt.office.VerifyBirthDate && guard.checks != 0 {
				t.Errorf("an office that does not ask the birth date asked the guard %d times", guard.checks)
			}
		})
	}
}

// maxRecorder remembers the limit it was asked to count with.
type maxRecorder struct {
	*memGuard
	max int
}

func (g *maxRecorder) CountNumberFailure(ctx context.Context, f sigap.NumberFailure, lim sigap.NumberLimit) (bool, error) {
	g.max = lim.Max
	if lim.Window != numberWindow {
		return false, fmt.Errorf("window %v, want %v", lim.Window, numberWindow)
	}
	return g.memGuard.CountNumberFailure(ctx, f, lim)
}

// TestNumberLockedElsewhere: an office that names the handling office does
// not name it for a number locked there, even with the right birth date.
func TestNumberLockedElsewhere(t *testing.T) {
	now := at("2026-01-20T10:00:00+07:00")
	store := fixtures()
	deps := store.deps()
	deps.Offices = func(code string) (sigap.Office, bool) {
		return sigap.Office{Code: code, Name: "Kanim " + code, DisplayNumber: "+62 811"}, true
	}
	e := newTestEngine(t, deps, now)
	office := sigap.Office{Code: testOffice, VerifyBirthDate: true, NameHandlingOffice: true}
	ids := 0
	from := func(user string) *sender {
		return &sender{t: t, e: e, office: office, conv: sigap.Conversation{Office: testOffice, User: user}, n: &ids}
	}
	unknown := from("628000").say("9999999999999999", "01011990")
	named := from("628001").say("3100000000000099", "01011990")
	if cmp.Equal(unknown, named) {
		t.Fatal("the handling office is not named")
	}
	for i := range sigap.DefaultFailuresPerNumber {
		from(fmt.Sprint("62811", i)).say("3100000000000099", "02011990")
	}
	if got := from("628999").say("3100000000000099", "01011990"); !cmp.Equal(unknown, got) {
		t.Errorf("a number locked at its office still names it:\n%v", got)
	}
}

// TestNumberGuardErrors: when the guard fails, the message is not
// answered (the gateway tries it again) and the conversation is unchanged;
// without a guard an office that asks the birth date cannot answer.
func TestNumberGuardErrors(t *testing.T) {
	now := at("2026-01-20T10:00:00+07:00")
	office := sigap.Office{Code: testOffice, VerifyBirthDate: true}
	conv := sigap.Conversation{Office: testOffice, User: "62811", Awaiting: awaitBirthDate,
		AwaitingNumber: "3100000000000001", AwaitingSince: now}
	store := fixtures()
	for _, tt := range []struct {
		name  string
		guard sigap.LookupGuard
		text  string
	}{
		{"locked fails", failingGuard{memGuard: newMemGuard(store), lockedErr: errDown}, "14051990"},
		{"count fails", failingGuard{memGuard: newMemGuard(store), countErr: errDown}, "15051990"},
		{"no guard", nil, "14051990"},
	} {
		deps := store.deps()
		deps.Guard = tt.guard
		e := newTestEngine(t, deps, now)
		replies, got, err := e.Handle(t.Context(), office, conv, textMsg(tt.text, now))
		if err == nil || replies != nil {
			t.Errorf("%s: replies %v, err %v; want none and an error", tt.name, replies, err)
		}
		if tt.guard != nil && !errors.Is(err, errDown) {
			t.Errorf("%s: err %v, want %v", tt.name, err, errDown)
		}
		if diff := cmp.Diff(conv, got); diff != "" {
			t.Errorf("%s: conversation changed on error (-want +got):\n%s", tt.name, diff)
		}
	}
}

type failingGuard struct {
	*memGuard
	lockedErr, countErr error
}

func (g failingGuard) NumberLocked(ctx context.Context, office, number string, now time.Time) (bool, error) {
	if g.lockedErr != nil {
		return false, g.lockedErr
	}
	return g.memGuard.NumberLocked(ctx, office, number, now)
}

func (g failingGuard) CountNumberFailure(ctx context.Context, f sigap.NumberFailure, lim sigap.NumberLimit) (bool, error) {
	if g.countErr != nil {
		return false, g.countErr
	}
	return g.memGuard.CountNumberFailure(ctx, f, lim)
}
