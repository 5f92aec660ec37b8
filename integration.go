package sigap

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The integration API (internal/api): the upstream passport system pushes
// applications, their stage changes and the pickup queue number, each
// integration with a token of its own, scoped to offices.

// APIToken is an integration's credential, as stored: never the token
// itself, only its hash (HashAPIToken).
type APIToken struct {
	// Name names the integration: unique, 1 to MaxAPITokenName of a-z, 0-9, '-', '_', '.'.
	Name string
	// Offices are the office codes the token may write and read, sorted;
	// empty when AllOffices.
	Offices    []string
	AllOffices bool
	CreatedAt  time.Time
	// LastUsedAt is when it last authenticated a request (to the minute);
	// zero if never. RevokedAt is zero while the token is valid.
	LastUsedAt, RevokedAt time.Time
}

// MaxAPITokenName bounds a token's name.
const MaxAPITokenName = 64

// Allows reports whether the token's scope covers office.
func (t APIToken) Allows(office string) bool {
	return t.AllOffices || slices.Contains(t.Offices, office)
}

// Scope is the token's scope as `sigap token list` shows it.
func (t APIToken) Scope() string {
	if t.AllOffices {
		return "all offices"
	}
	return strings.Join(t.Offices, ",")
}

// CheckAPITokenName says what is wrong with a token name, or nil.
func CheckAPITokenName(name string) error {
	if name == "" || len(name) > MaxAPITokenName {
		return fmt.Errorf("%w: token name %q: want 1 to %d characters", ErrInvalid, name, MaxAPITokenName)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("%w: token name %q: want a-z, 0-9, '-', '_' or '.'", ErrInvalid, name)
		}
	}
	return nil
}

// APITokenPrefix starts every token, so that one found in a log or a
// repository is recognised for what it is.
const APITokenPrefix = "sigap_"

// NewAPIToken returns a new random token: 32 bytes from crypto/rand, hex.
// It is shown once and never stored; the store keeps HashAPIToken of it.
func NewAPIToken() string {
	b := make([]byte, 32)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails (Go 1.24+)
	return APITokenPrefix + hex.EncodeToString(b)
}

// HashAPIToken is what the store keeps of a token: its SHA-256, hex. A
// token is 256 random bits, so a plain hash needs no salt or stretching:
// there is nothing to guess.
func HashAPIToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// APIWrite is the record of one write through the integration API.
type APIWrite struct {
	At     time.Time
	Token  string // the token's name
	Method string
	Path   string
	// Office and Application are what the write was about, where known.
	Office, Application string
	Status              int    // the HTTP status answered
	Outcome             string // in words: "created", "updated", "3 created, 1 error", the error
}

// APITokens keeps the integration API's tokens, the per-token request
// counts that rate-limit them (shared by every replica on the database),
// and the record of every write.
type APITokens interface {
	// CreateAPIToken stores t with the hash of its token; a name already
	// taken (revoked or not) is ErrInvalid.
	CreateAPIToken(ctx context.Context, t APIToken, hash string) error
	// ListAPITokens lists every token, revoked ones too, by name.
	ListAPITokens(ctx context.Context) ([]APIToken, error)
	// RevokeAPIToken revokes the named token at at; ErrNotFound when there
	// is none. Revoking a revoked token keeps its first revocation.
	RevokeAPIToken(ctx context.Context, name string, at time.Time) error
	// AuthenticateAPIToken returns the valid token whose hash is hash and
	// records its use at now; ErrNotFound when there is none or it is
	// revoked.
	AuthenticateAPIToken(ctx context.Context, hash string, now time.Time) (APIToken, error)
	// TakeAPIRequest counts one request of the named token in the fixed
	// window of length window that holds now (LimitWindow) and reports
	// whether it is within limit; when it is not, nothing is counted and
	// retryAfter is the time left in the window.
	TakeAPIRequest(ctx context.Context, name string, limit int, window time.Duration, now time.Time) (ok bool, retryAfter time.Duration, err error)
	// RecordAPIWrite records w.
	RecordAPIWrite(ctx context.Context, w APIWrite) error
	// APIWrites lists the recorded writes, newest first, at most limit.
	APIWrites(ctx context.Context, limit int) ([]APIWrite, error)
}

