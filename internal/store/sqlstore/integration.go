package sqlstore

// The integration API's storage (sigap.Integration, migration 00012).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sigap-id/sigap"
)

var _ sigap.Integration = (*Store)(nil)

// lastUsedEvery is how stale a token's last_used_at may get: a token in
// steady use costs one write a minute for it, not one a request.
const lastUsedEvery = time.Minute

const apiTokenColumns = `name, offices, all_offices, created_at, last_used_at, revoked_at`

func scanAPIToken(row interface{ Scan(...any) error }) (sigap.APIToken, error) {
	var (
		t                      sigap.APIToken
		offices                string
		all                    int
		created, used, revoked int64
	)
	if err := row.Scan(&t.Name, &offices, &all, &created, &used, &revoked); err != nil {
		return t, err
	}
	if offices != "" {
		t.Offices = strings.Split(offices, ",")
	}
	t.AllOffices = all == 1
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = fromMS(created), fromMS(used), fromMS(revoked)
	return t, nil
}

// CreateAPIToken implements sigap.APITokens.
func (s *Store) CreateAPIToken(ctx context.Context, t sigap.APIToken, hash string) error {
	if err := sigap.CheckAPITokenName(t.Name); err != nil {
		return err
	}
	if !t.AllOffices && len(t.Offices) == 0 {
		return fmt.Errorf("%w: token %s has no offices", sigap.ErrInvalid, t.Name)
	}
	all := 0
	if t.AllOffices {
		all, t.Offices = 1, nil
	}
	created := t.CreatedAt
	if created.IsZero() {
		created = s.now()
	}
	n, err := s.write(ctx, `INSERT INTO api_tokens (name, token_hash, offices, all_offices, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, t.Name, hash, strings.Join(t.Offices, ","), all, ms(created))
	if err != nil {
		return fmt.Errorf("create token %s: %w", t.Name, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: a token named %s exists already", sigap.ErrInvalid, t.Name)
	}
	return nil
}

// ListAPITokens implements sigap.APITokens.
func (s *Store) ListAPITokens(ctx context.Context) ([]sigap.APIToken, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []sigap.APIToken
	for rows.Next() {
		t, err := scanAPIToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeAPIToken implements sigap.APITokens.
func (s *Store) RevokeAPIToken(ctx context.Context, name string, at time.Time) error {
	n, err := s.write(ctx, `UPDATE api_tokens SET revoked_at = CASE WHEN revoked_at = 0 THEN $1 ELSE revoked_at END
		WHERE name = $2`, ms(at), name)
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("token %s: %w", name, sigap.ErrNotFound)
	}
	return nil
}

// AuthenticateAPIToken implements sigap.APITokens.
func (s *Store) AuthenticateAPIToken(ctx context.Context, hash string, now time.Time) (sigap.APIToken, error) {
	t, err := scanAPIToken(s.queryRow(ctx, s.db, `SELECT `+apiTokenColumns+` FROM api_tokens
		WHERE token_hash = $1 AND revoked_at = 0`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("token: %w", sigap.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("token: %w", err)
	}
	if now.Sub(t.LastUsedAt) >= lastUsedEvery {
		if _, err := s.write(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE name = $2 AND last_used_at < $3`,
			ms(now), t.Name, ms(now.Add(-lastUsedEvery))); err != nil {
			return t, fmt.Errorf("token use: %w", err)
		}
		t.LastUsedAt = now
	}
	return t, nil
}

// TakeAPIRequest implements sigap.APITokens: one statement counts the
// request only while the window's count is under the limit, so replicas
// sharing the database share the limit and never overshoot it.
func (s *Store) TakeAPIRequest(ctx context.Context, name string, limit int, window time.Duration, now time.Time) (bool, time.Duration, error) {
	if limit < 1 || window <= 0 {
		return false, 0, fmt.Errorf("%w: rate limit of %d in %v", sigap.ErrInvalid, limit, window)
	}
	start, end := sigap.LimitWindow(now, window)
	n, err := s.write(ctx, `INSERT INTO api_rate_counters (token_name, window_start, hits, window_end) VALUES ($1, $2, 1, $3)
		ON CONFLICT (token_name, window_start) DO UPDATE SET hits = api_rate_counters.hits + 1
		WHERE api_rate_counters.hits < $4`, name, start.UnixMilli(), end.UnixMilli(), limit)
	if err != nil {
		return false, 0, fmt.Errorf("rate limit %s: %w", name, err)
	}
	if n == 1 {
		return true, 0, nil
	}
	return false, end.Sub(now), nil
}

