package bot

import (
	"slices"
	"strings"
	"testing"
)

// naiveScores is what lexicon.scores computes, the plain way: every cue of
// every intent looked for in the words.
func naiveScores(lx *lexicon, words []string) []int {
	all, free := map[string]bool{}, map[string]bool{}
	for i, w := range words {
		all[w] = true
		if i == 0 || !lx.negations[words[i-1]] {
			free[w] = true
		}
	}
	sc := make([]int, len(lx.intents))
	for i, in := range lx.intents {
		present := all
		if in.negated {
			present = free
		}
		for _, c := range in.cues {
			var ok bool
			switch {
			case c.anywhere:
				ok = !slices.ContainsFunc(c.words, func(w string) bool { return !present[w] })
			case len(c.words) == 1:
				ok = present[c.words[0]]
			default:
				ok = containsRun(words, c.words)
			}
			if ok {
				sc[i] += c.weight
			}
		}
	}
	return sc
}

// TestScoresLookAtEveryCue: the scores found through the cues' index are
// those of looking at every cue, for every labelled message and for the
// words of every cue run together and after a negation.
func TestScoresLookAtEveryCue(t *testing.T) {
	lx := defaultLexicon
	texts := allMessages(t)
	var cues, every []string
	for _, in := range lx.intents {
		for _, c := range in.cues {
			cues = append(cues, strings.Join(c.words, " "))
			every = append(every, c.words...)
		}
	}
	cues = append(cues, strings.Join(every, " "))
	texts = append(texts, cues...)
	for neg := range lx.negations {
		for _, c := range cues {
			texts = append(texts, neg+" "+c)
		}
	}
	for _, text := range texts {
		words := lx.canonical(normalize(text))
		if got, want := lx.scores(words), naiveScores(lx, words); !slices.Equal(got, want) {
			t.Errorf("%q: scores %v; want %v", text, got, want)
		}
	}
}

// TestScoresOnStack: read keeps the scores of lexicon.yaml's intents on
// its stack (maxIntents), so scoring a message allocates nothing.
func TestScoresOnStack(t *testing.T) {
	lx := defaultLexicon
	if n := len(lx.intents); n > maxIntents {
		t.Fatalf("%d intents; read keeps %d scores on its stack: raise maxIntents", n, maxIntents)
	}
	words := lx.canonical(normalize("syarat dan biaya bikin paspor anak apa aja"))
	if n := testing.AllocsPerRun(100, func() {
		var buf [maxIntents]int
		lx.scoresIn(words, buf[:])
	}); n != 0 {
		t.Errorf("scoresIn allocates %v times", n)
	}
}
