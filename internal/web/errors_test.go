package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/sigap-id/sigap"
)

func TestStatusFor(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, http.StatusOK},
		{fmt.Errorf("find application: %w", sigap.ErrNotFound), http.StatusNotFound},
		{fmt.Errorf("import line 3: %w", sigap.ErrInvalid), http.StatusBadRequest},
		{fmt.Errorf("save: %w", sigap.ErrStale), http.StatusConflict},
		{fmt.Errorf("complete: %w", sigap.ErrNotPending), http.StatusConflict},
		{fmt.Errorf("store: %w", sigap.ErrUnavailable), http.StatusServiceUnavailable},
		{fmt.Errorf("turn: %w", context.DeadlineExceeded), http.StatusServiceUnavailable},
		{errors.New("a bug"), http.StatusInternalServerError},
	} {
		if got := statusFor(c.err); got != c.want {
			t.Errorf("statusFor(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}
