package main

import (
	"os"
	"strings"
	"testing"
)

// TestAnswersAreInTheContent: the lines the load tool looks for in SIGAP's
// replies are still in the content, so that a reworded text shows up here
// and not as a run full of "wrong" replies.
func TestAnswersAreInTheContent(t *testing.T) {
	b, err := os.ReadFile("../../internal/content/id.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range answers {
		if a.kind == "text" && (a.holds == "" || !strings.Contains(string(b), a.holds)) {
			t.Errorf("internal/content/id.yaml no longer holds %q, which the load tool expects in a reply", a.holds)
		}
	}
}

func TestAnswerMatches(t *testing.T) {
	for _, c := range []struct {
		want answer
		got  reply
		ok   bool
	}{
		{wantPayment, reply{kind: "text", text: "*Biaya paspor* (PP 45/2024)\n…"}, true},
		{wantPayment, reply{kind: "text", text: "Maaf, sedang ada gangguan."}, false},
		{wantMenu, reply{kind: "interactive", text: "Silakan pilih layanan"}, true},
		{wantMenu, reply{kind: "text", text: "Silakan pilih layanan"}, false},
		{wantStatus, reply{kind: "text", text: "Maaf, data permohonan tersebut tidak dapat kami tampilkan."}, false},
	} {
		if got := c.want.matches(c.got); got != c.ok {
			t.Errorf("%+v matches %+v = %v, want %v", c.want, c.got, got, c.ok)
		}
	}
}
