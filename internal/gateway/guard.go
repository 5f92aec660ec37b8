package gateway

import (
	"context"
	"log/slog"
	"strings"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/metrics"
)

// ReportingGuard is the store's look-up guard, telling the operator when
// an application number becomes locked (the bot itself logs nothing): one
// WARN line and sigap_lookup_number_locks_total. The line names the office
// and the number's last 4 digits only: never a sender or a birth date.
type ReportingGuard struct {
	sigap.LookupGuard
	Log     *slog.Logger
	Metrics *metrics.Metrics // nil counts nothing
}

// CountNumberFailure implements sigap.LookupGuard.
func (g ReportingGuard) CountNumberFailure(ctx context.Context, f sigap.NumberFailure, lim sigap.NumberLimit) (bool, error) {
	lockedNow, err := g.LookupGuard.CountNumberFailure(ctx, f, lim)
	if lockedNow {
		g.Metrics.NumberLocked(f.Office)
		g.Log.Warn("application number locked after wrong birth dates from any sender; it reads as unknown until the lock ends",
			"office", f.Office, "number", lastDigits(f.Number), "failures", lim.Max, "within", lim.Window,
			"until", f.At.Add(lim.Window).UTC())
	}
	return lockedNow, err
}

// lastDigits hides all of an application number but its last 4 digits,
// enough for staff to match an applicant's complaint to the log line.
func lastDigits(number string) string {
	if len(number) <= 4 {
		return strings.Repeat("*", len(number))
	}
	return strings.Repeat("*", len(number)-4) + number[len(number)-4:]
}
