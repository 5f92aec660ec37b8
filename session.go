package sigap

import (
	"context"
	"time"
)

// Session is a signed-in console account. The browser holds a random token;
// the store keeps only its SHA-256 (TokenHash, hex), so a copy of the
// database signs nobody in.
type Session struct {
	TokenHash  string
	AccountID  int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the absolute end, however active the session is.
	ExpiresAt time.Time
}

// Valid says whether the session may still be used at now, given how long
// it may stay idle.
func (s Session) Valid(now time.Time, idle time.Duration) bool {
	return now.Before(s.ExpiresAt) && now.Before(s.LastSeenAt.Add(idle))
}

// Sessions stores console sessions, so that they can be revoked.
type Sessions interface {
	// CreateSession stores a new session.
	CreateSession(ctx context.Context, s Session) error
	// SessionByToken returns the session with that token hash, or an error
	// wrapping ErrNotFound. It does not check its expiry (Session.Valid).
	SessionByToken(ctx context.Context, tokenHash string) (Session, error)
	// TouchSession records use of the session at at.
	TouchSession(ctx context.Context, tokenHash string, at time.Time) error
	// DeleteSession ends one session (sign out); none is no error.
	DeleteSession(ctx context.Context, tokenHash string) error
	// DeleteAccountSessions ends every session of the account (its password
	// changed), and deletes sessions that expired before before.
	DeleteAccountSessions(ctx context.Context, accountID int64, before time.Time) (int64, error)
}

// LoginThrottle counts failed sign-ins by key (an account's email, a client
// address), so that guessing passwords is slow on every replica.
type LoginThrottle interface {
	// RecordLoginFailure counts a failure for each key at at, and forgets
	// the keys' failures from before forgetBefore.
	RecordLoginFailure(ctx context.Context, keys []string, at, forgetBefore time.Time) error
	// LoginFailures counts key's failures since since.
	LoginFailures(ctx context.Context, key string, since time.Time) (int, error)
	// ClearLoginFailures forgets key's failures (a successful sign-in).
	ClearLoginFailures(ctx context.Context, key string) error
}
