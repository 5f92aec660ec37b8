package sigap

import (
	"context"
	"time"
)

// Kinds of ContentOverride.
const (
	OverrideText    = "text"    // Lang, Item = the text key, Value = the template
	OverrideKeyword = "keyword" // Item = the service, Value = the keyword
	OverrideSynonym = "synonym" // Item = the service, Value = the word or phrase
)

// ContentOverride is one change an office made to what the bot says or
// understands, in the staff console. It is laid over the offices file's
// texts and keywords; removing a text override takes the office back to the
// national default.
type ContentOverride struct {
	Office string
	Kind   string
	Lang   string // texts only
	Item   string
	Value  string
	By     string // the account that made it
	At     time.Time
}

// ContentOverrides stores the console's content changes for every office.
// Every change counts up one version number shared by all offices, which
// each replica reads cheaply to know when to reload.
type ContentOverrides interface {
	// ContentVersion returns the version: it changes with every change.
	ContentVersion(ctx context.Context) (int64, error)
	// ContentOverrides returns every override and the version they are at.
	ContentOverrides(ctx context.Context) ([]ContentOverride, int64, error)
	// SetContentOverride stores o: a text replaces the office's text of that
	// language and key; a keyword or synonym is added (once: the same word,
	// in any case, replaces the one stored). It returns the value it
	// replaced, "" when none.
	SetContentOverride(ctx context.Context, o ContentOverride) (previous string, err error)
	// DeleteContentOverride removes one override (for a keyword or synonym,
	// value names it) and returns its value; ErrNotFound when there was none.
	DeleteContentOverride(ctx context.Context, office, kind, lang, item, value string) (previous string, err error)
}

// UnplacedMessage is a text the bot could not place at an office, stored
// normalised and without its sender, with how often and when it came.
type UnplacedMessage struct {
	Office    string
	Text      string
	Count     int64
	FirstSeen time.Time
	LastSeen  time.Time
}

// IntentDay is how many messages asked for one service at one office on
// one day (YYYY-MM-DD in the office's time zone).
type IntentDay struct {
	Office string
	Day    string
	Intent string
	Count  int64
}

// UsageCounts is what a replica counted since it last wrote: messages by
// service and day, and the texts it could not place.
type UsageCounts struct {
	Intents  []IntentDay
	Unplaced []UnplacedMessage
}

// UnplacedMessages keeps the counts the dashboard and the console's "not
// understood" page read.
type UnplacedMessages interface {
	// AddUsage adds t to the stored counts.
	AddUsage(ctx context.Context, t UsageCounts) error
	// Unplaced lists an office's unplaced texts ("" for every office), the
	// most frequent first, at most limit.
	Unplaced(ctx context.Context, office string, limit int) ([]UnplacedMessage, error)
	// DeleteUnplaced forgets texts of an office (once a keyword catches them).
	DeleteUnplaced(ctx context.Context, office string, texts []string) error
	// PruneUsage deletes unplaced texts last seen before unplacedBefore and
	// day counts of days before dayBefore (YYYY-MM-DD).
	PruneUsage(ctx context.Context, unplacedBefore time.Time, dayBefore string) (int64, error)
	// IntentDays lists the day counts of an office ("" for all) from day
	// from (YYYY-MM-DD) on.
	IntentDays(ctx context.Context, office, from string) ([]IntentDay, error)
}

// DeliveryFailure is how many replies failed for good with one error.
type DeliveryFailure struct {
	Office string
	Error  string
	Count  int64
}

// TicketTimes are a ticket's times, for the dashboard.
type TicketTimes struct {
	Office    string
	State     TicketState
	CreatedAt time.Time
	UpdatedAt time.Time
	// FirstAnsweredAt is when staff first answered it, zero when not
	// (or not recorded: tickets answered before the console).
	FirstAnsweredAt time.Time
}

// Dashboard reads what the dashboard charts from the stored tables, within
// their retention. office "" means every office.
type Dashboard interface {
	// DeliveryFailures groups the replies that failed for good since since
	// by their error.
	DeliveryFailures(ctx context.Context, office string, since time.Time) ([]DeliveryFailure, error)
	// TicketTimesSince lists the tickets created since since (those not
	// answered or closed whatever their age), at most limit.
	TicketTimesSince(ctx context.Context, office string, since time.Time, limit int) ([]TicketTimes, error)
	// HandedOver lists the conversations handed to staff whose handover has
	// not ended at now.
	HandedOver(ctx context.Context, office string, now time.Time) ([]Conversation, error)
}

// ContentAndStats is what the console's content, "not understood" and
// dashboard pages keep and read.
type ContentAndStats interface {
	ContentOverrides
	UnplacedMessages
	Dashboard
}
