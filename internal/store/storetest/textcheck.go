package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
)

// testApplicationOfficeMove: a row naming another office than the stored
// application's is refused, and changes nothing, unless the move is asked
// for; then the application is at the new office only.
func testApplicationOfficeMove(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	a := app()
	if _, err := s.UpsertApplication(ctx, a); err != nil {
		t.Fatal(err)
	}
	other := with(a, func(a *sigap.Application) {
		a.Office, a.ApplicantName, a.BirthDate = "mataram", "Siti Rahayu", time.Date(1985, 1, 31, 0, 0, 0, 0, time.UTC)
		a.Stage, a.StageAt = sigap.StagePaid, t0.Add(time.Hour)
	})
	older := with(other, func(a *sigap.Application) { a.StageAt = t0.Add(-time.Hour) })
	for _, row := range []sigap.Application{other, older} {
		res, err := s.UpsertApplication(ctx, row)
		var me *sigap.OfficeMoveError
		if !errors.As(err, &me) || !errors.Is(err, sigap.ErrInvalid) || me.Stored != "jakpus" || me.Given != "mataram" {
			t.Fatalf("row for another office at %v: %v, %v; want an OfficeMoveError", row.StageAt, res, err)
		}
	}
	stored, err := s.FindApplication(ctx, "jakpus", a.Number)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, stored); diff != "" {
		t.Errorf("a refused move changed the application (-want +got):\n%s", diff)
	}
	hist, err := s.ApplicationHistory(ctx, a.Number)
	if err != nil || len(hist) != 1 {
		t.Errorf("history after refused moves: %+v, %v; want the first stage only", hist, err)
	}

	res, err := s.UpsertApplication(ctx, other, sigap.MoveOffice)
	if err != nil || res != sigap.Updated {
		t.Fatalf("asked-for move: %v, %v; want Updated", res, err)
	}
	if _, err := s.FindApplication(ctx, "jakpus", a.Number); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("the old office still finds the moved application: %v", err)
	}
	moved, err := s.FindApplication(ctx, "mataram", a.Number)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(other, moved); diff != "" {
		t.Errorf("moved application (-want +got):\n%s", diff)
	}
	// Once moved, rows for the new office need nothing special.
	if res, err := s.UpsertApplication(ctx, other); err != nil || res != sigap.Unchanged {
		t.Errorf("the same row again: %v, %v; want Unchanged", res, err)
	}
}

// testTextsAlike: text holding what PostgreSQL refuses and SQLite takes
// (NUL, other control characters, invalid UTF-8) is stored alike on both
// engines: an application carrying it is refused as invalid, and a message
// or ticket cleaned by sigap.CleanText, as every entry point does, keeps
// everything else.
func testTextsAlike(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	raw := "Antrean\x00 lama\x1b[0m,\tpetugas\r\nramah \u0085🙏 \xff\x7f"
	clean := "Antrean lama[0m,\tpetugas\nramah 🙏 \uFFFD"
	if got := sigap.CleanText(raw); got != clean {
		t.Fatalf("CleanText = %q, want %q", got, clean)
	}

	for _, bad := range []sigap.Application{
		with(app(), func(a *sigap.Application) { a.ApplicantName = "Budi\x00Santoso" }),
		with(app(), func(a *sigap.Application) { a.Note = "Bawa akta\xff" }),
		with(app(), func(a *sigap.Application) { a.Note = strings.Repeat("x", sigap.MaxNoteRunes+1) }),
	} {
		if _, err := s.UpsertApplication(ctx, bad); !errors.Is(err, sigap.ErrInvalid) {
			t.Errorf("application with %q / %.20q: err = %v, want ErrInvalid", bad.ApplicantName, bad.Note, err)
		}
	}
	if _, err := s.FindApplicationAnywhere(ctx, app().Number); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("a refused application was stored: %v", err)
	}
	a := with(app(), func(a *sigap.Application) { a.Note = "Bawa akta kelahiran asli.\n\tDan KTP 🙏" })
	if _, err := s.UpsertApplication(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got, err := s.FindApplication(ctx, "jakpus", a.Number); err != nil || got.Note != a.Note {
		t.Errorf("note stored as %q, %v; want %q", got.Note, err, a.Note)
	}

	m := msg("wamid.1", "62811", sigap.CleanText(raw))
	m.ChoiceID = sigap.CleanText("row\x00:1")
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{m}}); err != nil {
		t.Fatal(err)
	}
	claimed, err := s.ClaimInbound(ctx, t0, time.Minute, 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %+v, %v", claimed, err)
	}
	if claimed[0].Text != clean || claimed[0].ChoiceID != "row:1" {
		t.Errorf("stored message text %q, choice %q; want %q, %q", claimed[0].Text, claimed[0].ChoiceID, clean, "row:1")
	}

	tk, err := s.CreateTicket(ctx, sigap.Ticket{Office: "jakpus", Kind: sigap.TicketComplaint, User: "62811", Lang: "id",
		Text: sigap.CleanText(raw), MessageID: "wamid.1", CreatedAt: t0, UpdatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	found, err := s.FindTicket(ctx, "jakpus", tk.Number)
	if err != nil || found.Text != clean {
		t.Errorf("stored ticket text %q, %v; want %q", found.Text, err, clean)
	}
}
