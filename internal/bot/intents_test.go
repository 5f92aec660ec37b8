package bot

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/content"
)

// minAccuracy is the share of testdata/intents.tsv the bot must route
// right.
const minAccuracy = 0.95

// TestIntentAccuracy measures the understanding of free text on a labelled
// set of realistic messages. Run it with -v to see the accuracy and every
// miss:
//
//	go test ./internal/bot -run TestIntentAccuracy -v
func TestIntentAccuracy(t *testing.T) {
	f, err := os.Open("testdata/intents.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cat, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := New(cat, fixtures().deps(), nil)
	office := sigap.Office{Code: testOffice, Name: "Kanim"}
	known := append(knownIntents(), intentStatus, intentUnknown)
	total, right := 0, 0
	heldTotal, heldRight, held := 0, 0, false
	perIntent := map[string][2]int{} // right, total
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.HasPrefix(text, "# held-out") {
			held = true
		}
		if text == "" || strings.HasPrefix(text, "# ") {
			continue
		}
		msg, want, ok := strings.Cut(text, "\t")
		if !ok {
			t.Fatalf("intents.tsv:%d: want MESSAGE<TAB>INTENT: %q", line, text)
		}
		if !contains(known, want) {
			t.Fatalf("intents.tsv:%d: unknown intent %q", line, want)
		}
		got, err := e.classify(office, msg)
		if err != nil {
			t.Fatal(err)
		}
		total++
		if held {
			heldTotal++
		}
		c := perIntent[want]
		c[1]++
		if got == want {
			right++
			c[0]++
			if held {
				heldRight++
			}
		} else {
			t.Logf("miss intents.tsv:%d: %q -> %s, want %s", line, msg, got, want)
		}
		perIntent[want] = c
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if total < 300 {
		t.Errorf("only %d labelled messages; want at least 300", total)
	}
	acc := float64(right) / float64(total)
	t.Logf("intent accuracy: %d/%d = %.1f%%", right, total, 100*acc)
	if heldTotal > 0 {
		t.Logf("of which held-out: %d/%d = %.1f%%", heldRight, heldTotal, 100*float64(heldRight)/float64(heldTotal))
	}
	for _, intent := range known {
		if c, ok := perIntent[intent]; ok && c[0] < c[1] {
			t.Logf("  %-24s %d/%d", intent, c[0], c[1])
		}
	}
	if acc < minAccuracy {
		t.Errorf("intent accuracy %.1f%% is below %.0f%%", 100*acc, 100*minAccuracy)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
