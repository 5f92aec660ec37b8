package sigap

import (
	"context"
	"time"
)

// Limits counts events per key in fixed windows, in the database, so that
// limits survive a restart and hold across replicas.
type Limits interface {
	// Hit counts one event under key in the window of length window that
	// holds now (see LimitWindow) and returns the window's count, this event
	// included.
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
	// Hits returns the window's count without adding to it.
	Hits(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
}

// Count is one event to count under a limit: a turn reads the counts it
// needs with Hits and returns the events it counted in
// Conversation.Counts, which the store adds with the turn's replies, in the
// same transaction. So a turn that fails and is tried again has counted
// nothing the first time, and the count costs no write of its own.
type Count struct {
	Key    string
	Window time.Duration
	At     time.Time
}

// LimitWindow returns the fixed window of length window that holds now.
// Windows are counted from the Unix epoch, so a day runs from 00:00 UTC
// (07:00 WIB).
func LimitWindow(now time.Time, window time.Duration) (start, end time.Time) {
	w := window.Milliseconds()
	if w <= 0 {
		w = 1
	}
	ms := now.UnixMilli()
	s := ms - ((ms%w)+w)%w
	return time.UnixMilli(s).UTC(), time.UnixMilli(s + w).UTC()
}

// OfficeLimits bounds what one sender may do at one office. The product
// contract's defaults apply to zero fields.
type OfficeLimits struct {
	// LookupsPerHour bounds status look-ups.
	LookupsPerHour int `yaml:"lookups_per_hour"`
	// FailuresPerDay bounds look-ups that found nothing (an unknown number
	// or a wrong birth date); beyond it look-ups stop until the next day.
	FailuresPerDay int `yaml:"failures_per_day"`
}

const (
	DefaultLookupsPerHour = 10
	DefaultFailuresPerDay = 5
)

// OrDefaults fills in the defaults.
func (l OfficeLimits) OrDefaults() OfficeLimits {
	if l.LookupsPerHour <= 0 {
		l.LookupsPerHour = DefaultLookupsPerHour
	}
	if l.FailuresPerDay <= 0 {
		l.FailuresPerDay = DefaultFailuresPerDay
	}
	return l
}
