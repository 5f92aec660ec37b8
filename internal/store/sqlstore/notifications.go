package sqlstore

// Notifications: the subscriptions whose application has a change to tell,
// and telling each change once (see sigap.Notifications).

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/sigap-id/sigap"
)

// notifyStagesSQL is sigap.NotifyStages.
const notifyStagesSQL = `a.stage IN ('ready', 'on_hold', 'awaiting_payment', 'cancelled')`

// DueNotifications implements sigap.Notifications.
func (s *Store) DueNotifications(ctx context.Context, office string, limit int) ([]sigap.DueNotification, error) {
	rows, err := s.query(ctx, s.db, `SELECT s.user_id, a.number, a.office, a.applicant_name, a.birth_date, a.passport_type,
			a.stage, a.stage_at, a.billing_code, a.billing_expires_at, a.note
		FROM subscriptions s JOIN applications a ON a.number = s.application_number AND a.office = s.office
		WHERE s.office = $1 AND `+notifyStagesSQL+`
			AND (a.stage_at > s.notified_at OR (a.stage_at = s.notified_at AND a.stage <> s.notified_stage))
		ORDER BY a.stage_at, s.user_id, a.number LIMIT $2`, office, limit)
	if err != nil {
		return nil, fmt.Errorf("due notifications: %w", err)
	}
	defer rows.Close()
	var out []sigap.DueNotification
	for rows.Next() {
		var (
			n    = sigap.DueNotification{Office: office}
			user string
		)
		app, err := scanApplication(scanFunc(func(dest ...any) error {
			return rows.Scan(append([]any{&user}, dest...)...)
		}))
		if err != nil {
			return nil, fmt.Errorf("due notifications: %w", err)
		}
		n.User, n.Application = user, app
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("due notifications: %w", err)
	}
	return out, nil
}

// scanFunc is a function as a row to scan.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// Notify implements sigap.Notifications. The cursor moves only forward
// and only while the application is still at n's change, so of two
// notifiers (replicas) telling the same change one moves it and queues the
// message; the other's UPDATE, once the first has committed, matches no
// row (PostgreSQL re-reads a row it waited for; SQLite has one writer),
// and it queues nothing.
func (s *Store) Notify(ctx context.Context, n sigap.DueNotification, msg *sigap.OutboundMessage, failReason string) (bool, error) {
	var payload []byte
	if msg != nil {
		var err error
		if payload, err = json.Marshal(msg.Reply); err != nil {
			return false, fmt.Errorf("notify: encode: %w", err)
		}
	}
	a := n.Application
	now := s.now()
	told, err := inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (bool, error) {
		moved, err := s.execCount(ctx, tx, `UPDATE subscriptions SET notified_at = $1, notified_stage = $2
			WHERE office = $3 AND user_id = $4 AND application_number = $5
				AND (notified_at < $1 OR (notified_at = $1 AND notified_stage <> $2))
				AND EXISTS (SELECT 1 FROM applications a WHERE a.number = $5 AND a.office = $3 AND a.stage = $2 AND a.stage_at = $1)`,
			ms(a.StageAt), string(a.Stage), n.Office, n.User, a.Number)
		if err != nil || moved == 0 || msg == nil {
			return moved > 0, err
		}
		id, err := s.enqueue(ctx, tx, *msg, payload, now)
		if err != nil {
			return false, err
		}
		if failReason != "" {
			if _, err := s.execCount(ctx, tx, `UPDATE outbox SET state = 'failed', last_error = $1 WHERE id = $2`, failReason, id); err != nil {
				return false, err
			}
		}
		return true, nil
	})
	if err != nil {
		return false, fmt.Errorf("notify: %w", err)
	}
	return told, nil
}
