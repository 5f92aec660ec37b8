package gateway_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/gateway"
	"github.com/sigap-id/sigap/internal/metrics"
)

// TestReportingGuard: the failure that locks a number, and only that one,
// is logged once, with the office and the number's last 4 digits, and
// counted in the metric; the store's answers pass through.
func TestReportingGuard(t *testing.T) {
	ctx := context.Background()
	s, _, _ := setup(t, &flakyBot{})
	const number = "3100000000004321"
	if _, err := s.UpsertApplication(ctx, sigap.Application{Number: number, Office: "jakpus", ApplicantName: "Budi Santoso",
		BirthDate: time.Date(1990, 5, 14, 0, 0, 0, 0, time.UTC), PassportType: sigap.PassportElectronic,
		Stage: sigap.StageRegistered, StageAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	met := metrics.New(nil)
	g := gateway.ReportingGuard{LookupGuard: s, Log: slog.New(slog.NewTextHandler(&logs, nil)), Metrics: met}
	lim := sigap.NumberLimit{Max: 5, Window: 24 * time.Hour}
	at := time.Date(2026, 1, 20, 3, 0, 0, 0, time.UTC)
	locks := 0
	for i := range 7 {
		lockedNow, err := g.CountNumberFailure(ctx, sigap.NumberFailure{Office: "jakpus", Number: number, MessageID: fmt.Sprint("wamid.", i), At: at}, lim)
		if err != nil {
			t.Fatal(err)
		}
		if lockedNow {
			locks++
		}
	}
	if locked, err := g.NumberLocked(ctx, "jakpus", number, at); err != nil || !locked || locks != 1 {
		t.Fatalf("locked %v (%v), locked now %d times; want locked, once", locked, err, locks)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want 1:\n%s", len(lines), logs.String())
	}
	for _, want := range []string{"level=WARN", "office=jakpus", "number=************4321", "failures=5", "until=2026-01-21T03:00:00.000Z"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("log line lacks %s:\n%s", want, lines[0])
		}
	}
	if strings.Contains(lines[0], number) {
		t.Errorf("log line shows the whole number:\n%s", lines[0])
	}
	rec := httptest.NewRecorder()
	met.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if want := `sigap_lookup_number_locks_total{office="jakpus"} 1`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("metrics lack %s", want)
	}
}
