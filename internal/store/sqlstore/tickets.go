package sqlstore

// Feedback tickets, which a conversation opens and staff answer (migration
// 00002).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sigap-id/sigap"
)

// ticketTries bounds the draws of a new ticket number; with a billion
// numbers per office a second draw is already rare.
const ticketTries = 8

// CreateTicket implements sigap.Tickets.
func (s *Store) CreateTicket(ctx context.Context, t sigap.Ticket) (sigap.Ticket, error) {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = t.CreatedAt
	}
	t.State = sigap.TicketOpen
	for range ticketTries {
		number, err := sigap.NewTicketNumber(nil)
		if err != nil {
			return t, err
		}
		t.Number = number
		// made: t stored; found: the ticket that t's message already made.
		type created struct {
			made, found bool
			old         sigap.Ticket
		}
		got, err := writeOne(s, ctx, func(ctx context.Context, q dbtx) (created, error) {
			var c created
			// DO NOTHING covers both a number already taken and a message
			// that already made a ticket; which one it was is read below.
			n, err := s.execCount(ctx, q, `INSERT INTO tickets (office, number, kind, user_id, lang, body, message_id,
			state, reply, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', $9, $10) ON CONFLICT DO NOTHING`,
				t.Office, t.Number, t.Kind, t.User, t.Lang, t.Text, t.MessageID, t.State, ms(t.CreatedAt), ms(t.UpdatedAt))
			if err != nil {
				return c, err
			}
			if c.made = n == 1; c.made || t.MessageID == "" {
				return c, nil
			}
			c.old, err = scanTicket(s.queryRow(ctx, q, `SELECT `+ticketColumns+` FROM tickets WHERE office = $1 AND message_id = $2`,
				t.Office, t.MessageID))
			if errors.Is(err, sql.ErrNoRows) {
				return c, nil
			}
			c.found = err == nil
			return c, err
		})
		switch {
		case err != nil:
			return t, fmt.Errorf("create ticket: %w", err)
		case got.made:
			return t, nil
		case got.found:
			return got.old, nil
		}
	}
	return t, fmt.Errorf("create ticket at %s: no free number after %d tries", t.Office, ticketTries)
}

const ticketColumns = `office, number, kind, user_id, lang, body, message_id, state, reply, created_at, updated_at`

func scanTicket(row interface{ Scan(...any) error }) (sigap.Ticket, error) {
	var (
		t                sigap.Ticket
		created, updated int64
	)
	err := row.Scan(&t.Office, &t.Number, &t.Kind, &t.User, &t.Lang, &t.Text, &t.MessageID, &t.State, &t.Reply, &created, &updated)
	t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
	return t, err
}

// FindTicket implements sigap.Tickets.
func (s *Store) FindTicket(ctx context.Context, office, number string) (sigap.Ticket, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE office = $1 AND number = $2`, office, number)
	t, err := scanTicket(row)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("ticket %s at %s: %w", number, office, sigap.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("find ticket: %w", err)
	}
	return t, nil
}

// AnswerTicket implements sigap.Tickets.
func (s *Store) AnswerTicket(ctx context.Context, office, number, reply string, state sigap.TicketState, at time.Time) error {
	n, err := s.write(ctx, `UPDATE tickets SET reply = $1, state = $2, updated_at = $3 WHERE office = $4 AND number = $5`,
		reply, state, ms(at), office, number)
	if err != nil {
		return fmt.Errorf("answer ticket %s: %w", number, err)
	}
	if n == 0 {
		return fmt.Errorf("ticket %s at %s: %w", number, office, sigap.ErrNotFound)
	}
	return nil
}
