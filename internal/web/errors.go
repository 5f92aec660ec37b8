package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/sigap-id/sigap"
)

// statusFor is the one place where the domain's error kinds become HTTP
// status codes (sigap.go): handlers pass the error on and never pick a code
// for a domain error themselves. An error of no known kind is the server's
// fault (500), so that a bug never reads as the caller's mistake.
func statusFor(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, sigap.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, sigap.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, sigap.ErrStale), errors.Is(err, sigap.ErrNotPending):
		return http.StatusConflict
	case errors.Is(err, sigap.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer. 499 in nginx's
		// terms, but a standard code keeps the logs' tools happy.
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
