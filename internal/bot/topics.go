package bot

import (
	"slices"
	"strings"
)

// A message may ask about two services at once ("syarat dan biaya bikin
// paspor apa aja") or say something before its question ("udah bayar,
// kapan bisa diambil?"). Its clauses are read one by one:
//
//   - two clauses joined by a conjunction (dan, sama, and, &) that each
//     name a different service (an intent marked `topic` in lexicon.yaml,
//     scoring topicScore or more in its clause alone) get both answers, in
//     the order written; an answer that covers the other (the address
//     answer shows the hours) is given alone;
//   - clauses apart by punctuation that name different services get the
//     answer to the one asked as a question (a '?' or a question word), if
//     only one is and it says as much as the other ("udah bayar, kapan bisa
//     diambil?"; but "telat bayar billing, harus daftar ulang?" is about
//     paying late), or the other only says what the applicant has done
//     (lexicon.yaml's `done`: "udh bayar billing nya, wawancara kapan?");
//   - anything else is read as one message.

// topicScore is what a clause must score for a service to be a topic of
// its own: a strong cue ("syarat", "biaya", "alamat"), not a hint.
const topicScore = 3

// segment is a clause: the rewritten words between punctuation marks or
// conjunctions.
type segment struct {
	words  []string
	marked bool // a '?' ends it
	joined bool // a conjunction, not punctuation, comes before it
}

// asked reports whether s is a question: a '?' ends it or a question
// word is in it.
func (lx *lexicon) asked(s segment) bool {
	return s.marked || slices.ContainsFunc(s.words, func(w string) bool { return lx.questions[w] })
}

// conjSigns are the signs written for "and" ("syarat & biaya").
var conjSigns = strings.NewReplacer("&", " dan ", "+", " dan ")

// segments cuts text into clauses. ws are its words (normalize(text)) and
// words what read made of them; memo holds the typos already looked up.
func (lx *lexicon) segments(text string, ws []word, words []string, memo *typos) []segment {
	var out []segment
	clause := func(words []string, marked bool) {
		start, joined := 0, false
		flush := func(end int) {
			if end > start {
				out = append(out, segment{words: words[start:end:end], marked: marked, joined: joined})
			}
		}
		for i, w := range words {
			if lx.conjunctions[w] {
				flush(i)
				start, joined = i+1, true
			}
		}
		flush(len(words))
	}
	// A piece between punctuation marks holds the words of ws that end
	// in it (no word spans a mark), unless '&' or '+' add a "dan".
	signs := strings.ContainsAny(text, "&+")
	next := 0 // the first word of ws not in a piece yet
	piece := func(start, end int, marked bool) {
		if signs {
			pws := normalize(conjSigns.Replace(text[start:end]))
			if len(pws) > 0 {
				clause(lx.rewrite(pws[:min(len(pws), maxReadWords)], memo), marked)
			}
			return
		}
		first := next
		for next < len(ws) && ws[next].end <= end {
			next++
		}
		switch pws := ws[first:next]; {
		case len(pws) == 0:
		case len(pws) == len(ws): // the whole message: read already
			clause(words, marked)
		default:
			clause(lx.rewrite(pws[:min(len(pws), maxReadWords)], memo), marked)
		}
	}
	start := 0
	for i := 0; i < len(text); i++ { // the marks are ASCII: no rune ends in one of their bytes
		switch c := text[i]; c {
		case '.':
			if digitAround(text, i) {
				continue
			}
			fallthrough
		case ',', ';', '!', '?', '\n':
			piece(start, i, c == '?')
			start = i + 1
		}
	}
	piece(start, len(text), false)
	return out
}

// digitAround reports whether the byte at i stands between two digits, as
// the dot of "Rp650.000" does.
func digitAround(s string, i int) bool {
	return i > 0 && i+1 < len(s) && isDigit(s[i-1]) && isDigit(s[i+1])
}

