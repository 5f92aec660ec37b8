package sigap

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// NotifyStages are the stages an applicant who opted in is told about: the
// ones that ask something of them (collect, pay, complete) or end the
// application.
var NotifyStages = []Stage{StageReady, StageOnHold, StageAwaitingPayment, StageCancelled}

// Notifies reports whether entering st is told to subscribers.
func Notifies(st Stage) bool { return slices.Contains(NotifyStages, st) }

// DueNotification is a subscription whose application entered a stage of
// NotifyStages after the one its subscriber was last told about (or the
// one it was at when they subscribed).
type DueNotification struct {
	Office string
	User   string
	// Application is the application as it is now: its Stage and StageAt
	// are the change to tell.
	Application Application
}

// Notifications finds the changes to tell subscribers and records each as
// told exactly once, whatever wrote the change (the import, the API, the
// console) and however many notifiers run. Each subscription keeps a
// cursor: the stage and stage_at it was last told about, set at subscribe
// time to the application's current ones, so that subscribing tells
// nothing.
type Notifications interface {
	// DueNotifications lists up to limit subscriptions at office whose
	// application's current stage is one of NotifyStages and is newer than
	// the subscription's cursor, oldest change first.
	DueNotifications(ctx context.Context, office string, limit int) ([]DueNotification, error)
	// Notify moves n's subscription's cursor to n.Application's stage and,
	// in the same transaction, stores msg (if not nil) in the outbox as
	// pending, or, if failReason is not empty, as failed with that reason,
	// so that it shows where failed replies show. It reports false, storing
	// nothing, when the cursor was already there or beyond (another
	// notifier told it first), the subscription is gone (opted out), or the
	// application has moved on from n's stage since it was listed.
	Notify(ctx context.Context, n DueNotification, msg *OutboundMessage, failReason string) (bool, error)
}

// OfficeNotifications are an office's notification settings (the offices
// file's quiet_hours, notify_after_lookup and notifications:).
type OfficeNotifications struct {
	// Quiet are the hours, in the office's time zone, in which nothing is
	// sent; the changes due then are told when they end.
	Quiet QuietHours
	// AfterLookup subscribes a sender to every application they look up
	// successfully, without #notif on (until they send #notif off).
	AfterLookup bool
	// Template is the approved template sent outside the applicant's
	// 24-hour window, with its parameters (NotifyParams) filled in; nil: a
	// notification due outside the window is not sent, and recorded as
	// failed in the outbox with the reason.
	Template *Template
}

// NotifyParams are the values a notification template's body parameters
// may name (notifications.template.params), in the offices file's words.
var NotifyParams = []string{"number", "number_masked", "name_masked", "stage", "since", "office"}

// QuietHours is a daily span of local time, From inclusive to To
// exclusive, that may wrap past midnight ("21:00-06:00"). The zero value
// (From == To) is no quiet hours at all.
type QuietHours struct {
	From, To time.Duration // since local midnight
}

// DefaultQuietHours is the product contract's default: 21:00-06:00.
var DefaultQuietHours = QuietHours{From: 21 * time.Hour, To: 6 * time.Hour}

// ParseQuietHours reads "HH:MM-HH:MM" (24-hour clock, may wrap midnight)
// or "none".
func ParseQuietHours(s string) (QuietHours, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "none") {
		return QuietHours{}, nil
	}
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return QuietHours{}, fmt.Errorf("%w: quiet hours %q: want HH:MM-HH:MM (as 21:00-06:00) or none", ErrInvalid, s)
	}
	f, err1 := parseClock(from)
	t, err2 := parseClock(to)
	if err1 != nil || err2 != nil {
		return QuietHours{}, fmt.Errorf("%w: quiet hours %q: want HH:MM-HH:MM (as 21:00-06:00) or none", ErrInvalid, s)
	}
	if f == t {
		return QuietHours{}, fmt.Errorf("%w: quiet hours %q: start and end are the same time (write none for no quiet hours)", ErrInvalid, s)
	}
	return QuietHours{From: f, To: t}, nil
}

func parseClock(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if len(s) != 5 || s[2] != ':' {
		return 0, ErrInvalid
	}
	h, m := int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	for _, c := range s[:2] + s[3:] {
		if c < '0' || c > '9' {
			return 0, ErrInvalid
		}
	}
	if h > 23 || m > 59 {
		return 0, ErrInvalid
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// None reports whether there are no quiet hours.
func (q QuietHours) None() bool { return q.From == q.To }

// String writes q as the offices file does.
func (q QuietHours) String() string {
	if q.None() {
		return "none"
	}
	c := func(d time.Duration) string { return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60) }
	return c(q.From) + "-" + c(q.To)
}

// Quiet reports whether t, read in loc, falls in the quiet hours, and if
// so when they end.
func (q QuietHours) Quiet(t time.Time, loc *time.Location) (bool, time.Time) {
	if q.None() {
		return false, time.Time{}
	}
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	y, m, d := t.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, loc)
	since := t.Sub(midnight)
	at := func(day int, off time.Duration) time.Time {
		return time.Date(y, m, d+day, int(off.Hours()), int(off.Minutes())%60, 0, 0, loc)
	}
	if q.From < q.To { // within one day: 01:00-05:00
		if since >= q.From && since < q.To {
			return true, at(0, q.To)
		}
		return false, time.Time{}
	}
	// Wrapping midnight: 21:00-06:00.
	switch {
	case since >= q.From:
		return true, at(1, q.To)
	case since < q.To:
		return true, at(0, q.To)
	}
	return false, time.Time{}
}
