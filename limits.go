package sigap

import "time"

// Tally counts a sender's events of one kind in a fixed window (see
// LimitWindow): how many there were since Since, the start of the window
// that held the latest. It is kept in the sender's Conversation, so a
// limit survives a restart, holds across replicas (a conversation is
// stored only over the version its turn read) and counts nothing twice
// when a turn is tried again.
type Tally struct {
	Since time.Time `json:"since"`
	N     int       `json:"n"`
}

// In returns the count in the window of length window that holds now: 0
// once that window has ended.
func (t Tally) In(now time.Time, window time.Duration) int {
	start, _ := LimitWindow(now, window)
	if !t.Since.Equal(start) {
		return 0
	}
	return t.N
}

// Add counts one event at now.
func (t *Tally) Add(now time.Time, window time.Duration) {
	start, _ := LimitWindow(now, window)
	if !t.Since.Equal(start) {
		t.Since, t.N = start, 0
	}
	t.N++
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

// OfficeLimits bounds look-ups at one office: what one sender may do, and
// how many wrong birth dates one application number takes from everyone
// together. The product contract's defaults apply to zero fields.
type OfficeLimits struct {
	// LookupsPerHour bounds status look-ups.
	LookupsPerHour int `yaml:"lookups_per_hour"`
	// FailuresPerDay bounds look-ups that found nothing (an unknown number
	// or a wrong birth date); beyond it look-ups stop until the next day.
	FailuresPerDay int `yaml:"failures_per_day"`
	// FailuresPerNumber bounds wrong birth dates for one application
	// number from all senders together (see LookupGuard).
	FailuresPerNumber int `yaml:"failures_per_number"`
}

const (
	DefaultLookupsPerHour = 10
	DefaultFailuresPerDay = 5
	// DefaultFailuresPerNumber: an applicant who mistypes their birth date
	// a few times still gets in; a guesser gets 5 of some 36,500 dates.
	DefaultFailuresPerNumber = 5
)

// OrDefaults fills in the defaults.
func (l OfficeLimits) OrDefaults() OfficeLimits {
	if l.LookupsPerHour <= 0 {
		l.LookupsPerHour = DefaultLookupsPerHour
	}
	if l.FailuresPerDay <= 0 {
		l.FailuresPerDay = DefaultFailuresPerDay
	}
	if l.FailuresPerNumber <= 0 {
		l.FailuresPerNumber = DefaultFailuresPerNumber
	}
	return l
}
