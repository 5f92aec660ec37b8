package bot

import (
	"strings"
	"unicode"
)

// word is one word of a normalised message.
type word struct {
	text string // lowercased, without the punctuation, emoji and '#' around it
	hash bool   // it was written with a leading '#'
	end  int    // the byte offset just after it in the original text
}

// normalize lowercases text and cuts it into words. A word is a run of
// letters and digits; a dash or apostrophe inside a word stays ("e-paspor",
// "assalamu'alaikum"), everything else (spaces, punctuation, symbols,
// emoji) separates words and is dropped. Invisible formatting characters
// are ignored. A '#' directly before a word marks it. A letter written
// three or more times in a row is written once ("haloooo" -> "halo").
func normalize(text string) []word {
	var (
		words []word
		buf   [32]rune
		cur   = buf[:0] // a longer word moves it to the heap
		hash  bool      // the current word started with '#'
		pend  bool      // a '#' was just seen
		end   int
	)
	flush := func() {
		for len(cur) > 0 && isJoiner(cur[len(cur)-1]) {
			cur = cur[:len(cur)-1]
		}
		if len(cur) > 0 {
			words = append(words, word{text: string(collapse(cur)), hash: hash, end: end})
		}
		cur, hash = cur[:0], false
	}
	for i, r := range text {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) && len(cur) > 0:
			if len(cur) == 0 {
				hash, pend = pend, false
			}
			cur = append(cur, unicode.ToLower(r))
			end = i + len(string(r))
		case isJoiner(r) && len(cur) > 0 && !isJoiner(cur[len(cur)-1]):
			if r != '-' {
				r = '\''
			}
			cur = append(cur, r)
		case unicode.Is(unicode.Cf, r):
			// zero-width spaces and direction marks copied along with text
		case r == '#':
			flush()
			pend = true
		default:
			flush()
			pend = false
		}
	}
	flush()
	return words
}

// isJoiner reports whether r may stand inside a word: a dash or an
// apostrophe.
func isJoiner(r rune) bool { return r == '-' || r == '\'' || r == '’' }

// collapse writes a letter repeated three or more times once, in place.
func collapse(rs []rune) []rune {
	out := rs[:0] // never ahead of what is read
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && rs[j] == rs[i] {
			j++
		}
		if j-i >= 3 && unicode.IsLetter(rs[i]) {
			out = append(out, rs[i])
		} else {
			out = append(out, rs[i:j]...)
		}
		i = j
	}
	return out
}

// phrase is the normalised form of a keyword or message: its words joined
// by single spaces, without '#'.
func phrase(words []word) string {
	s := make([]string, len(words))
	for i, w := range words {
		s[i] = w.text
	}
	return strings.Join(s, " ")
}

func notAlnum(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
