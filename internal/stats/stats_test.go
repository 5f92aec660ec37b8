package stats

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
)

type fake struct {
	sigap.UnplacedMessages
	days     []sigap.IntentDay
	handed   []sigap.Conversation
	tickets  []sigap.TicketTimes
	failures []sigap.DeliveryFailure
	office   string
}

func (f *fake) IntentDays(_ context.Context, office, from string) ([]sigap.IntentDay, error) {
	f.office = office
	var out []sigap.IntentDay
	for _, d := range f.days {
		if d.Day >= from {
			out = append(out, d)
		}
	}
	return out, nil
}
func (f *fake) HandedOver(context.Context, string, time.Time) ([]sigap.Conversation, error) {
	return f.handed, nil
}
func (f *fake) TicketTimesSince(context.Context, string, time.Time, int) ([]sigap.TicketTimes, error) {
	return f.tickets, nil
}
func (f *fake) DeliveryFailures(context.Context, string, time.Time) ([]sigap.DeliveryFailure, error) {
	return f.failures, nil
}

func TestBuild(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	f := &fake{
		days: []sigap.IntentDay{
			{Office: "jakpus", Day: "2026-11-20", Intent: "payment", Count: 99}, // before the period
			{Office: "jakpus", Day: "2026-12-01", Intent: "payment", Count: 6},
			{Office: "jakpus", Day: "2026-12-01", Intent: "unknown", Count: 2},
			{Office: "jakpus", Day: "2026-12-02", Intent: "status", Count: 8},
			{Office: "jakpus", Day: "2026-12-02", Intent: "payment", Count: 4},
		},
		handed: []sigap.Conversation{{HandoverSince: now.Add(-30 * time.Minute)}, {HandoverSince: now.Add(-5 * time.Hour)}},
		tickets: []sigap.TicketTimes{
			{State: sigap.TicketOpen, CreatedAt: now.Add(-2 * time.Hour)},
			{State: sigap.TicketOpen, CreatedAt: now.Add(-20 * 24 * time.Hour)},
			{State: sigap.TicketAnswered, CreatedAt: now.Add(-48 * time.Hour), UpdatedAt: now.Add(-47 * time.Hour)},
			{State: sigap.TicketClosed, CreatedAt: now.Add(-72 * time.Hour), UpdatedAt: now.Add(-69 * time.Hour)},
			{State: sigap.TicketAnswered, CreatedAt: now.Add(-24 * time.Hour), UpdatedAt: now.Add(-22 * time.Hour)},
		},
		failures: []sigap.DeliveryFailure{
			{Error: "graph api: HTTP 400, code 131047: re-engagement", Count: 3},
			{Error: "graph api: HTTP 400, code 131047: Re-engagement message", Count: 1},
			{Error: "office x is not in the offices file", Count: 1},
		},
	}
	d, err := Build(context.Background(), f, "jakpus", now, 7, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if f.office != "jakpus" || len(d.Days) != 7 || d.Days[6] != "2026-12-02" || d.Days[0] != "2026-11-26" {
		t.Fatalf("days %v for %q", d.Days, f.office)
	}
	if d.Understood[5] != 6 || d.NotUnderstood[5] != 2 || d.Understood[6] != 12 || d.Total != 20 || d.Unplaced != 2 {
		t.Errorf("per day: %v %v total %d unplaced %d", d.Understood, d.NotUnderstood, d.Total, d.Unplaced)
	}
	if d.ShareUnplaced() != 0.1 {
		t.Errorf("share %v", d.ShareUnplaced())
	}
	if diff := cmp.Diff([]Count{{"payment", 10}, {"status", 8}}, d.Services); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	if d.OpenHandovers != 2 || d.Handovers[0].Count != 1 || d.Handovers[2].Count != 1 {
		t.Errorf("handovers %+v", d.Handovers)
	}
	if d.OpenTickets != 2 || d.Tickets[0].Count != 1 || d.Tickets[4].Count != 1 {
		t.Errorf("tickets %+v", d.Tickets)
	}
	if d.Answered != 3 || d.FirstAnswer != 2*time.Hour || d.FirstAnswerExact {
		t.Errorf("first answer: median %v of %d (exact %v)", d.FirstAnswer, d.Answered, d.FirstAnswerExact)
	}
	// Recorded first answers are used, and make the figure exact.
	f.tickets = []sigap.TicketTimes{
		{State: "in_progress", CreatedAt: now.Add(-3 * time.Hour), FirstAnsweredAt: now.Add(-150 * time.Minute)},
		{State: sigap.TicketClosed, CreatedAt: now.Add(-5 * time.Hour), UpdatedAt: now, FirstAnsweredAt: now.Add(-4 * time.Hour)},
	}
	d, _ = Build(context.Background(), f, "jakpus", now, 7, time.UTC)
	if d.Answered != 2 || d.FirstAnswer != 45*time.Minute || !d.FirstAnswerExact || d.OpenTickets != 1 {
		t.Errorf("recorded first answers: median %v of %d (exact %v), %d waiting", d.FirstAnswer, d.Answered, d.FirstAnswerExact, d.OpenTickets)
	}
	if diff := cmp.Diff([]Count{{"131047", 4}, {"office x is not …", 1}}, d.Failures); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
}
