package sqlstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/sigap-id/sigap"
)

var _ sigap.LookupGuard = (*Store)(nil)

// NumberLocked implements sigap.LookupGuard.
func (s *Store) NumberLocked(ctx context.Context, office, number string, now time.Time) (bool, error) {
	locked, err := s.exists(ctx, s.db, `SELECT 1 FROM lookup_locks WHERE office = $1 AND number = $2 AND locked_at <= $3 AND locked_until > $4 LIMIT 1`,
		office, number, ms(now), ms(now))
	if err != nil {
		return false, fmt.Errorf("number lock %s: %w", office, err)
	}
	return locked, nil
}

// CountNumberFailure implements sigap.LookupGuard. Each statement checks
// its own condition, so that nothing is decided on a read another replica
// may have overtaken: the failure is stored only if the application
// exists, and the lock only if enough failures are stored and no lock is
// in force. Statements that commit one by one (PostgreSQL) lose no lock
// either: each caller stores its failure before it counts, so the last to
// count sees every failure.
func (s *Store) CountNumberFailure(ctx context.Context, f sigap.NumberFailure, lim sigap.NumberLimit) (bool, error) {
	if lim.Max < 1 || lim.Window <= 0 {
		return false, fmt.Errorf("%w: number limit of %d in %v", sigap.ErrInvalid, lim.Max, lim.Window)
	}
	id := f.MessageID
	if id == "" {
		id = "none." + rand.Text() // no message to recognise a retry by: counts every time
	}
	at, until := ms(f.At), ms(f.At.Add(lim.Window))
	lockedNow, err := writeOne(s, ctx, func(ctx context.Context, q dbtx) (bool, error) {
		// SQLite needs the WHERE of an INSERT … SELECT before ON CONFLICT;
		// PostgreSQL needs the types of a SELECT's bare parameters.
		if _, err := s.exec(ctx, q, `INSERT INTO lookup_failures (office, number, message_id, at, expires_at)
			SELECT $1, $2, $3, CAST($4 AS BIGINT), CAST($5 AS BIGINT)
			WHERE EXISTS (SELECT 1 FROM applications WHERE number = $6 AND office = $7)
			ON CONFLICT DO NOTHING`,
			f.Office, f.Number, id, at, until, f.Number, f.Office); err != nil {
			return false, err
		}
		n, err := s.execCount(ctx, q, `INSERT INTO lookup_locks (office, number, locked_at, locked_until)
			SELECT $1, $2, CAST($3 AS BIGINT), CAST($4 AS BIGINT)
			WHERE (SELECT COUNT(*) FROM lookup_failures WHERE office = $5 AND number = $6 AND expires_at > $7) >= $8
			ON CONFLICT (office, number) DO UPDATE SET locked_at = excluded.locked_at, locked_until = excluded.locked_until
			WHERE lookup_locks.locked_until <= excluded.locked_at`,
			f.Office, f.Number, at, until, f.Office, f.Number, at, lim.Max)
		return n == 1, err
	})
	if err != nil {
		return false, fmt.Errorf("count number failure %s: %w", f.Office, err)
	}
	return lockedNow, nil
}
