package sqlstore

// Console accounts, sessions, failed sign-ins and the audit log (migration
// 00011).

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sigap-id/sigap"
)

const accountColumns = `id, email, role, office, password_hash, lang, created_at, updated_at`

func scanAccount(row interface{ Scan(...any) error }) (sigap.Account, error) {
	var (
		a                sigap.Account
		created, updated int64
	)
	err := row.Scan(&a.ID, &a.Email, &a.Role, &a.Office, &a.PasswordHash, &a.Lang, &created, &updated)
	a.CreatedAt, a.UpdatedAt = fromMS(created), fromMS(updated)
	return a, err
}

// PutAccount implements sigap.Accounts.
func (s *Store) PutAccount(ctx context.Context, a sigap.Account) (sigap.Account, bool, error) {
	email, err := sigap.NormalizeEmail(a.Email)
	if err != nil {
		return a, false, err
	}
	a.Email = email
	if err := a.Validate(nil); err != nil {
		return a, false, err
	}
	if a.PasswordHash == "" {
		return a, false, fmt.Errorf("%w: account %s without a password hash", sigap.ErrInvalid, email)
	}
	now := ms(s.now())
	type put struct {
		a       sigap.Account
		created bool
	}
	got, err := writeOne(s, ctx, func(ctx context.Context, q dbtx) (put, error) {
		// created_at = updated_at only on the row this statement inserted
		// (an update moves updated_at on, never back, below).
		st, err := scanAccount(s.queryRow(ctx, q, `INSERT INTO accounts (email, role, office, password_hash, lang, created_at, updated_at)
			VALUES ($1, $2, $3, $4, '', $5, $5)
			ON CONFLICT (email) DO UPDATE SET role = excluded.role, office = excluded.office,
				password_hash = excluded.password_hash, updated_at = CASE WHEN accounts.updated_at >= excluded.updated_at
					THEN accounts.updated_at + 1 ELSE excluded.updated_at END
			RETURNING `+accountColumns, a.Email, a.Role, a.Office, a.PasswordHash, now))
		return put{st, err == nil && ms(st.CreatedAt) == ms(st.UpdatedAt) && ms(st.CreatedAt) == now}, err
	})
	if err != nil {
		return a, false, fmt.Errorf("put account %s: %w", email, err)
	}
	return got.a, got.created, nil
}

