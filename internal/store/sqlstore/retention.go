package sqlstore

// Retention: what the scheduled job removes once its period is over
// (sigap.Retention, migration 00008, docs/privacy.md).

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sigap-id/sigap"
)

// retentionBatch is how many rows one statement of the job removes: each
// batch is a short transaction, so that the job never holds the writer (on
// SQLite) or many row locks (on PostgreSQL) for long, however much is due.
const retentionBatch = 500

// batchLimit ends the sub-selects of the job's statements that pick a
// batch: " LIMIT 500", made once from retentionBatch.
var batchLimit = " LIMIT " + strconv.Itoa(retentionBatch)

// finalStagesSQL is sigap.FinalStages as the partial index
// applications_final (migration 00008) names them: SQLite uses a partial
// index only for a query that repeats its condition term for term.
const finalStagesSQL = `stage IN ('collected', 'shipped', 'rejected', 'cancelled')`

// testSenderSQL selects the simulator's test senders (sigap.TestSenderPrefix),
// as the partial index conversations_test names them.
const testSenderSQL = `substr(user_id, 1, 4) = 'sim:'`

// ApplyRetention implements sigap.Retention.
func (s *Store) ApplyRetention(ctx context.Context, p sigap.RetentionPolicy, holder string, now time.Time) (sigap.Removed, error) {
	p = p.OrDefaults()
	if err := p.Check(); err != nil {
		return sigap.Removed{}, err
	}
	before := func(d time.Duration) int64 { return ms(now.Add(-d)) }
	var r sigap.Removed
	steps := []struct {
		what string
		run  func() (sigap.Removed, error)
	}{
		{"message texts", func() (sigap.Removed, error) {
			n, err := s.inBatches(ctx, `UPDATE inbound_messages SET payload = '', sender = ''
				WHERE seq IN (SELECT seq FROM inbound_messages WHERE sender <> '' AND received_at < $1 AND state = 'done'`+batchLimit+`)
				AND state = 'done'`, before(p.MessageText))
			return sigap.Removed{MessageTexts: n}, err
		}},
		{"messages", func() (sigap.Removed, error) {
			below, err := s.firstSince(ctx, `SELECT seq FROM inbound_messages WHERE received_at >= $1 ORDER BY seq LIMIT 1`,
				`SELECT coalesce(max(seq), 0) + 1 FROM inbound_messages`, before(p.Messages))
			if err != nil {
				return sigap.Removed{}, err
			}
			n, err := s.inBatches(ctx, `DELETE FROM inbound_messages
				WHERE seq IN (SELECT seq FROM inbound_messages WHERE seq < $1 AND state = 'done'`+batchLimit+`)`, below)
			return sigap.Removed{Messages: n}, err
		}},
		{"statuses", func() (sigap.Removed, error) {
			n, err := s.inBatches(ctx, `DELETE FROM message_statuses
				WHERE (wamid, status) IN (SELECT wamid, status FROM message_statuses WHERE at < $1`+batchLimit+`)`,
				before(p.Replies))
			return sigap.Removed{Statuses: n}, err
		}},
		{"replies", func() (sigap.Removed, error) {
			below, err := s.firstSince(ctx, `SELECT id FROM outbox WHERE created_at >= $1 ORDER BY id LIMIT 1`,
				`SELECT coalesce(max(id), 0) + 1 FROM outbox`, before(p.Replies))
			if err != nil {
				return sigap.Removed{}, err
			}
			n, err := s.inBatches(ctx, `DELETE FROM outbox
				WHERE id IN (SELECT id FROM outbox WHERE id < $1 AND state <> 'pending'`+batchLimit+`)`, below)
			return sigap.Removed{Replies: n}, err
		}},
		{"test senders", func() (sigap.Removed, error) {
			return s.removeTestSenders(ctx, before(p.TestSenders))
		}},
		{"conversations", func() (sigap.Removed, error) {
			// A conversation with a subscription keeps the choice to be
			// notified (Conversation.Notify) while the subscription lasts.
			n, err := s.sweepConversations(ctx, `SELECT office, user_id FROM conversations c WHERE updated_at < $1
				AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.office = c.office AND s.user_id = c.user_id)`,
				before(p.Conversations))
			return sigap.Removed{Conversations: n}, err
		}},
		{"tickets", func() (sigap.Removed, error) {
			// Checked again outside the batch: staff may change a ticket
			// meanwhile (PostgreSQL re-reads a row it waited for).
			n, err := s.inBatches(ctx, `DELETE FROM tickets
				WHERE (office, number) IN (SELECT office, number FROM tickets WHERE state IN ('answered', 'closed') AND updated_at < $1`+batchLimit+`)
				AND state IN ('answered', 'closed') AND updated_at < $1`, before(p.Tickets))
			return sigap.Removed{Tickets: n}, err
		}},
		{"applications", func() (sigap.Removed, error) {
			apps, stages, err := s.removeFinishedApplications(ctx, before(p.Applications))
			return sigap.Removed{Applications: apps, Stages: stages}, err
		}},
		{"subscriptions", func() (sigap.Removed, error) {
			// Those past their period, those whose application has been in
			// a final stage for a while, and those whose application is gone.
			n, err := s.sweepSubscriptions(ctx, `SELECT s.office, s.user_id, s.application_number FROM subscriptions s
				WHERE s.created_at < $1 OR NOT EXISTS (SELECT 1 FROM applications a WHERE a.number = s.application_number
					AND NOT (a.`+finalStagesSQL+` AND a.stage_at < $2))`,
				before(p.Subscriptions), before(sigap.FinishedSubscription))
			return sigap.Removed{Subscriptions: n}, err
		}},
		{"runs", func() (sigap.Removed, error) {
			n, err := s.inBatches(ctx, `DELETE FROM retention_runs WHERE id IN (SELECT id FROM retention_runs WHERE at < $1`+batchLimit+`)`,
				before(p.Runs))
			return sigap.Removed{Runs: n}, err
		}},
		{"api writes", func() (sigap.Removed, error) {
			n, err := s.inBatches(ctx, `DELETE FROM api_writes WHERE id IN (SELECT id FROM api_writes WHERE at < $1`+batchLimit+`)`,
				before(p.APIWrites))
			return sigap.Removed{APIWrites: n}, err
		}},
		{"audit", func() (sigap.Removed, error) {
			n, err := s.inBatches(ctx, `DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1`+batchLimit+`)`,
				before(p.Audit))
			return sigap.Removed{Audit: n}, err
		}},
	}
	var stepErr error
	for _, st := range steps {
		got, err := st.run()
		r.Add(got)
		if err != nil {
			stepErr = fmt.Errorf("retention: %s: %w", st.what, err)
			break
		}
	}
	// What went is recorded even when a step failed: it is gone all the same.
	run := sigap.RetentionRun{At: now, Holder: holder, What: sigap.RunRetention, Removed: r}
	if _, err := writeOne(s, ctx, func(ctx context.Context, q dbtx) (none, error) { return none{}, s.recordRun(ctx, q, run) }); err != nil {
		return r, errors.Join(stepErr, fmt.Errorf("retention: %w", err))
	}
	return r, stepErr
}

