package sigap

import (
	"context"
	"time"
)

// TicketInProgress: staff are working on the ticket (the console's "in
// progress"; TicketOpen is shown to staff as "new").
const TicketInProgress TicketState = "in_progress"

// StaffTicketStates are the states staff may put a ticket in, in order.
var StaffTicketStates = []TicketState{TicketOpen, TicketInProgress, TicketAnswered, TicketClosed}

// StaffTicket is a ticket with what only staff see.
type StaffTicket struct {
	Ticket
	// Assignee is the account working on it; 0 for nobody.
	Assignee int64
	// Notes are staff's internal notes, oldest first; never shown to the
	// applicant.
	Notes string
	// FirstAnsweredAt is when staff first replied; zero until then.
	FirstAnsweredAt time.Time
}

// Response-time targets for staff's first reply to a ticket (KemenPAN-RB,
// shared/domain.md §5): 3 days, complaints 5 days.
const (
	TicketResponseTarget          = 3 * 24 * time.Hour
	TicketComplaintResponseTarget = 5 * 24 * time.Hour
)

// ResponseDue is when staff's first reply to the ticket is due.
func (t Ticket) ResponseDue() time.Time {
	if t.Kind == TicketComplaint {
		return t.CreatedAt.Add(TicketComplaintResponseTarget)
	}
	return t.CreatedAt.Add(TicketResponseTarget)
}

// Overdue says whether the first reply is late at now: not given by its
// due time (or given after it).
func (t StaffTicket) Overdue(now time.Time) bool {
	if !t.FirstAnsweredAt.IsZero() {
		return t.FirstAnsweredAt.After(t.ResponseDue())
	}
	return now.After(t.ResponseDue())
}

// HandoverChat is a conversation handed to staff (#petugas) whose
// handover is still on.
type HandoverChat struct {
	Office string
	User   string
	Since  time.Time // when the applicant asked for staff
	Until  time.Time // when the bot takes the chat back by itself
	// LastInboundAt is the applicant's latest message; LastStaffReplyAt
	// staff's latest reply during this handover (zero: none yet).
	LastInboundAt    time.Time
	LastStaffReplyAt time.Time
	Lang             string
}

// Waiting says whether the applicant waits for staff: they wrote after
// staff's last reply (or staff have not replied).
func (h HandoverChat) Waiting() bool {
	return h.LastStaffReplyAt.IsZero() || h.LastInboundAt.After(h.LastStaffReplyAt)
}

// WaitingSince is since when the applicant waits: their first message
// after staff's last reply, approximated by the later of the handover's
// start and staff's last reply.
func (h HandoverChat) WaitingSince() time.Time {
	if h.LastStaffReplyAt.After(h.Since) {
		return h.LastStaffReplyAt
	}
	return h.Since
}

// ChatEntry is one message of a conversation as staff read it.
type ChatEntry struct {
	At      time.Time
	Inbound bool // from the applicant; else a reply to them (bot or staff)
	Kind    MessageKind
	Text    string // blank once retention removed it
	// Staff: a reply that answered no inbound message (staff's, or a
	// notification).
	Staff bool
	// State is an outbound message's state and DeliveryStatus its furthest
	// status (sent, delivered, read, failed).
	State          OutboundState
	DeliveryStatus string
	LastError      string
	Template       string // the template sent instead, if any
}

// StaffDesk is what staff work on in the console: handed-over chats and
// tickets.
type StaffDesk interface {
	// ListHandovers lists the office's conversations whose handover is on
	// at now (HandoverUntil after now).
	ListHandovers(ctx context.Context, office string, now time.Time) ([]HandoverChat, error)
	// HandoverChat returns one of them, or an error wrapping ErrNotFound
	// when the conversation has no handover on at now.
	HandoverChat(ctx context.Context, office, user string, now time.Time) (HandoverChat, error)
	// HandBack ends a handover, so that the bot answers the sender again,
	// and returns the conversation as it was. A conversation with none is
	// ErrNotFound.
	HandBack(ctx context.Context, office, user string) (Conversation, error)
	// RecordStaffReply notes that staff replied in a chat at at.
	RecordStaffReply(ctx context.Context, office, user string, at time.Time) error
	// ChatHistory returns up to limit of the newest messages between the
	// office and the sender (those still stored), oldest first.
	ChatHistory(ctx context.Context, office, user string, limit int) ([]ChatEntry, error)
	// OpenTickets lists the office's tickets that are new or in progress,
	// newest first.
	OpenTickets(ctx context.Context, office string) ([]StaffTicket, error)
	// StaffTicket returns a ticket with staff's fields, or ErrNotFound.
	StaffTicket(ctx context.Context, office, number string) (StaffTicket, error)
	// ReplyTicket stores staff's reply, marks the ticket answered, and
	// records when it was first answered.
	ReplyTicket(ctx context.Context, office, number, reply string, at time.Time) (StaffTicket, error)
	// UpdateTicket sets a ticket's state and assignee (0: nobody).
	UpdateTicket(ctx context.Context, office, number string, state TicketState, assignee int64, at time.Time) (StaffTicket, error)
	// ApplicationAskers lists the senders at the office whose conversation
	// holds the application among those they looked up successfully (the
	// bot told them its status), at most 50.
	ApplicationAskers(ctx context.Context, office, number string) ([]string, error)
	// AddTicketNote appends an internal note.
	AddTicketNote(ctx context.Context, office, number, note string, at time.Time) (StaffTicket, error)
}
