package sqlstore

// The staff console's content overrides, "not understood" texts, day
// counts by service and the dashboard's reads (migration 00014).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sigap-id/sigap"
)

// overrideIdent is what makes a keyword or synonym one: the word as the bot
// compares it (any case, with or without '#'). A text has none.
func overrideIdent(kind, value string) string {
	if kind == sigap.OverrideText {
		return ""
	}
	return strings.TrimPrefix(strings.ToLower(strings.Join(strings.Fields(value), " ")), "#")
}

// ContentVersion implements sigap.ContentOverrides.
func (s *Store) ContentVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.queryRow(ctx, s.db, `SELECT version FROM content_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, fmt.Errorf("content version: %w", err)
	}
	return v, nil
}

// ContentOverrides implements sigap.ContentOverrides: the overrides and
// the version read in one transaction, so they belong together.
func (s *Store) ContentOverrides(ctx context.Context) ([]sigap.ContentOverride, int64, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("content overrides: %w", err)
	}
	defer tx.Rollback()
	var v int64
	if err := tx.QueryRowContext(ctx, `SELECT version FROM content_version WHERE id = 1`).Scan(&v); err != nil {
		return nil, 0, fmt.Errorf("content version: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT office, kind, lang, item, value, updated_by, updated_at FROM content_overrides
		ORDER BY office, kind, lang, item, ident`)
	if err != nil {
		return nil, 0, fmt.Errorf("content overrides: %w", err)
	}
	defer rows.Close()
	var out []sigap.ContentOverride
	for rows.Next() {
		var o sigap.ContentOverride
		var at int64
		if err := rows.Scan(&o.Office, &o.Kind, &o.Lang, &o.Item, &o.Value, &o.By, &at); err != nil {
			return nil, 0, fmt.Errorf("content overrides: %w", err)
		}
		o.At = fromMS(at)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("content overrides: %w", err)
	}
	return out, v, nil
}

func checkOverride(o sigap.ContentOverride) error {
	switch o.Kind {
	case sigap.OverrideText:
		if o.Lang == "" {
			return fmt.Errorf("%w: a text override needs a language", sigap.ErrInvalid)
		}
	case sigap.OverrideKeyword, sigap.OverrideSynonym:
		if overrideIdent(o.Kind, o.Value) == "" {
			return fmt.Errorf("%w: empty %s", sigap.ErrInvalid, o.Kind)
		}
	default:
		return fmt.Errorf("%w: unknown override kind %q", sigap.ErrInvalid, o.Kind)
	}
	if o.Office == "" || o.Item == "" {
		return fmt.Errorf("%w: an override needs an office and an item", sigap.ErrInvalid)
	}
	return nil
}

