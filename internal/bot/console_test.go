package bot

import (
	"slices"
	"testing"

	"github.com/sigap-id/sigap"
)

// TestSynonymPlacesWhatWasNotUnderstood: a message the bot could not
// place is reported with its text; once the office has a synonym found in
// it, the same message gets that service, Place says so, and other
// offices are not changed.
func TestSynonymPlacesWhatWasNotUnderstood(t *testing.T) {
	now := at("2026-01-20T10:00:00+07:00")
	type seen struct{ office, intent, text string }
	var got []seen
	deps := fixtures().deps()
	deps.Observe = func(o sigap.Office, intent, text string) { got = append(got, seen{o.Code, intent, text}) }
	e := newTestEngine(t, deps, now)
	office := sigap.Office{Code: testOffice, Name: "Kanim", Limits: unlimited}
	const msg = "zorbax qwimble dong"

	if place, err := e.Place(office, msg); err != nil || place != "" {
		t.Fatalf("Place before = %q, %v; want not understood", place, err)
	}
	say(t, e, office, sigap.Conversation{}, "#bayar", msg)
	want := []seen{{testOffice, intentPayment, ""}, {testOffice, intentUnknown, msg}}
	if !slices.Equal(got, want) {
		t.Errorf("observed %+v, want %+v", got, want)
	}

	with := office
	with.Synonyms = map[string][]string{intentPickup: {"Qwimble"}}
	if place, err := e.Place(with, msg); err != nil || place != intentPickup {
		t.Errorf("Place with the synonym = %q, %v; want %s", place, err, intentPickup)
	}
	replies, _ := say(t, e, with, sigap.Conversation{}, msg)
	pickup, _ := say(t, e, office, sigap.Conversation{}, "#antrian")
	if len(replies) != 1 || replies[0].Text != pickup[0].Text {
		t.Errorf("the synonym's answer %+v, want the pickup answer", replies)
	}
	if place, _ := e.Place(office, msg); place != "" {
		t.Errorf("the office without the synonym places it at %q", place)
	}
	// A synonym is a whole word: inside another it means nothing.
	if place, _ := e.Place(with, "zorbax qwimbled"); place != "" {
		t.Errorf("part of a word placed at %q", place)
	}
	if got := NormalizeText("  Kapan #JADI-nya??  🙏 "); got != "kapan jadi-nya" {
		t.Errorf("NormalizeText = %q", got)
	}
}
