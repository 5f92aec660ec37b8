package bot

// What the staff console asks of the bot: an office's synonyms (words that
// place a message the bot could not otherwise place), a report of what
// each turn answered (for the dashboard and "not understood"), and
// Place, which tells where a text would go now.

import (
	"slices"
	"strings"

	"github.com/sigap-id/sigap"
)

// synonyms are an office's words and phrases by intent, normalised; the
// longest phrase found in a message wins, then the first intent by name.
type synonyms []synonym

type synonym struct {
	words  []string
	intent string
}

func newSynonyms(m map[string][]string) synonyms {
	var out synonyms
	for _, intent := range sortedKeys(m) {
		for _, s := range m[intent] {
			var ws []string
			for _, w := range normalize(s) {
				ws = append(ws, w.text)
			}
			if len(ws) > 0 {
				out = append(out, synonym{words: ws, intent: intent})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b synonym) int { return len(b.words) - len(a.words) })
	return out
}

// find returns the intent of the longest synonym standing anywhere in
// text as a run of whole words, "" when none does.
func (s synonyms) find(text string) string {
	if len(s) == 0 {
		return ""
	}
	var words []string
	for _, w := range normalize(text) {
		words = append(words, w.text)
	}
	for _, syn := range s {
		if hasRun(words, syn.words) {
			return syn.intent
		}
	}
	return ""
}

// observe tells Deps.Observe what this turn answers.
func (t *turn) observe(intent string) {
	if t.e.deps.Observe == nil {
		return
	}
	text := ""
	if intent == intentUnknown {
		text = t.msg.Text
	}
	t.e.deps.Observe(t.office, intent, text)
}

// Place returns the service a text message would be answered with at the
// office in a fresh conversation ("" when the bot would not understand
// it): what "not understood" shows a keyword or synonym would now catch.
func (e *Engine) Place(office sigap.Office, text string) (string, error) {
	label, err := e.classify(office, text)
	if err != nil || label == intentUnknown {
		return "", err
	}
	return label, nil
}

// NormalizeText is text as the bot reads it: lower case, its words
// without punctuation, emoji or '#', joined by single spaces.
func NormalizeText(text string) string {
	var b strings.Builder
	for i, w := range normalize(text) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w.text)
	}
	return b.String()
}

func hasRun(words, run []string) bool {
	for i := 0; i+len(run) <= len(words); i++ {
		if slices.Equal(words[i:i+len(run)], run) {
			return true
		}
	}
	return false
}
