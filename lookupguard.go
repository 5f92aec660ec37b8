package sigap

import (
	"context"
	"time"
)

// NumberFailure is one wrong birth date given for an application that
// exists at its office: one guess at that applicant's birth date.
type NumberFailure struct {
	Office string
	Number string
	// MessageID is the message that gave the birth date, so that a message
	// answered twice (a retry, or an answer worked out ahead and thrown
	// away) is one failure. An empty MessageID counts every time.
	MessageID string
	At        time.Time
}

// NumberLimit is how many wrong birth dates one application number may
// take within Window; the one that reaches Max locks the number for
// Window.
type NumberLimit struct {
	Max    int
	Window time.Duration
}

// LookupGuard counts wrong birth dates per application number, whoever
// sends them, so that guessing an applicant's birth date does not get
// easier with more WhatsApp accounts: a sender's own limits (Tally, kept in
// the Conversation) count per account. A locked number reads like an
// unknown one to everyone, even with the right birth date, until its lock
// ends. Only numbers that exist are counted: an unknown number has no
// birth date to protect, and counting it would let anyone fill the store.
type LookupGuard interface {
	// NumberLocked reports whether number at office is locked at now: a
	// lock holds from the failure that set it until its window ended.
	NumberLocked(ctx context.Context, office, number string, now time.Time) (bool, error)
	// CountNumberFailure records f for lim.Window if f.Number is an
	// application of f.Office, and does nothing otherwise. When the
	// number then has lim.Max failures within lim.Window and no lock in
	// force, it is locked from f.At for lim.Window and lockedNow is true:
	// for one call only, however many count at once.
	CountNumberFailure(ctx context.Context, f NumberFailure, lim NumberLimit) (lockedNow bool, err error)
}