// SetContentOverride implements sigap.ContentOverrides.
func (s *Store) SetContentOverride(ctx context.Context, o sigap.ContentOverride) (string, error) {
	if err := checkOverride(o); err != nil {
		return "", err
	}
	if o.Kind != sigap.OverrideText {
		o.Lang = ""
	}
	if o.At.IsZero() {
		o.At = s.now()
	}
	ident := overrideIdent(o.Kind, o.Value)
	return inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (string, error) {
		var prev string
		err := s.queryRow(ctx, tx, `SELECT value FROM content_overrides WHERE office = $1 AND kind = $2 AND lang = $3 AND item = $4 AND ident = $5`,
			o.Office, o.Kind, o.Lang, o.Item, ident).Scan(&prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return "", err
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO content_overrides (office, kind, lang, item, ident, value, updated_by, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (office, kind, lang, item, ident) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by,
			updated_at = excluded.updated_at`, o.Office, o.Kind, o.Lang, o.Item, ident, o.Value, o.By, ms(o.At)); err != nil {
			return "", err
		}
		if _, err := s.exec(ctx, tx, `UPDATE content_version SET version = version + 1 WHERE id = 1`); err != nil {
			return "", err
		}
		return prev, nil
	})
}

// DeleteContentOverride implements sigap.ContentOverrides.
func (s *Store) DeleteContentOverride(ctx context.Context, office, kind, lang, item, value string) (string, error) {
	if kind != sigap.OverrideText {
		lang = ""
	}
	ident := overrideIdent(kind, value)
	type result struct {
		prev  string
		found bool
	}
	r, err := inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (result, error) {
		var r result
		err := s.queryRow(ctx, tx, `DELETE FROM content_overrides WHERE office = $1 AND kind = $2 AND lang = $3 AND item = $4 AND ident = $5
			RETURNING value`, office, kind, lang, item, ident).Scan(&r.prev)
		if errors.Is(err, sql.ErrNoRows) {
			return r, nil
		}
		if err != nil {
			return r, err
		}
		r.found = true
		_, err = s.exec(ctx, tx, `UPDATE content_version SET version = version + 1 WHERE id = 1`)
		return r, err
	})
	if err != nil {
		return "", fmt.Errorf("delete content override: %w", err)
	}
	if !r.found {
		return "", fmt.Errorf("%w: no %s override %s %s at %s", sigap.ErrNotFound, kind, lang, item, office)
	}
	return r.prev, nil
}

// AddUsage implements sigap.UnplacedMessages: one transaction adds a
// replica's counts of a few seconds.
func (s *Store) AddUsage(ctx context.Context, t sigap.UsageCounts) error {
	if len(t.Intents) == 0 && len(t.Unplaced) == 0 {
		return nil
	}
	_, err := inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (none, error) {
		for _, d := range t.Intents {
			if _, err := s.exec(ctx, tx, `INSERT INTO intent_days (office, day, intent, count) VALUES ($1, $2, $3, $4)
				ON CONFLICT (office, day, intent) DO UPDATE SET count = intent_days.count + excluded.count`,
				d.Office, d.Day, d.Intent, d.Count); err != nil {
				return none{}, err
			}
		}
		for _, u := range t.Unplaced {
			if _, err := s.exec(ctx, tx, `INSERT INTO unplaced_messages (office, text, count, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (office, text) DO UPDATE SET count = unplaced_messages.count + excluded.count,
				first_seen = CASE WHEN excluded.first_seen < unplaced_messages.first_seen THEN excluded.first_seen ELSE unplaced_messages.first_seen END,
				last_seen = CASE WHEN excluded.last_seen > unplaced_messages.last_seen THEN excluded.last_seen ELSE unplaced_messages.last_seen END`,
				u.Office, u.Text, u.Count, ms(u.FirstSeen), ms(u.LastSeen)); err != nil {
				return none{}, err
			}
		}
		return none{}, nil
	})
	if err != nil {
		return fmt.Errorf("add usage: %w", err)
	}
	return nil
}

// Unplaced implements sigap.UnplacedMessages.
func (s *Store) Unplaced(ctx context.Context, office string, limit int) ([]sigap.UnplacedMessage, error) {
	rows, err := s.query(ctx, s.db, `SELECT office, text, count, first_seen, last_seen FROM unplaced_messages
		WHERE ($1 = '' OR office = $1) ORDER BY count DESC, last_seen DESC, office, text LIMIT $2`, office, limit)
	if err != nil {
		return nil, fmt.Errorf("unplaced: %w", err)
	}
	defer rows.Close()
	var out []sigap.UnplacedMessage
	for rows.Next() {
		var u sigap.UnplacedMessage
		var first, last int64
		if err := rows.Scan(&u.Office, &u.Text, &u.Count, &first, &last); err != nil {
			return nil, fmt.Errorf("unplaced: %w", err)
		}
		u.FirstSeen, u.LastSeen = fromMS(first), fromMS(last)
		out = append(out, u)
	}
	return out, rows.Err()
}

// DeleteUnplaced implements sigap.UnplacedMessages.
func (s *Store) DeleteUnplaced(ctx context.Context, office string, texts []string) error {
	if len(texts) == 0 {
		return nil
	}
	_, err := inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (none, error) {
		for _, t := range texts {
			if _, err := s.exec(ctx, tx, `DELETE FROM unplaced_messages WHERE office = $1 AND text = $2`, office, t); err != nil {
				return none{}, err
			}
		}
		return none{}, nil
	})
	if err != nil {
		return fmt.Errorf("delete unplaced: %w", err)
	}
	return nil
}

// PruneUsage implements sigap.UnplacedMessages.
func (s *Store) PruneUsage(ctx context.Context, unplacedBefore time.Time, dayBefore string) (int64, error) {
	n, err := inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (int64, error) {
		a, err := s.execCount(ctx, tx, `DELETE FROM unplaced_messages WHERE last_seen < $1`, ms(unplacedBefore))
		if err != nil {
			return 0, err
		}
		b, err := s.execCount(ctx, tx, `DELETE FROM intent_days WHERE day < $1`, dayBefore)
		return a + b, err
	})
	if err != nil {
		return 0, fmt.Errorf("prune usage: %w", err)
	}
	return n, nil
}

// IntentDays implements sigap.UnplacedMessages.
func (s *Store) IntentDays(ctx context.Context, office, from string) ([]sigap.IntentDay, error) {
	rows, err := s.query(ctx, s.db, `SELECT office, day, intent, count FROM intent_days
		WHERE ($1 = '' OR office = $1) AND day >= $2 ORDER BY day, office, intent`, office, from)
	if err != nil {
		return nil, fmt.Errorf("intent days: %w", err)
	}
	defer rows.Close()
	var out []sigap.IntentDay
	for rows.Next() {
		var d sigap.IntentDay
		if err := rows.Scan(&d.Office, &d.Day, &d.Intent, &d.Count); err != nil {
			return nil, fmt.Errorf("intent days: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeliveryFailures implements sigap.Dashboard (through outbox_failed).
func (s *Store) DeliveryFailures(ctx context.Context, office string, since time.Time) ([]sigap.DeliveryFailure, error) {
	rows, err := s.query(ctx, s.db, `SELECT office, last_error, COUNT(*) FROM outbox
		WHERE state = 'failed' AND ($1 = '' OR office = $1) AND created_at >= $2
		GROUP BY office, last_error ORDER BY COUNT(*) DESC, office, last_error`, office, ms(since))
	if err != nil {
		return nil, fmt.Errorf("delivery failures: %w", err)
	}
	defer rows.Close()
	var out []sigap.DeliveryFailure
	for rows.Next() {
		var f sigap.DeliveryFailure
		if err := rows.Scan(&f.Office, &f.Error, &f.Count); err != nil {
			return nil, fmt.Errorf("delivery failures: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// TicketTimesSince implements sigap.Dashboard.
func (s *Store) TicketTimesSince(ctx context.Context, office string, since time.Time, limit int) ([]sigap.TicketTimes, error) {
	rows, err := s.query(ctx, s.db, `SELECT office, state, created_at, updated_at, first_answered_at FROM tickets
		WHERE ($1 = '' OR office = $1) AND (created_at >= $2 OR state NOT IN ('answered', 'closed')) ORDER BY created_at DESC LIMIT $3`,
		office, ms(since), limit)
	if err != nil {
		return nil, fmt.Errorf("ticket times: %w", err)
	}
	defer rows.Close()
	var out []sigap.TicketTimes
	for rows.Next() {
		var t sigap.TicketTimes
		var created, updated, first int64
		if err := rows.Scan(&t.Office, &t.State, &created, &updated, &first); err != nil {
			return nil, fmt.Errorf("ticket times: %w", err)
		}
		t.CreatedAt, t.UpdatedAt, t.FirstAnsweredAt = fromMS(created), fromMS(updated), fromMS(first)
		out = append(out, t)
	}
	return out, rows.Err()
}

// HandedOver implements sigap.Dashboard, through the handover columns
// the conversation's save keeps (migration 00011) and their index.
func (s *Store) HandedOver(ctx context.Context, office string, now time.Time) ([]sigap.Conversation, error) {
	rows, err := s.query(ctx, s.db, `SELECT office, user_id, handover_since, handover_until FROM conversations
		WHERE handover_until > $1 AND ($2 = '' OR office = $2) AND handover_since > 0`, ms(now), office)
	if err != nil {
		return nil, fmt.Errorf("handed over: %w", err)
	}
	defer rows.Close()
	var out []sigap.Conversation
	for rows.Next() {
		var c sigap.Conversation
		var since, until int64
		if err := rows.Scan(&c.Office, &c.User, &since, &until); err != nil {
			return nil, fmt.Errorf("handed over: %w", err)
		}
		c.HandoverSince, c.HandoverUntil = fromMS(since), fromMS(until)
		out = append(out, c)
	}
	return out, rows.Err()
}