// topics reads text clause by clause, given its words (ws, and words as
// read rewrote them), the scores of the whole message (whole) and the
// intent it was read as (w). It returns the intent to answer instead of w
// and, when two are asked, the second (-1 for none); ok is false when the
// clauses change nothing.
func (lx *lexicon) topics(text string, ws []word, words []string, whole []int, w int, memo *typos) (first, second int, ok bool) {
	if w < 0 || !lx.intents[w].topic && !lx.refinedFromTopic(w) {
		return 0, 0, false
	}
	segs := lx.segments(text, ws, words, memo)
	if len(segs) < 2 {
		return 0, 0, false
	}
	type topic struct {
		intent, score    int
		question, joined bool
		done             bool // it says what the applicant has done
	}
	var found []topic
	var buf [maxIntents]int
	for _, s := range segs {
		sc := lx.scoresIn(s.words, buf[:])
		b := lx.best(sc)
		if b < 0 || !lx.intents[b].topic || sc[b] < topicScore {
			continue
		}
		t := topic{lx.refined(b, whole), sc[b], lx.asked(s), s.joined, false}
		t.done = !t.question && lx.saysDone(s.words)
		if i := indexFunc(len(found), func(i int) bool { return found[i].intent == t.intent }); i >= 0 {
			found[i].question = found[i].question || t.question
			found[i].done = found[i].done && t.done
			found[i].score = max(found[i].score, t.score)
			continue
		}
		found = append(found, t)
	}
	// An answer that includes another makes it needless.
	for i := 0; i < len(found); i++ {
		for j := range found {
			if i != j && lx.covers(found[j].intent, found[i].intent) {
				found = append(found[:i], found[i+1:]...)
				i--
				break
			}
		}
	}
	if len(found) < 2 {
		if len(found) == 1 && found[0].intent != w && lx.covers(found[0].intent, w) {
			return found[0].intent, -1, true
		}
		return 0, 0, false
	}
	a, b := found[0], found[1]
	switch {
	case b.joined:
		return a.intent, b.intent, true
	case a.question && !b.question && (a.score >= b.score || b.done):
		return a.intent, -1, a.intent != w
	case b.question && !a.question && (b.score >= a.score || a.done):
		return b.intent, -1, b.intent != w
	}
	return 0, 0, false
}

// saysDone reports whether a clause says what the applicant has done
// ("udah bayar billing"): the lexicon's `done`.
func (lx *lexicon) saysDone(words []string) bool {
	for i := range lx.done {
		if lx.matches(words, &lx.done[i], false) {
			return true
		}
	}
	return false
}

// rival returns a service the message means as much as it means w, or
// -1: another topic (or a refinement of one) scoring as high as w, each
// named by a strong cue of its own (weight topicScore or more, not hints
// added up), that neither refines nor covers w. The bot then asks which
// of the two the applicant means rather than guess.
func (lx *lexicon) rival(words []string, sc []int, w int) int {
	if w < 0 || !lx.informational(w) {
		return -1
	}
	top, strong := sc[w], lx.strong(words, w)
	for _, p := range lx.parents(w) { // w won as a refinement of p
		top = max(top, sc[p])
		strong = strong || lx.strong(words, p)
	}
	if !strong || top < topicScore {
		return -1
	}
	for i, s := range sc {
		if i != w && s >= top && lx.informational(i) && !lx.related(i, w) && lx.strong(words, i) {
			return i
		}
	}
	return -1
}

// strong reports whether one cue of intent i of weight topicScore or more
// is in words.
func (lx *lexicon) strong(words []string, i int) bool {
	in := &lx.intents[i]
	for j := range in.cues {
		if c := &in.cues[j]; c.weight >= topicScore && lx.matches(words, c, in.negated) {
			return true
		}
	}
	return false
}

// informational reports whether intent i is a topic or a refinement of one.
func (lx *lexicon) informational(i int) bool { return lx.intents[i].topic || lx.refinedFromTopic(i) }

// parents are the intents that refine into i.
func (lx *lexicon) parents(i int) []int { return lx.intents[i].parents }

// related reports whether one of i and j refines into or covers the other,
// or both refine from the same intent's family the same way.
func (lx *lexicon) related(i, j int) bool {
	for _, pair := range [][2]int{{i, j}, {j, i}} {
		a, b := pair[0], pair[1]
		if lx.covers(a, b) {
			return true
		}
		for _, r := range lx.intents[a].refine {
			if r == b {
				return true
			}
		}
	}
	return false
}

// covers reports whether intent i's answer includes intent j's.
func (lx *lexicon) covers(i, j int) bool {
	for _, c := range lx.intents[i].covers {
		if c == j {
			return true
		}
	}
	return false
}

// refinedFromTopic reports whether intent i is a refinement of a topic
// ("paspor anak" of the requirements).
func (lx *lexicon) refinedFromTopic(i int) bool { return lx.intents[i].fromTopic }

func indexFunc(n int, f func(int) bool) int {
	for i := range n {
		if f(i) {
			return i
		}
	}
	return -1
}