// RecordAPIWrite implements sigap.APITokens.
func (s *Store) RecordAPIWrite(ctx context.Context, w sigap.APIWrite) error {
	at := w.At
	if at.IsZero() {
		at = s.now()
	}
	_, err := s.write(ctx, `INSERT INTO api_writes (at, token_name, method, path, office, application_number, status, outcome)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		ms(at), w.Token, w.Method, w.Path, w.Office, w.Application, w.Status, w.Outcome)
	if err != nil {
		return fmt.Errorf("record api write: %w", err)
	}
	return nil
}

// APIWrites implements sigap.APITokens.
func (s *Store) APIWrites(ctx context.Context, limit int) ([]sigap.APIWrite, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT at, token_name, method, path, office, application_number, status, outcome
		FROM api_writes ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("api writes: %w", err)
	}
	defer rows.Close()
	var out []sigap.APIWrite
	for rows.Next() {
		var (
			w  sigap.APIWrite
			at int64
		)
		if err := rows.Scan(&at, &w.Token, &w.Method, &w.Path, &w.Office, &w.Application, &w.Status, &w.Outcome); err != nil {
			return nil, fmt.Errorf("api writes: %w", err)
		}
		w.At = fromMS(at)
		out = append(out, w)
	}
	return out, rows.Err()
}

// AddStageEvent implements sigap.StageEvents. The history row and the
// move are one transaction; the move's WHERE compares stage_at itself, so
// that of two events racing (PostgreSQL) the newer wins whichever commits
// first, and an older one never moves the application back.
func (s *Store) AddStageEvent(ctx context.Context, number string, e sigap.StageEvent) (sigap.EventResult, error) {
	if err := e.Validate(); err != nil {
		return sigap.EventKnown, fmt.Errorf("stage event: %w", err)
	}
	at := ms(e.At)
	res, err := inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (sigap.EventResult, error) {
		if ok, err := s.exists(ctx, tx, `SELECT 1 FROM applications WHERE number = $1`, number); err != nil {
			return sigap.EventKnown, fmt.Errorf("read application: %w", err)
		} else if !ok {
			return sigap.EventKnown, fmt.Errorf("application: %w", sigap.ErrNotFound)
		}
		added, err := s.execCount(ctx, tx, `INSERT INTO application_stages (number, stage, stage_at, note) VALUES ($1, $2, $3, $4)
			ON CONFLICT (number, stage_at, stage) DO NOTHING`, number, e.Stage, at, e.Note)
		if err != nil {
			return sigap.EventKnown, fmt.Errorf("record stage: %w", err)
		}
		moved, err := s.execCount(ctx, tx, `UPDATE applications SET stage = $1, stage_at = $2, note = $3,
			billing_code = $4, billing_expires_at = $5, updated_at = $6 WHERE number = $7 AND stage_at < $8`,
			e.Stage, at, e.Note, e.BillingCode, ms(e.BillingExpiresAt), s.now().UnixMilli(), number, at)
		switch {
		case err != nil:
			return sigap.EventKnown, fmt.Errorf("move application: %w", err)
		case moved == 1:
			return sigap.EventApplied, nil
		case added == 1:
			return sigap.EventHistory, nil
		}
		return sigap.EventKnown, nil
	})
	if err != nil {
		return sigap.EventKnown, fmt.Errorf("stage event %s: %w", number, err)
	}
	return res, nil
}

// SetQueueNumber implements sigap.QueueNumbers.
func (s *Store) SetQueueNumber(ctx context.Context, q sigap.QueueNumber) error {
	if err := sigap.CheckQueueNumber(q.Number); err != nil {
		return fmt.Errorf("queue number: %w", err)
	}
	at := q.SetAt
	if at.IsZero() {
		at = s.now()
	}
	_, err := s.write(ctx, `INSERT INTO office_queue_numbers (office, number, set_at) VALUES ($1, $2, $3)
		ON CONFLICT (office) DO UPDATE SET number = excluded.number, set_at = excluded.set_at`, q.Office, q.Number, ms(at))
	if err != nil {
		return fmt.Errorf("set queue number %s: %w", q.Office, err)
	}
	return nil
}

// QueueNumber implements sigap.QueueNumbers.
func (s *Store) QueueNumber(ctx context.Context, office string) (sigap.QueueNumber, error) {
	q := sigap.QueueNumber{Office: office}
	var at int64
	err := s.queryRow(ctx, s.db, `SELECT number, set_at FROM office_queue_numbers WHERE office = $1`, office).Scan(&q.Number, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return q, fmt.Errorf("queue number %s: %w", office, sigap.ErrNotFound)
	}
	if err != nil {
		return q, fmt.Errorf("queue number %s: %w", office, err)
	}
	q.SetAt = fromMS(at)
	return q, nil
}
