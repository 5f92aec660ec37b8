// Package sigap holds SIGAP's domain: offices, passport applications and
// their stages, the messages applicants send and the replies they get, and
// the storage interfaces the rest of the program implements. It imports no
// storage or transport package; cmd/sigap wires the implementations together.
package sigap

import "errors"

// Error kinds shared by every layer. Wrap them with %w and test with
// errors.Is; the HTTP layer maps them to status codes in one place
// (internal/web, statusFor).
var (
	ErrNotFound    = errors.New("not found")
	ErrInvalid     = errors.New("invalid")
	ErrUnavailable = errors.New("unavailable")
	// ErrNotPending: a queued message or reply is no longer waiting; another
	// worker, which took it over after its lease ran out, finished it.
	ErrNotPending = errors.New("no longer pending")
	// ErrStale: a conversation was stored by someone else after the state
	// being stored was read from it; the turn must be worked out again.
	ErrStale = errors.New("conversation changed meanwhile")
)