func (s *Store) oneAccount(ctx context.Context, what string, query string, arg any) (sigap.Account, error) {
	a, err := scanAccount(s.queryRow(ctx, s.db, query, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("account %s: %w", what, sigap.ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("read account: %w", err)
	}
	return a, nil
}

// AccountByEmail implements sigap.Accounts.
func (s *Store) AccountByEmail(ctx context.Context, email string) (sigap.Account, error) {
	return s.oneAccount(ctx, "by email", `SELECT `+accountColumns+` FROM accounts WHERE email = $1`, email)
}

// AccountByID implements sigap.Accounts.
func (s *Store) AccountByID(ctx context.Context, id int64) (sigap.Account, error) {
	return s.oneAccount(ctx, fmt.Sprint(id), `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id)
}

// ListAccounts implements sigap.Accounts.
func (s *Store) ListAccounts(ctx context.Context, office string) ([]sigap.Account, error) {
	rows, err := s.query(ctx, s.db, `SELECT `+accountColumns+` FROM accounts WHERE $1 = '' OR office = $1 ORDER BY email`, office)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	var out []sigap.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetAccountLang implements sigap.Accounts.
func (s *Store) SetAccountLang(ctx context.Context, id int64, lang string) error {
	n, err := s.write(ctx, `UPDATE accounts SET lang = $1 WHERE id = $2`, lang, id)
	if err != nil {
		return fmt.Errorf("set account language: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("account %d: %w", id, sigap.ErrNotFound)
	}
	return nil
}

// CreateSession implements sigap.Sessions.
func (s *Store) CreateSession(ctx context.Context, se sigap.Session) error {
	_, err := s.write(ctx, `INSERT INTO console_sessions (token_hash, account_id, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, se.TokenHash, se.AccountID, ms(se.CreatedAt), ms(se.LastSeenAt), ms(se.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionByToken implements sigap.Sessions.
func (s *Store) SessionByToken(ctx context.Context, tokenHash string) (sigap.Session, error) {
	var (
		se                     sigap.Session
		created, seen, expires int64
	)
	err := s.queryRow(ctx, s.db, `SELECT token_hash, account_id, created_at, last_seen_at, expires_at
		FROM console_sessions WHERE token_hash = $1`, tokenHash).Scan(&se.TokenHash, &se.AccountID, &created, &seen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return se, fmt.Errorf("session: %w", sigap.ErrNotFound)
	}
	if err != nil {
		return se, fmt.Errorf("read session: %w", err)
	}
	se.CreatedAt, se.LastSeenAt, se.ExpiresAt = fromMS(created), fromMS(seen), fromMS(expires)
	return se, nil
}

// TouchSession implements sigap.Sessions.
func (s *Store) TouchSession(ctx context.Context, tokenHash string, at time.Time) error {
	_, err := s.write(ctx, `UPDATE console_sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at < $1`,
		ms(at), tokenHash)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession implements sigap.Sessions.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := s.write(ctx, `DELETE FROM console_sessions WHERE token_hash = $1`, tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteAccountSessions implements sigap.Sessions.
func (s *Store) DeleteAccountSessions(ctx context.Context, accountID int64, before time.Time) (int64, error) {
	n, err := s.write(ctx, `DELETE FROM console_sessions WHERE account_id = $1 OR expires_at < $2`, accountID, ms(before))
	if err != nil {
		return 0, fmt.Errorf("delete sessions: %w", err)
	}
	return n, nil
}

// RecordLoginFailure implements sigap.LoginThrottle.
func (s *Store) RecordLoginFailure(ctx context.Context, keys []string, at, forgetBefore time.Time) error {
	_, err := inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (none, error) {
		for _, k := range keys {
			if _, err := s.exec(ctx, tx, `DELETE FROM login_failures WHERE throttle_key = $1 AND at < $2`, k, ms(forgetBefore)); err != nil {
				return none{}, err
			}
			if _, err := s.exec(ctx, tx, `INSERT INTO login_failures (throttle_key, at) VALUES ($1, $2)`, k, ms(at)); err != nil {
				return none{}, err
			}
		}
		return none{}, nil
	})
	if err != nil {
		return fmt.Errorf("record login failure: %w", err)
	}
	return nil
}

// LoginFailures implements sigap.LoginThrottle.
func (s *Store) LoginFailures(ctx context.Context, key string, since time.Time) (int, error) {
	var n int
	err := s.queryRow(ctx, s.db, `SELECT COUNT(*) FROM login_failures WHERE throttle_key = $1 AND at >= $2`, key, ms(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count login failures: %w", err)
	}
	return n, nil
}

// ClearLoginFailures implements sigap.LoginThrottle.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	if _, err := s.write(ctx, `DELETE FROM login_failures WHERE throttle_key = $1`, key); err != nil {
		return fmt.Errorf("clear login failures: %w", err)
	}
	return nil
}

// RecordAudit implements sigap.Audit.
func (s *Store) RecordAudit(ctx context.Context, e sigap.AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	_, err := s.write(ctx, `INSERT INTO audit_log (at, account_id, actor, office, action, subject, before_json, after_json)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		ms(e.At), e.AccountID, e.Actor, e.Office, e.Action, e.Subject, string(e.Before), string(e.After))
	if err != nil {
		return fmt.Errorf("record audit: %w", err)
	}
	return nil
}

// AuditLog implements sigap.Audit.
func (s *Store) AuditLog(ctx context.Context, q sigap.AuditQuery) ([]sigap.AuditEntry, error) {
	if q.Offices != nil && len(q.Offices) == 0 {
		return nil, nil
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 500)
	before := q.BeforeID
	if before <= 0 {
		before = 1 << 62
	}
	const cols = `SELECT ` + auditColumns + ` FROM audit_log`
	var out []sigap.AuditEntry
	// One query per office keeps each on the (office, id) index; the
	// newest limit of their union are kept.
	offices := q.Offices
	all := offices == nil
	if all {
		offices = []string{""}
	}
	for _, o := range offices {
		var (
			rows *sql.Rows
			err  error
		)
		if all {
			rows, err = s.query(ctx, s.db, cols+` WHERE id < $1 ORDER BY id DESC LIMIT $2`, before, limit)
		} else {
			rows, err = s.query(ctx, s.db, cols+` WHERE office = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, o, before, limit)
		}
		if err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		for rows.Next() {
			e, err := scanAudit(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("read audit log: %w", err)
			}
			out = append(out, e)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
	}
	sortAuditNewestFirst(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

const auditColumns = `id, at, account_id, actor, office, action, subject, before_json, after_json`

func scanAudit(rows *sql.Rows) (sigap.AuditEntry, error) {
	var (
		e             sigap.AuditEntry
		at            int64
		before, after string
	)
	if err := rows.Scan(&e.ID, &at, &e.AccountID, &e.Actor, &e.Office, &e.Action, &e.Subject, &before, &after); err != nil {
		return e, err
	}
	e.At = fromMS(at)
	if before != "" {
		e.Before = []byte(before)
	}
	if after != "" {
		e.After = []byte(after)
	}
	return e, nil
}

func sortAuditNewestFirst(es []sigap.AuditEntry) {
	slices.SortFunc(es, func(a, b sigap.AuditEntry) int { return cmp.Compare(b.ID, a.ID) })
}
