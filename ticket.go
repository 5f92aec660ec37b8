package sigap

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"time"
)

// TicketKind is what an applicant's feedback is. The product contract's
// default keywords name them: #saran, #aspirasi, #apresiasi, #pengaduan.
type TicketKind string

const (
	TicketSuggestion   TicketKind = "suggestion"   // saran
	TicketAspiration   TicketKind = "aspiration"   // aspirasi
	TicketAppreciation TicketKind = "appreciation" // apresiasi
	TicketComplaint    TicketKind = "complaint"    // pengaduan
)

// TicketKinds lists every kind.
var TicketKinds = []TicketKind{TicketSuggestion, TicketAspiration, TicketAppreciation, TicketComplaint}

// ParseTicketKind accepts a kind code.
func ParseTicketKind(s string) (TicketKind, error) {
	for _, k := range TicketKinds {
		if TicketKind(s) == k {
			return k, nil
		}
	}
	return "", fmt.Errorf("%w: unknown ticket kind %q", ErrInvalid, s)
}

// TicketState is where a ticket stands. Staff move it on from the console.
type TicketState string

const (
	TicketOpen     TicketState = "open"     // received, not yet answered
	TicketAnswered TicketState = "answered" // staff replied
	TicketClosed   TicketState = "closed"   // nothing more to do
)

// Ticket is one piece of feedback from an applicant. The applicant can look
// it up by Number, from the same WhatsApp account only, and then sees its
// kind, date, state and staff's reply, never the text they sent.
type Ticket struct {
	Office string
	Number string // "K7M-3QX": see NewTicketNumber
	Kind   TicketKind
	User   string // the sender, as in InboundMessage.From
	Lang   string // the conversation's language when it was sent
	// Text is what the applicant wrote. It may hold anything, so it is shown
	// to staff only: never in a reply, never in a log.
	Text string
	// MessageID is the inbound message that made the ticket: processing the
	// same message twice makes one ticket.
	MessageID string
	State     TicketState
	Reply     string // staff's reply, shown by #tiket
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Tickets stores feedback tickets.
type Tickets interface {
	// CreateTicket stores t as open under a new number, unique at its
	// office, and returns it. When the office already has a ticket made from
	// t.MessageID, that ticket is returned instead.
	CreateTicket(ctx context.Context, t Ticket) (Ticket, error)
	// FindTicket returns the office's ticket with that number (as
	// ParseTicketNumber returns it), or an error wrapping ErrNotFound.
	FindTicket(ctx context.Context, office, number string) (Ticket, error)
	// AnswerTicket records staff's reply and the ticket's new state.
	AnswerTicket(ctx context.Context, office, number, reply string, state TicketState, at time.Time) error
}

// Ticket numbers are six characters of Crockford's base 32 (digits and
// capitals without I, L, O and U), shown as two groups of three: "K7M-3QX".
// That is short enough to read out over the phone, and at 32^6 (about a
// billion) per office too many to guess; #tiket also shows a ticket only to
// the account that sent it.
const (
	ticketAlphabet  = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	TicketNumberLen = 6
)

// NewTicketNumber draws a random ticket number from r (crypto/rand when nil).
func NewTicketNumber(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, TicketNumberLen)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("ticket number: %w", err)
	}
	for i := range b {
		b[i] = ticketAlphabet[int(b[i])%len(ticketAlphabet)] // 256 is a multiple of 32: no bias
	}
	return string(b[:3]) + "-" + string(b[3:]), nil
}

// ParseTicketNumber reads a ticket number as an applicant may type it: any
// case, with or without the dash or with spaces, O for 0 and I or L for 1.
// It returns the number as NewTicketNumber writes it.
func ParseTicketNumber(s string) (string, bool) {
	var b []byte
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ' || r == '.' || r == '\u2010' || r == '\u2013':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		if r > 127 || !strings.ContainsRune(ticketAlphabet, r) || len(b) == TicketNumberLen {
			return "", false
		}
		b = append(b, byte(r))
	}
	if len(b) != TicketNumberLen {
		return "", false
	}
	return string(b[:3]) + "-" + string(b[3:]), true
}
