package bot

import (
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// keywords are an office's commands: the content's keywords of every
// language plus the office's own. A keyword counts, with or without '#',
// when it is the whole message ("bayar", "#BAYAR!", "cek status"), when it
// is written with '#' anywhere ("min #syarat dong"), or, as a strong hint
// weighed with the rest of the message, when it opens the message.
type keywords struct {
	phrases  map[string]string // normalised keyword -> intent
	maxWords int
	single   *typoTargets // one-word keywords of 4 letters or more
}

func newKeywords(sets ...map[string][]string) *keywords {
	k := &keywords{phrases: map[string]string{}}
	for _, set := range sets { // later sets win: an office's own keywords
		for _, intent := range sortedKeys(set) {
			for _, kw := range set[intent] {
				ws := normalize(kw)
				if len(ws) == 0 {
					continue
				}
				k.phrases[phrase(ws)] = intent
				k.maxWords = max(k.maxWords, len(ws))
			}
		}
	}
	var single []string
	for p := range k.phrases {
		if !strings.Contains(p, " ") && utf8.RuneCountInString(p) >= 4 {
			single = append(single, p)
		}
	}
	k.single = newTypoTargets(single)
	return k
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// at returns the intent of the longest keyword starting at ws[i] and how
// many words it takes; a lone word may be a typo of a keyword when fuzzy.
func (k *keywords) at(ws []word, i int, fuzzy bool) (string, int) {
	for n := min(k.maxWords, len(ws)-i); n >= 1; n-- {
		if intent, ok := k.phrases[phrase(ws[i:i+n])]; ok {
			return intent, n
		}
	}
	if fuzzy {
		if j, ok := k.single.nearest(ws[i].text); ok {
			return k.phrases[k.single.text[j]], 1
		}
	}
	return "", 0
}

// reading is what a text message says.
type reading struct {
	// intent is the service asked for, "" when none is clear.
	intent string
	// command: a keyword named it (the whole message, a '#' word, or the
	// opening words); args is then the text after the keyword, as written.
	command bool
	args    string
	// whole: the keyword is the whole message; hashed: it was written
	// with '#'. Either is a clear command, even in the middle of writing
	// feedback.
	whole, hashed bool
	// also is a second service asked in the same message ("syarat dan
	// biaya"), answered after intent; alt is one the message may mean as
	// much as intent, so the bot asks which.
	also, alt string
	// number is the application number in the text, if any; onlyNumber
	// says the text holds nothing else.
	number     string
	onlyNumber bool
	// lang is the language the text is written in, "" when it does not say.
	lang string
	// words are the text's words after rewriting, for on/off and the like.
	words []string
}

// read works out what text asks for.
func read(lx *lexicon, kw *keywords, text string) reading {
	ws := normalize(text)
	r := reading{}
	r.number, _ = ExtractApplicationNumber(text)
	r.onlyNumber = r.number != "" && !slices.ContainsFunc(ws, func(w word) bool { return strings.ContainsFunc(w.text, isLetter) })
	if len(ws) == 0 {
		return r
	}
	// What a message asks for is said early; reading a long complaint
	// whole would only cost time (each unknown word is checked for typos).
	var memo typos
	r.words = lx.rewrite(ws[:min(len(ws), maxReadWords)], &memo)
	var buf [maxIntents]int
	sc := lx.scoresIn(r.words, buf[:])

	cmdEnd := -1
	if intent, n := kw.at(ws, 0, len(ws) == 1); n == len(ws) {
		r.intent, r.command, cmdEnd, r.whole, r.hashed = intent, true, n, true, ws[0].hash
	} else {
		for i, w := range ws {
			if !w.hash {
				continue
			}
			if intent, n := kw.at(ws, i, true); n > 0 {
				r.intent, r.command, cmdEnd, r.hashed = intent, true, i+n, true
				break
			}
		}
	}
	if !r.command {
		// Opening words that are a keyword weigh as much as a strong cue,
		// except for intents whose keywords open many a sentence about
		// something else (greetings, "petugas ...").
		if intent, n := kw.at(ws, 0, false); n > 0 {
			if i := lx.index(intent); i >= 0 && !lx.intents[i].noOpening {
				sc[i] += openingBonus
				if lx.best(sc) == i {
					r.intent, r.command, cmdEnd = intent, true, n
				}
			}
		}
	}
	if r.intent == "" {
		if i := lx.best(sc); i >= 0 {
			r.intent = lx.intents[lx.refined(i, sc)].name
		}
	} else if i := lx.index(r.intent); i >= 0 {
		r.intent = lx.intents[lx.refined(i, sc)].name
	}
	if r.number == "" && !r.whole && !r.hashed {
		if first, second, ok := lx.topics(text, ws, r.words, sc, lx.index(r.intent), &memo); ok {
			r.intent = lx.intents[first].name
			if second >= 0 {
				r.also = lx.intents[second].name
			}
		} else if !r.command {
			if alt := lx.rival(r.words, sc, lx.index(r.intent)); alt >= 0 {
				r.alt = lx.intents[alt].name
			}
		}
	}
	if r.command && cmdEnd > 0 && cmdEnd <= len(ws) {
		r.args = strings.TrimSpace(strings.TrimLeftFunc(text[ws[cmdEnd-1].end:], notAlnum))
	}
	// Commands are the same in every language: the English menu tells
	// applicants to send "#bayar". So words written with '#' say nothing
	// about the language, and a message that is a keyword speaks only for
	// English ("hello"), never against it ("bayar").
	onlyEN := r.command && cmdEnd == len(ws)
	r.lang = lx.language(ws, func(w word) bool { return !w.hash && (!onlyEN || lx.langs["en"][w.text]) })
	return r
}

// wayOut reports whether a message leaves feedback being written: a
// keyword written with '#', a keyword that is the whole message and leads
// to the menu ("menu", "batal"), or an application number alone. Anything
// else is the feedback, whatever its words ("antrian di loket 3 lama").
func (r reading) wayOut() bool {
	return r.hashed || r.whole && r.intent == intentMenu || r.onlyNumber
}

// openingBonus is what a keyword opening a message adds to its intent.
const openingBonus = 3

// maxIntents is how many intents' scores read keeps on its stack; a
// lexicon with more works, with an allocation per message.
const maxIntents = 64

// maxReadWords is how many words of a message are weighed.
const maxReadWords = 80

func isLetter(r rune) bool { return !notAlnum(r) && (r < '0' || r > '9') }
