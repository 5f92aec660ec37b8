package bot

import (
	"strings"
	"testing"

	"github.com/sigap-id/sigap"
)

// TestFeedbackTooLong: feedback over sigap.MaxTicketRunes is not filed, nor
// cut: the applicant is told the limit and the bot waits for a shorter
// version, which is filed as the kind first asked for.
func TestFeedbackTooLong(t *testing.T) {
	now := at("2026-01-20T10:00:00+07:00")
	store := fixtures()
	e := newTestEngine(t, store.deps(), now)
	office := sigap.Office{Code: testOffice, Name: "Kanim"}
	long := strings.Repeat("antrean lama ", sigap.MaxTicketRunes/13+1)
	for _, tt := range []struct {
		name string
		conv sigap.Conversation
		text string
	}{
		{"with the keyword", sigap.Conversation{}, "#pengaduan " + long},
		{"while waiting for it", sigap.Conversation{Awaiting: awaitFeedback, AwaitingKind: sigap.TicketComplaint, AwaitingSince: now}, long},
	} {
		replies, conv, err := e.Handle(t.Context(), office, tt.conv, textMsg(tt.text, now))
		if err != nil || len(replies) != 1 {
			t.Fatalf("%s: replies %v, err %v", tt.name, replies, err)
		}
		if !strings.Contains(replies[0].Text, "2000 karakter") {
			t.Errorf("%s: reply %q does not give the limit", tt.name, replies[0].Text)
		}
		if n := len(store.ticketList()); n != 0 {
			t.Errorf("%s: %d tickets filed, want none", tt.name, n)
		}
		if conv.Awaiting != awaitFeedback || conv.AwaitingKind != sigap.TicketComplaint {
			t.Errorf("%s: not waiting for the complaint: %+v", tt.name, conv)
		}
		replies, _, err = e.Handle(t.Context(), office, conv, textMsg("antrean lama sekali", now))
		if err != nil || len(replies) != 1 || !strings.Contains(replies[0].Text, "tiket") {
			t.Fatalf("%s: the shorter one: replies %v, err %v", tt.name, replies, err)
		}
		if tk := store.ticketList(); len(tk) != 1 || tk[0].Kind != sigap.TicketComplaint || tk[0].Text != "antrean lama sekali" {
			t.Errorf("%s: tickets %+v", tt.name, tk)
		}
		store = fixtures()
		e = newTestEngine(t, store.deps(), now)
	}
}
