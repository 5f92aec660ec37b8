package sqlstore

// What staff work on in the console: handed-over chats and tickets
// (sigap.StaffDesk; migration 00011).

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sigap-id/sigap"
)

const handoverColumns = `user_id, state, version, handover_since, handover_until, staff_replied_at`

func scanHandover(office string, row interface{ Scan(...any) error }) (sigap.HandoverChat, error) {
	var (
		h                   sigap.HandoverChat
		state               []byte
		version             int64
		since, until, staff int64
	)
	if err := row.Scan(&h.User, &state, &version, &since, &until, &staff); err != nil {
		return h, err
	}
	c, err := decodeConversation(office, h.User, state, version)
	if err != nil {
		return h, err
	}
	h.Office, h.Since, h.Until, h.LastInboundAt, h.Lang = office, fromMS(since), fromMS(until), c.LastInboundAt, c.Lang
	if staff >= since {
		h.LastStaffReplyAt = fromMS(staff)
	}
	return h, nil
}

// ListHandovers implements sigap.StaffDesk.
func (s *Store) ListHandovers(ctx context.Context, office string, now time.Time) ([]sigap.HandoverChat, error) {
	rows, err := s.query(ctx, s.db, `SELECT `+handoverColumns+` FROM conversations
		WHERE handover_until > $1 AND office = $2`, ms(now), office)
	if err != nil {
		return nil, fmt.Errorf("list handovers: %w", err)
	}
	defer rows.Close()
	var out []sigap.HandoverChat
	for rows.Next() {
		h, err := scanHandover(office, rows)
		if err != nil {
			return nil, fmt.Errorf("list handovers: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// HandoverChat implements sigap.StaffDesk.
func (s *Store) HandoverChat(ctx context.Context, office, user string, now time.Time) (sigap.HandoverChat, error) {
	h, err := scanHandover(office, s.queryRow(ctx, s.db, `SELECT `+handoverColumns+` FROM conversations
		WHERE office = $1 AND user_id = $2 AND handover_until > $3`, office, user, ms(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return h, fmt.Errorf("handover at %s: %w", office, sigap.ErrNotFound)
	}
	if err != nil {
		return h, fmt.Errorf("read handover: %w", err)
	}
	return h, nil
}

// handBackTries bounds the reads and saves of a hand-back that the bot's
// own saves keep overtaking.
const handBackTries = 5

// HandBack implements sigap.StaffDesk. It saves over the version it read,
// so that a message the bot is answering meanwhile is not lost: it reads
// again and retries.
func (s *Store) HandBack(ctx context.Context, office, user string) (sigap.Conversation, error) {
	for range handBackTries {
		c, err := s.Conversation(ctx, office, user)
		if err != nil {
			return c, err
		}
		if c.HandoverSince.IsZero() || c.Version == 0 {
			return c, fmt.Errorf("handover at %s: %w", office, sigap.ErrNotFound)
		}
		was := c
		c.HandoverSince, c.HandoverUntil = time.Time{}, time.Time{}
		state, err := json.Marshal(c)
		if err != nil {
			return was, fmt.Errorf("encode conversation: %w", err)
		}
		saving := s.savingConversation(c, state, true)
		_, err = inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (int64, error) { return saving.save(ctx, tx) })
		if errors.Is(err, sigap.ErrStale) {
			continue
		}
		if err != nil {
			return was, fmt.Errorf("hand back: %w", err)
		}
		return was, nil
	}
	return sigap.Conversation{}, fmt.Errorf("hand back: %w", sigap.ErrStale)
}

// RecordStaffReply implements sigap.StaffDesk.
func (s *Store) RecordStaffReply(ctx context.Context, office, user string, at time.Time) error {
	if _, err := s.write(ctx, `UPDATE conversations SET staff_replied_at = $1 WHERE office = $2 AND user_id = $3 AND staff_replied_at < $1`,
		ms(at), office, user); err != nil {
		return fmt.Errorf("record staff reply: %w", err)
	}
	return nil
}

// maxChatHistory bounds ChatHistory's limit.
const maxChatHistory = 500

// ChatHistory implements sigap.StaffDesk.
func (s *Store) ChatHistory(ctx context.Context, office, user string, limit int) ([]sigap.ChatEntry, error) {
	if limit <= 0 || limit > maxChatHistory {
		limit = maxChatHistory
	}
	var out []sigap.ChatEntry
	rows, err := s.query(ctx, s.db, `SELECT received_at, payload FROM inbound_messages
		WHERE office = $1 AND sender = $2 ORDER BY seq DESC LIMIT $3`, office, user, limit)
	if err != nil {
		return nil, fmt.Errorf("chat history: %w", err)
	}
	for rows.Next() {
		var (
			at      int64
			payload string
			m       sigap.InboundMessage
		)
		if err := rows.Scan(&at, &payload); err != nil {
			rows.Close()
			return nil, fmt.Errorf("chat history: %w", err)
		}
		_ = json.Unmarshal([]byte(payload), &m) // blanked by retention: no text
		// When it arrived, to the millisecond, orders it among the replies
		// (the channel's own time has whole seconds).
		out = append(out, sigap.ChatEntry{At: fromMS(at), Inbound: true, Kind: m.Kind, Text: m.Text})
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("chat history: %w", err)
	}
	slices.Reverse(out)
	inbound := len(out)
	rows, err = s.query(ctx, s.db, `SELECT created_at, payload, in_reply_to, state, delivery_status, last_error FROM outbox
		WHERE office = $1 AND recipient = $2 ORDER BY id DESC LIMIT $3`, office, user, limit)
	if err != nil {
		return nil, fmt.Errorf("chat history: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			at             int64
			payload, reply string
			r              sigap.Reply
			e              sigap.ChatEntry
		)
		if err := rows.Scan(&at, &payload, &reply, &e.State, &e.DeliveryStatus, &e.LastError); err != nil {
			return nil, fmt.Errorf("chat history: %w", err)
		}
		_ = json.Unmarshal([]byte(payload), &r)
		e.At, e.Text, e.Staff, e.Kind = fromMS(at), r.Text, reply == "", sigap.KindText
		if r.List != nil && e.Text == "" {
			e.Text = r.List.Body
		}
		if r.Template != nil {
			e.Template = r.Template.Name
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("chat history: %w", err)
	}
	slices.Reverse(out[inbound:])
	slices.SortStableFunc(out, func(a, b sigap.ChatEntry) int { return a.At.Compare(b.At) })
	if len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

const staffTicketColumns = ticketColumns + `, assignee, notes, first_answered_at`

func scanStaffTicket(row interface{ Scan(...any) error }) (sigap.StaffTicket, error) {
	var (
		t                         sigap.StaffTicket
		created, updated, answerd int64
	)
	err := row.Scan(&t.Office, &t.Number, &t.Kind, &t.User, &t.Lang, &t.Text, &t.MessageID, &t.State, &t.Reply,
		&created, &updated, &t.Assignee, &t.Notes, &answerd)
	t.CreatedAt, t.UpdatedAt, t.FirstAnsweredAt = fromMS(created), fromMS(updated), fromMS(answerd)
	return t, err
}

// OpenTickets implements sigap.StaffDesk.
func (s *Store) OpenTickets(ctx context.Context, office string) ([]sigap.StaffTicket, error) {
	rows, err := s.query(ctx, s.db, `SELECT `+staffTicketColumns+` FROM tickets
		WHERE office = $1 AND state IN ('open', 'in_progress') ORDER BY created_at DESC`, office)
	if err != nil {
		return nil, fmt.Errorf("open tickets: %w", err)
	}
	defer rows.Close()
	var out []sigap.StaffTicket
	for rows.Next() {
		t, err := scanStaffTicket(rows)
		if err != nil {
			return nil, fmt.Errorf("open tickets: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// StaffTicket implements sigap.StaffDesk.
func (s *Store) StaffTicket(ctx context.Context, office, number string) (sigap.StaffTicket, error) {
	t, err := scanStaffTicket(s.queryRow(ctx, s.db, `SELECT `+staffTicketColumns+` FROM tickets WHERE office = $1 AND number = $2`, office, number))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("ticket %s at %s: %w", number, office, sigap.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("read ticket: %w", err)
	}
	return t, nil
}

// changeTicket runs one UPDATE … RETURNING of a ticket.
func (s *Store) changeTicket(ctx context.Context, what, office, number, query string, args ...any) (sigap.StaffTicket, error) {
	t, err := writeOne(s, ctx, func(ctx context.Context, q dbtx) (sigap.StaffTicket, error) {
		return scanStaffTicket(s.queryRow(ctx, q, query+` RETURNING `+staffTicketColumns, args...))
	})
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("ticket %s at %s: %w", number, office, sigap.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("%s %s: %w", what, number, err)
	}
	return t, nil
}

// ReplyTicket implements sigap.StaffDesk.
func (s *Store) ReplyTicket(ctx context.Context, office, number, reply string, at time.Time) (sigap.StaffTicket, error) {
	return s.changeTicket(ctx, "reply to ticket", office, number, `UPDATE tickets SET reply = $1, state = 'answered', updated_at = $2,
		first_answered_at = CASE WHEN first_answered_at = 0 THEN $2 ELSE first_answered_at END
		WHERE office = $3 AND number = $4`, reply, ms(at), office, number)
}

// UpdateTicket implements sigap.StaffDesk.
func (s *Store) UpdateTicket(ctx context.Context, office, number string, state sigap.TicketState, assignee int64, at time.Time) (sigap.StaffTicket, error) {
	if !slices.Contains(sigap.StaffTicketStates, state) {
		return sigap.StaffTicket{}, fmt.Errorf("%w: ticket state %q", sigap.ErrInvalid, state)
	}
	return s.changeTicket(ctx, "update ticket", office, number, `UPDATE tickets SET state = $1, assignee = $2, updated_at = $3
		WHERE office = $4 AND number = $5`, state, assignee, ms(at), office, number)
}

// MaxTicketNotes bounds a ticket's notes, in characters.
const MaxTicketNotes = 64 << 10

// AddTicketNote implements sigap.StaffDesk.
func (s *Store) AddTicketNote(ctx context.Context, office, number, note string, at time.Time) (sigap.StaffTicket, error) {
	t, err := s.changeTicket(ctx, "add a note to ticket", office, number, `UPDATE tickets SET notes = notes || $1, updated_at = $2
		WHERE office = $3 AND number = $4 AND length(notes) + $5 <= $6`, note, ms(at), office, number, len([]rune(note)), MaxTicketNotes)
	if errors.Is(err, sigap.ErrNotFound) {
		if _, ferr := s.StaffTicket(ctx, office, number); ferr == nil {
			return t, fmt.Errorf("%w: ticket %s has %d characters of notes already", sigap.ErrInvalid, number, MaxTicketNotes)
		}
	}
	return t, err
}

// ApplicationAskers implements sigap.StaffDesk. The numbers are inside the
// conversation's state (Conversation.Numbers), so this reads the office's
// conversations: a staff page's look-up, not a hot path.
func (s *Store) ApplicationAskers(ctx context.Context, office, number string) ([]string, error) {
	if !sigap.ValidApplicationNumber(number) {
		return nil, fmt.Errorf("%w: application number %q", sigap.ErrInvalid, number)
	}
	users, err := s.queryStrings(ctx, s.db, `SELECT user_id FROM conversations WHERE office = $1 AND state LIKE $2
		ORDER BY updated_at DESC LIMIT 50`, office, `%"`+number+`"%`)
	if err != nil {
		return nil, fmt.Errorf("application askers: %w", err)
	}
	return users, nil
}