// StageEvent is one stage change of an application as the upstream
// system reports it.
type StageEvent struct {
	Stage Stage
	At    time.Time
	Note  string
	// BillingCode and BillingExpiresAt replace the application's when the
	// event moves it on (empty clears them: a code belongs to its stage).
	BillingCode      string
	BillingExpiresAt time.Time
}

// Validate returns the event's unacceptable fields as FieldErrors, or nil.
func (e StageEvent) Validate() error {
	var errs FieldErrors
	if _, err := ParseStage(string(e.Stage)); err != nil {
		errs = append(errs, FieldError{"stage", "is not a stage code"})
	}
	if e.At.IsZero() {
		errs = append(errs, FieldError{"at", "is missing"})
	}
	if err := CheckText(e.Note, MaxNoteRunes, true); err != nil {
		errs = append(errs, FieldError{"note", err.Error()})
	}
	if e.BillingCode != "" && !ValidBillingCode(e.BillingCode) {
		errs = append(errs, FieldError{"billing_code", fmt.Sprintf("is not %d digits", BillingCodeLen)})
	}
	if errs == nil {
		return nil
	}
	return errs
}

// EventResult says what a stage event did.
type EventResult int

const (
	// EventKnown: the history already held this stage at this time.
	EventKnown EventResult = iota
	// EventApplied: the application moved to the event's stage.
	EventApplied
	// EventHistory: the event is older than the application's stage (or
	// as old): it went into the history only.
	EventHistory
)

func (r EventResult) String() string {
	switch r {
	case EventApplied:
		return "applied"
	case EventHistory:
		return "history"
	}
	return "known"
}

// StageEvents applies stage changes in time order per application.
type StageEvents interface {
	// AddStageEvent records e in the history of application number and
	// moves the application to e.Stage when e is newer than its stage, in
	// one transaction; a late, older event never moves it back, and the
	// same stage at the same time twice is EventKnown. ErrNotFound when
	// there is no such application; ErrInvalid (FieldErrors) for a bad e.
	AddStageEvent(ctx context.Context, number string, e StageEvent) (EventResult, error)
}

// QueueNumber is the pickup queue number an office is serving, as its
// system last published it.
type QueueNumber struct {
	Office string
	Number string
	SetAt  time.Time
}

// MaxQueueNumber bounds a queue number ("A-123").
const MaxQueueNumber = 16

// ShownAt reports whether the number is today's at now in loc, the
// office's time zone: a number from an earlier day is not shown.
func (q QueueNumber) ShownAt(now time.Time, loc *time.Location) bool {
	if q.Number == "" || q.SetAt.IsZero() {
		return false
	}
	if loc == nil {
		loc = time.UTC
	}
	y1, m1, d1 := q.SetAt.In(loc).Date()
	y2, m2, d2 := now.In(loc).Date()
	return y1 == y2 && m1 == m2 && d1 == d2
}

// CheckQueueNumber says what is wrong with a queue number, or nil: 1 to
// MaxQueueNumber characters of letters, digits, '-', '.', '/' and spaces.
func CheckQueueNumber(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("%w: is empty", ErrInvalid)
	}
	if len([]rune(s)) > MaxQueueNumber {
		return fmt.Errorf("%w: is over %d characters", ErrInvalid, MaxQueueNumber)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '/' || r == ' ') {
			return fmt.Errorf("%w: holds %q: want letters, digits, '-', '.', '/' or spaces", ErrInvalid, r)
		}
	}
	return nil
}

// QueueNumbers keeps each office's pickup queue number.
type QueueNumbers interface {
	// SetQueueNumber stores q as its office's number, replacing the one before.
	SetQueueNumber(ctx context.Context, q QueueNumber) error
	// QueueNumber returns the office's number; ErrNotFound when none was set.
	QueueNumber(ctx context.Context, office string) (QueueNumber, error)
}

// Integration is what the integration API keeps.
type Integration interface {
	APITokens
	StageEvents
	QueueNumbers
}
