package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Prune implements sigap.Maintenance.
func (s *Store) Prune(ctx context.Context, inboundBefore, outboxBefore time.Time) (int64, error) {
	return inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (int64, error) {
		var total int64
		for _, q := range []struct {
			query string
			arg   int64
		}{
			{`DELETE FROM inbound_messages WHERE state = 'done' AND received_at < $1`, ms(inboundBefore)},
			{`DELETE FROM outbox WHERE state <> 'pending' AND created_at < $1`, ms(outboxBefore)},
			{`DELETE FROM message_statuses WHERE at < $1`, ms(outboxBefore)},
			{`DELETE FROM channel_errors WHERE at < $1`, ms(outboxBefore)},
			{`DELETE FROM send_budget WHERE second < $1`, inboundBefore.Unix()},
			// Look-up failures and locks (sigap.LookupGuard) that ended:
			// nothing reads them then. Kept no longer than the messages
			// that gave the birth dates.
			{`DELETE FROM lookup_failures WHERE expires_at <= $1`, ms(inboundBefore)},
			{`DELETE FROM lookup_locks WHERE locked_until <= $1`, ms(inboundBefore)},
			// Integration API request counts of windows that ended.
			{`DELETE FROM api_rate_counters WHERE window_end <= $1`, ms(inboundBefore)},
			// Console sessions that ended (their absolute end; an idle one
			// ends sooner and is refused, see sigap.Session.Valid) and
			// failed sign-ins, long past the throttle's window.
			{`DELETE FROM console_sessions WHERE expires_at <= $1`, ms(inboundBefore)},
			{`DELETE FROM login_failures WHERE at <= $1`, ms(inboundBefore)},
		} {
			res, err := tx.ExecContext(ctx, q.query, q.arg)
			if err != nil {
				return 0, fmt.Errorf("prune: %w", err)
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return total, nil
	})
}

// TryLease implements sigap.Maintenance: the lease is taken when free or
// expired, and renewed by its holder.
func (s *Store) TryLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	n, err := s.write(ctx, `INSERT INTO job_leases (name, holder, leased_until) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, leased_until = excluded.leased_until
		WHERE job_leases.holder = excluded.holder OR job_leases.leased_until <= $4`, name, holder, ms(until), ms(now))
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	return n == 1, nil
}

// QueueStats is the depth and age of the queues, for metrics.
type QueueStats struct {
	InboxPending, OutboxPending int
	OldestOutbox                time.Time // zero when the outbox is empty
}

// QueueStats reads how much work is waiting.
func (s *Store) QueueStats(ctx context.Context) (QueueStats, error) {
	var (
		st     QueueStats
		oldest sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM outbox WHERE state = 'pending'`).Scan(&st.OutboxPending, &oldest)
	if err != nil {
		return st, fmt.Errorf("queue stats: %w", err)
	}
	if oldest.Valid {
		st.OldestOutbox = fromMS(oldest.Int64)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbound_messages WHERE state = 'pending'`).Scan(&st.InboxPending); err != nil {
		return st, fmt.Errorf("queue stats: %w", err)
	}
	return st, nil
}

// TakeSendSlots spends up to n messages of a phone number's budget for the
// second now falls in, shared by every replica on this database: all n if they are left, else one, and reports how
// many it took (0 when the second's budget is spent). Taking several in
// one statement saves a replica a round trip per send.
func (s *Store) TakeSendSlots(ctx context.Context, phoneNumberID string, perSecond int, now time.Time, n int) (int, error) {
	for _, k := range []int{n, 1} {
		if k < 1 || k > perSecond {
			continue
		}
		took, err := s.write(ctx, `INSERT INTO send_budget (phone_number_id, second, used) VALUES ($1, $2, $3)
			ON CONFLICT (phone_number_id, second) DO UPDATE SET used = send_budget.used + $4
			WHERE send_budget.used + $5 <= $6`, phoneNumberID, now.Unix(), k, k, k, perSecond)
		if err != nil {
			return 0, fmt.Errorf("send budget: %w", err)
		}
		if took == 1 {
			return k, nil
		}
		if k == 1 {
			break
		}
	}
	return 0, nil
}

// ExpireClaims ends every lease on inbound messages and replies at once.
// Only for a database that one process uses alone (SQLite), at start: the
// claims can only be the previous run's, which died or was killed. The
// outbox claims are ended, not erased, so that a reply whose send was cut
// short still counts as in doubt, and waits for its status from now (see
// expireOutboxClaims).
func (s *Store) ExpireClaims(ctx context.Context) (int64, error) {
	var total int64
	for _, q := range []string{
		`UPDATE inbound_messages SET claimed_until = 1 WHERE state = 'pending' AND claimed_until > 1`,
	} {
		n, err := s.write(ctx, q)
		if err != nil {
			return total, fmt.Errorf("expire claims: %w", err)
		}
		total += n
	}
	n, err := s.expireOutboxClaims(ctx)
	return total + n, err
}
