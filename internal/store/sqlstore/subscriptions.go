package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// Subscribe implements sigap.Subscriptions.
func (s *Store) Subscribe(ctx context.Context, office, user, number string, at time.Time) error {
	// The cursor starts at the application's current stage: subscribing
	// tells nothing (see Notify). Subscribing again keeps the cursor.
	_, err := s.write(ctx, `INSERT INTO subscriptions (office, user_id, application_number, created_at, notified_at, notified_stage)
		VALUES ($1, $2, $3, $4,
			COALESCE((SELECT a.stage_at FROM applications a WHERE a.number = $3 AND a.office = $1), 0),
			COALESCE((SELECT a.stage FROM applications a WHERE a.number = $3 AND a.office = $1), ''))
		ON CONFLICT (office, user_id, application_number) DO NOTHING`, office, user, number, ms(at))
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	return nil
}

// Unsubscribe implements sigap.Subscriptions.
func (s *Store) Unsubscribe(ctx context.Context, office, user string) error {
	_, err := s.write(ctx, `DELETE FROM subscriptions WHERE office = $1 AND user_id = $2`, office, user)
	if err != nil {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	return nil
}

// Subscribers implements sigap.Subscriptions.
func (s *Store) Subscribers(ctx context.Context, office, number string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT user_id FROM subscriptions WHERE office = $1 AND application_number = $2
		ORDER BY user_id`, office, number)
	if err != nil {
		return nil, fmt.Errorf("subscribers: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("subscribers: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
