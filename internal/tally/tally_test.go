package tally

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/store/sqlite"
)

type failing struct{ sigap.UnplacedMessages }

func (failing) AddUsage(context.Context, sigap.UsageCounts) error { return errors.New("down") }

// TestRecorder: counts by office, service and the office's day; unplaced
// texts normalised without digits runs, counted with first and last
// sighting; counts a failed write could not store are written next time.
func TestRecorder(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"), sqlite.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC) // 01:00 on the 2nd in Jakarta
	wib := time.FixedZone("WIB", 7*3600)
	r := &Recorder{Store: failing{s}, Now: func() time.Time { return now }}
	jakpus := sigap.Office{Code: "jakpus", TimeZone: wib}
	r.Observe(jakpus, "payment", "")
	r.Observe(jakpus, "unknown", "Nomor HP sy 0812-3456-7890 GIMANA??")
	if err := r.Flush(ctx); err == nil {
		t.Fatal("Flush to a failing store succeeded")
	}
	r.Store = s
	now = now.Add(time.Minute)
	r.Observe(jakpus, "unknown", "nomor hp sy 081234567890 gimana")
	r.Observe(sigap.Office{Code: "surabaya"}, "payment", "")
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.Unplaced(ctx, "jakpus", 10)
	if err != nil {
		t.Fatal(err)
	}
	// Both writings are one text: normalised, the number masked.
	if len(got) != 1 || got[0].Text != "nomor hp sy # gimana" || got[0].Count != 2 || !got[0].FirstSeen.Equal(now.Add(-time.Minute)) || !got[0].LastSeen.Equal(now) {
		t.Fatalf("unplaced = %+v", got)
	}
	days, _ := s.IntentDays(ctx, "", "2026-01-01")
	want := map[sigap.IntentDay]bool{
		{Office: "jakpus", Day: "2026-12-02", Intent: "payment", Count: 1}:   true,
		{Office: "jakpus", Day: "2026-12-02", Intent: "unknown", Count: 2}:   true,
		{Office: "surabaya", Day: "2026-12-01", Intent: "payment", Count: 1}: true,
	}
	if len(days) != len(want) {
		t.Errorf("days = %+v", days)
	}
	for _, d := range days {
		if !want[d] {
			t.Errorf("unexpected day count %+v", d)
		}
	}
	now = now.Add(Retain + time.Hour)
	if n, err := r.Prune(ctx); err != nil || n != 1 {
		t.Errorf("Prune = %d, %v; want the text", n, err)
	}
}
