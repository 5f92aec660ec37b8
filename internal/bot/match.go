package bot

import (
	"strings"
	"unicode"
)

// word is one word of a normalised message.
type word struct {
	text string // lowercased, without the punctuation, emoji and '#' around it
	hash bool   // it was written with a leading '#'
}

// normalize lowercases text and splits it into words, stripping the
// punctuation, symbols and emoji around each word (but not inside it:
// "e-paspor" stays whole) and noting a leading '#'.
func normalize(text string) []word {
	var words []word
	for _, f := range strings.FieldsFunc(strings.ToLower(text), unicode.IsSpace) {
		trimmed := strings.TrimLeftFunc(f, notAlnum)
		hash := strings.Contains(f[:len(f)-len(trimmed)], "#")
		trimmed = strings.TrimRightFunc(trimmed, notAlnum)
		if trimmed == "" {
			continue
		}
		words = append(words, word{text: trimmed, hash: hash})
	}
	return words
}

func notAlnum(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// phrase is the normalised form of a keyword or message: its words joined
// by single spaces, without '#'.
func phrase(words []word) string {
	s := make([]string, len(words))
	for i, w := range words {
		s[i] = w.text
	}
	return strings.Join(s, " ")
}

// matcher finds the intent a message asks for. It is built from the
// content's keyword lists, so adding a synonym is a content change.
type matcher map[string]string // normalised keyword -> intent

func newMatcher(keywords map[string][]string) matcher {
	m := matcher{}
	for intent, words := range keywords {
		for _, w := range words {
			if k := phrase(normalize(w)); k != "" {
				m[k] = intent
			}
		}
	}
	return m
}

// match returns the intent of text. A keyword counts, with or without '#',
// when it is the whole message ("bayar", "#BAYAR!", "cek status"); when it
// is written with '#' anywhere ("min #syarat dong"); or when it is the
// first word ("syarat paspor anak").
func (m matcher) match(text string) (string, bool) {
	words := normalize(text)
	if len(words) == 0 {
		return "", false
	}
	if intent, ok := m[phrase(words)]; ok {
		return intent, true
	}
	for _, w := range words {
		if intent, ok := m[w.text]; ok && w.hash {
			return intent, true
		}
	}
	intent, ok := m[words[0].text]
	return intent, ok
}
