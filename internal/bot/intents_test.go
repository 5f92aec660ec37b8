package bot

import (
	"bufio"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/content"
)

// The labelled messages: the tuning set, which lexicon.yaml is tuned
// against, and the held-out set, which it must never be tuned against
// (see the head of each file). Each is gated on its own.
const (
	tuningSet  = "testdata/intents_tuning.tsv"
	heldOutSet = "testdata/intents_heldout.tsv"
)

// The share of each set the bot must route right. A message routed to a
// one-tap choice of two services counts as a miss, even when the right
// one is among them: it costs the applicant a tap.
//
// Issue 21 asks for 97% on messages the lexicon was not tuned on. Five
// held-out batches were each measured before and after one round of
// tuning on the tuning set (the fourth batch written before its writer had
// read lexicon.yaml, the later ones after): 183 and 187 of 199, 143 and
// 143 of 160, 144 and 144 of 158, 134 and 133 of 151, and the current one
// 142 and 142 of 153 (92.8%). The held-out gate is that floor, so that a
// change making unseen writing worse fails, until a new held-out batch
// (written before the tuning it measures) shows more.
const (
	minTuningAccuracy  = 0.99
	minHeldOutAccuracy = 0.92
)

// labelled is one line of a set.
type labelled struct {
	line      int
	msg, want string
}

// readSet reads a set's labelled messages.
func readSet(t testing.TB, path string) []labelled {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || text == "#" || strings.HasPrefix(text, "# ") {
			continue
		}
		msg, want, ok := strings.Cut(text, "\t")
		if !ok {
			t.Fatalf("%s:%d: want MESSAGE<TAB>INTENT: %q", path, line, text)
		}
		out = append(out, labelled{line, msg, want})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// allMessages are the messages of both sets.
func allMessages(t testing.TB) []string {
	var out []string
	for _, path := range []string{tuningSet, heldOutSet} {
		for _, l := range readSet(t, path) {
			out = append(out, l.msg)
		}
	}
	return out
}

// sameLabel compares what classify said with a label: "a+b" (both
// answered) matches "b+a" too, and a message labelled with one service
// that gets its answer and another's ("a+b" for "a") is answered: the
// second answer is extra, not instead.
func sameLabel(got, want string) bool {
	if got == want {
		return true
	}
	g, w := strings.Split(got, "+"), strings.Split(want, "+")
	if len(w) == 1 {
		return slices.Contains(g, want)
	}
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

// TestIntentAccuracy measures the understanding of free text on the two
// labelled sets, and gates each on its own. Run it with -v to see each
// set's accuracy and every miss:
//
//	go test ./internal/bot -run TestIntentAccuracy -v
func TestIntentAccuracy(t *testing.T) {
	cat, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := New(cat, fixtures().deps(), nil)
	office := sigap.Office{Code: testOffice, Name: "Kanim"}
	known := append(knownIntents(), intentStatus, intentUnknown)
	for _, set := range []struct {
		path string
		min  float64
		size int // the least number of messages the set must hold
	}{{tuningSet, minTuningAccuracy, 1150}, {heldOutSet, minHeldOutAccuracy, 150}} {
		t.Run(strings.TrimSuffix(strings.TrimPrefix(set.path, "testdata/intents_"), ".tsv"), func(t *testing.T) {
			msgs := readSet(t, set.path)
			right, asked, english, englishRight := 0, 0, 0, 0
			perIntent := map[string][2]int{} // right, total
			for _, m := range msgs {
				for _, w := range strings.Split(m.want, "+") {
					if !slices.Contains(known, w) {
						t.Fatalf("%s:%d: unknown intent %q", set.path, m.line, w)
					}
				}
				got, err := e.classify(office, m.msg)
				if err != nil {
					t.Fatal(err)
				}
				c := perIntent[m.want]
				c[1]++
				en := read(e.lex, mustSetup(t, e, office).kw, m.msg).lang == "en"
				if en {
					english++
				}
				if sameLabel(got, m.want) {
					right++
					c[0]++
					if en {
						englishRight++
					}
				} else {
					if a, b, ok := strings.Cut(got, "|"); ok && (a == m.want || b == m.want) {
						asked++
					}
					t.Logf("miss %s:%d: %q -> %s, want %s", set.path, m.line, m.msg, got, m.want)
				}
				perIntent[m.want] = c
			}
			acc := float64(right) / float64(len(msgs))
			t.Logf("%s: %d/%d = %.1f%% (English %d/%d; %d more asked to choose between the right service and another)\n",
				set.path, right, len(msgs), 100*acc, englishRight, english, asked)
			for _, intent := range slices.Sorted(maps.Keys(perIntent)) {
				if c := perIntent[intent]; c[0] < c[1] {
					t.Logf("  %-32s %d/%d", intent, c[0], c[1])
				}
			}
			if len(msgs) < set.size {
				t.Errorf("only %d labelled messages; want at least %d", len(msgs), set.size)
			}
			if acc < set.min {
				t.Errorf("%s: accuracy %.1f%% is below %.0f%%", set.path, 100*acc, 100*set.min)
			}
		})
	}
}