// firstSince returns the key of the oldest row stored at or after since,
// reading the table in key order from its start (first), or one past the
// newest key when every row is older (past). Inbound messages and replies
// are stored in the order of their keys, so every row before that key is
// older than since: the job deletes by key range instead of through an
// index on the time, which every message and reply would otherwise pay for
// when it is stored. Reading from the start costs as many rows as are due,
// the rows the job deletes anyway. (A redelivered old message stored late
// waits until the rows before it are due, which keeps it longer, never
// shorter.)
func (s *Store) firstSince(ctx context.Context, first, past string, since int64) (int64, error) {
	var key int64
	err := s.queryRow(ctx, s.db, first, since).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		err = s.queryRow(ctx, s.db, past).Scan(&key)
	}
	if err != nil {
		return 0, fmt.Errorf("oldest row kept: %w", err)
	}
	return key, nil
}

// inBatches runs query, which changes at most the rows its batchLimit
// selects, until it changes fewer, each run a write of its own, and
// returns the rows changed.
func (s *Store) inBatches(ctx context.Context, query string, args ...any) (int64, error) {
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := s.write(ctx, query, args...)
		if err != nil {
			return total, err
		}
		total += n
		if n < retentionBatch {
			return total, nil
		}
	}
}

// sweep reads the keys that sel (with args) finds, without holding the
// writer, and hands them to remove retentionBatch at a time. It is for
// conditions that no index serves: the table is read once, instead of once
// per batch.
func (s *Store) sweep(ctx context.Context, sel string, args []any, cols int, remove func(keys [][]string) error) error {
	rows, err := s.db.QueryContext(ctx, sel, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var keys [][]string
	for rows.Next() {
		key := make([]string, cols)
		ptrs := make([]any, cols)
		for i := range key {
			ptrs[i] = &key[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if keys = append(keys, key); len(keys) == retentionBatch {
			if err := remove(keys); err != nil {
				return err
			}
			keys = nil
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(keys) > 0 {
		return remove(keys)
	}
	return nil
}

// sweepConversations deletes the conversations (office, user_id) that sel
// finds that are still idle since before, and forgets them in the cache.
func (s *Store) sweepConversations(ctx context.Context, sel string, before int64) (int64, error) {
	return s.sweepDelete(ctx, sel, []any{before}, 2, func(ctx context.Context, tx *sql.Tx, k []string) (int64, error) {
		return s.deleteIdleConversation(ctx, tx, k[0], k[1], before)
	})
}

// sweepDelete deletes, a batch of keys a transaction, each key that sel
// finds (cols columns a key), with del, and returns the rows deleted.
func (s *Store) sweepDelete(ctx context.Context, sel string, args []any, cols int,
	del func(ctx context.Context, tx *sql.Tx, key []string) (int64, error)) (int64, error) {
	var total int64
	err := s.sweep(ctx, sel, args, cols, func(keys [][]string) error {
		n, err := inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (int64, error) {
			var n int64
			for _, k := range keys {
				m, err := del(ctx, tx, k)
				if err != nil {
					return 0, err
				}
				n += m
			}
			return n, nil
		})
		if err == nil {
			total += n
		}
		return err
	})
	return total, err
}

// deleteIdleConversation deletes user's conversation at office if it is
// still idle since before (checked again: a message may have come since it
// was found), and returns the rows deleted; the conversation cache forgets
// it once that has committed.
func (s *Store) deleteIdleConversation(ctx context.Context, q dbtx, office, user string, before int64) (int64, error) {
	n, err := s.execCount(ctx, q, `DELETE FROM conversations WHERE office = $1 AND user_id = $2 AND updated_at < $3`,
		office, user, before)
	if err == nil && n > 0 {
		s.changed(q, cacheChange{kind: convDrop, key: convKey{office, user}})
	}
	return n, err
}

// sweepSubscriptions deletes the subscriptions (office, user_id,
// application_number) that sel finds.
func (s *Store) sweepSubscriptions(ctx context.Context, sel string, args ...any) (int64, error) {
	return s.sweepDelete(ctx, sel, args, 3, func(ctx context.Context, tx *sql.Tx, k []string) (int64, error) {
		return s.execCount(ctx, tx, `DELETE FROM subscriptions WHERE office = $1 AND user_id = $2 AND application_number = $3`,
			k[0], k[1], k[2])
	})
}

// removeTestSenders deletes the simulator's test senders idle since
// before, with everything stored for them.
func (s *Store) removeTestSenders(ctx context.Context, before int64) (sigap.Removed, error) {
	var total sigap.Removed
	err := s.sweep(ctx, `SELECT office, user_id FROM conversations WHERE `+testSenderSQL+` AND updated_at < $1`,
		[]any{before}, 2, func(keys [][]string) error {
			r, err := inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (sigap.Removed, error) {
				var r sigap.Removed
				for _, k := range keys {
					office, user := k[0], k[1]
					n, err := s.deleteIdleConversation(ctx, tx, office, user, before)
					if err != nil {
						return r, err
					}
					if n == 0 {
						continue // a message came meanwhile: kept
					}
					r.Conversations += n
					got, err := s.removeSenderAt(ctx, tx, office, user)
					if err != nil {
						return r, err
					}
					r.Add(got)
				}
				return r, nil
			})
			if err == nil {
				total.Add(r)
			}
			return err
		})
	return total, err
}

// removeSenderAt deletes what is stored for user at office beside the
// conversation: tickets, subscriptions, replies and their statuses, and
// inbound messages.
func (s *Store) removeSenderAt(ctx context.Context, q dbtx, office, user string) (sigap.Removed, error) {
	var (
		r   sigap.Removed
		err error
	)
	for _, st := range []struct {
		n     *int64
		query string
		args  []any
	}{
		{&r.Tickets, `DELETE FROM tickets WHERE user_id = $1 AND office = $2`, []any{user, office}},
		{&r.Subscriptions, `DELETE FROM subscriptions WHERE office = $1 AND user_id = $2`, []any{office, user}},
		{&r.Statuses, `DELETE FROM message_statuses WHERE wamid IN (SELECT sent_id FROM outbox
			WHERE recipient = $1 AND office = $2 AND sent_id <> '')`, []any{user, office}},
		{&r.Replies, `DELETE FROM outbox WHERE recipient = $1 AND office = $2`, []any{user, office}},
		{&r.Messages, `DELETE FROM inbound_messages WHERE sender = $1 AND sender <> '' AND office = $2`, []any{user, office}},
	} {
		if *st.n, err = s.execCount(ctx, q, st.query, st.args...); err != nil {
			return r, err
		}
	}
	return r, nil
}

// execCount runs a statement on q and returns the rows it changed.
func (s *Store) execCount(ctx context.Context, q dbtx, query string, args ...any) (int64, error) {
	res, err := s.exec(ctx, q, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// removeFinishedApplications deletes the applications that entered a
// final stage before before, and their stage history.
func (s *Store) removeFinishedApplications(ctx context.Context, before int64) (apps, stages int64, err error) {
	for {
		if err := ctx.Err(); err != nil {
			return apps, stages, err
		}
		// What one batch removed: applications, stages, and the batch's size.
		type removed struct{ apps, stages, batch int64 }
		got, err := inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (removed, error) {
			var r removed
			rows, err := s.query(ctx, tx, `SELECT number FROM applications WHERE `+finalStagesSQL+` AND stage_at < $1
				ORDER BY stage_at LIMIT $2`+s.dialect.SkipLocked, before, retentionBatch)
			if err != nil {
				return r, err
			}
			var numbers []any
			for rows.Next() {
				var n string
				if err := rows.Scan(&n); err != nil {
					rows.Close()
					return r, err
				}
				numbers = append(numbers, n)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return r, err
			}
			if r.batch = int64(len(numbers)); r.batch == 0 {
				return r, nil
			}
			// Not prepared: the number of placeholders varies.
			in := params(1, len(numbers))
			res, err := tx.ExecContext(ctx, `DELETE FROM application_stages WHERE number IN (`+in+`)`, numbers...)
			if err == nil {
				r.stages, err = res.RowsAffected()
			}
			if err != nil {
				return r, err
			}
			res, err = tx.ExecContext(ctx, `DELETE FROM applications WHERE number IN (`+in+`)`, numbers...)
			if err == nil {
				r.apps, err = res.RowsAffected()
			}
			return r, err
		})
		if err != nil {
			return apps, stages, err
		}
		apps, stages = apps+got.apps, stages+got.stages
		if got.batch < retentionBatch {
			return apps, stages, nil
		}
	}
}

// params returns "$from, $from+1, …", n placeholders in all, for a
// statement whose number of arguments varies.
func params(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}

// recordRun stores the record of a run or an erasure.
func (s *Store) recordRun(ctx context.Context, q dbtx, run sigap.RetentionRun) error {
	counts, err := json.Marshal(run.Removed)
	if err != nil {
		return fmt.Errorf("record run: %w", err)
	}
	_, err = s.exec(ctx, q, `INSERT INTO retention_runs (at, holder, what, subject, total, counts) VALUES ($1, $2, $3, $4, $5, $6)`,
		ms(run.At), run.Holder, run.What, run.Subject, run.Removed.Total(), string(counts))
	if err != nil {
		return fmt.Errorf("record run: %w", err)
	}
	return nil
}

// RetentionRuns implements sigap.Retention.
func (s *Store) RetentionRuns(ctx context.Context, limit int) ([]sigap.RetentionRun, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, holder, what, subject, counts FROM retention_runs
		ORDER BY at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("retention runs: %w", err)
	}
	defer rows.Close()
	var out []sigap.RetentionRun
	for rows.Next() {
		var (
			run    sigap.RetentionRun
			at     int64
			counts string
		)
		if err := rows.Scan(&run.ID, &at, &run.Holder, &run.What, &run.Subject, &counts); err != nil {
			return nil, fmt.Errorf("retention runs: %w", err)
		}
		if err := json.Unmarshal([]byte(counts), &run.Removed); err != nil {
			return nil, fmt.Errorf("retention run %d: %w", run.ID, err)
		}
		run.At = fromMS(at)
		out = append(out, run)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("retention runs: %w", err)
	}
	return out, nil
}
