package bot

import (
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sigap-id/sigap"
	"go.yaml.in/yaml/v3"
)

//go:embed lexicon.yaml
var lexiconYAML []byte

// lexicon is lexicon.yaml compiled: how free text is read (see the file).
type lexicon struct {
	minScore   int
	negations  map[string]bool     // words that cancel the one-word cue after them
	filler     map[string]bool     // words without content of their own
	rewrites   map[string][]string // one or more words -> the words meant
	maxRewrite int                 // the most words a rewrite key has
	vocab      map[string]bool     // every word the file knows
	fuzzy      *typoTargets        // vocab words of 4 letters or more
	langs      map[string]map[string]bool
	// conjunctions join two questions in one message ("syarat dan
	// biaya"); questions are the words that make a clause a question.
	conjunctions map[string]bool
	questions    map[string]bool
	// done are what the applicant says they have done ("udah bayar"): a
	// clause saying it is what comes before the question, not the question.
	done    []cue
	intents []intentCues
	// byWord finds the cues a word may make: each cue is listed under its
	// first word, so a message's score looks only at the cues its words
	// can make, not at every cue of every intent.
	byWord map[string][]cueRef
	byName map[string]int // intent name -> index into intents
}

// cueRef is a cue: lexicon.intents[intent].cues[cue].
type cueRef struct{ intent, cue int }

type intentCues struct {
	name     string
	cues     []cue
	refine   []int // indexes into lexicon.intents
	fallback bool  // wins only when no other intent does
	negated  bool  // a negation cancels the one-word cue after it
	// noOpening: a keyword of this intent opening a message is no hint.
	noOpening bool
	minScore  int // to win; the file's min_score when not set
	// topic: an answer that may be given alongside another one, for a
	// message with two questions; covers are the intents its answer
	// already includes (the address answer shows the hours).
	topic  bool
	covers []int
	// parents are the intents that refine into this one; fromTopic says
	// one of them is a topic ("paspor anak" of the requirements).
	parents   []int
	fromTopic bool
}

type cue struct {
	words    []string
	weight   int
	anywhere bool // the words may stand anywhere ("a+b"), not as a run
}

type lexiconFile struct {
	MinScore  int                 `yaml:"min_score"`
	Negations []string            `yaml:"negations"`
	Filler    []string            `yaml:"filler"`
	Words     map[string]string   `yaml:"words"`
	Known     []string            `yaml:"known"`
	Langs     map[string][]string `yaml:"languages"`
	Conj      []string            `yaml:"conjunctions"`
	Questions []string            `yaml:"questions"`
	Done      []string            `yaml:"done"`
	Intents   []struct {
		Intent   string         `yaml:"intent"`
		Fallback bool           `yaml:"fallback"`
		Negated  bool           `yaml:"negatable"`
		NoOpen   bool           `yaml:"no_opening_bonus"`
		MinScore int            `yaml:"min_score"`
		Cues     map[string]int `yaml:"cues"`
		Refine   []string       `yaml:"refine"`
		Topic    bool           `yaml:"topic"`
		Covers   []string       `yaml:"covers"`
	} `yaml:"intents"`
}

var defaultLexicon = mustLexicon(lexiconYAML)

func mustLexicon(src []byte) *lexicon {
	lx, err := parseLexicon(src)
	if err != nil {
		panic(fmt.Sprintf("bot: lexicon.yaml: %v", err)) // embedded; TestLexicon covers it
	}
	return lx
}

func parseLexicon(src []byte) (*lexicon, error) {
	var f lexiconFile
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	if f.MinScore < 1 {
		return nil, fmt.Errorf("min_score: want 1 or more")
	}
	lx := &lexicon{
		minScore: f.MinScore, negations: map[string]bool{}, filler: map[string]bool{}, rewrites: map[string][]string{}, vocab: map[string]bool{},
		langs: map[string]map[string]bool{}, conjunctions: map[string]bool{}, questions: map[string]bool{},
	}
	// Every key and value is written as normalize would write it, so that
	// the file cannot hold a word no message can contain.
	norm := func(s string) []string {
		var out []string
		for _, w := range normalize(s) {
			out = append(out, w.text)
		}
		return out
	}
	for _, w := range f.Negations {
		for _, n := range norm(w) {
			lx.negations[n] = true
			lx.vocab[n] = true
		}
	}
	for _, w := range f.Filler {
		for _, n := range norm(w) {
			lx.filler[n] = true
			lx.vocab[n] = true
		}
	}
	for k, v := range f.Words {
		key, val := norm(k), norm(v)
		if len(key) == 0 || len(val) == 0 {
			return nil, fmt.Errorf("words: %q: %q: empty", k, v)
		}
		lx.rewrites[strings.Join(key, " ")] = val
		lx.maxRewrite = max(lx.maxRewrite, len(key))
		for _, w := range append(key, val...) {
			lx.vocab[w] = true
		}
	}
	for _, k := range f.Known {
		for _, w := range norm(k) {
			lx.vocab[w] = true
		}
	}
	for _, set := range []struct {
		words []string
		dst   map[string]bool
	}{{f.Conj, lx.conjunctions}, {f.Questions, lx.questions}} {
		for _, w := range set.words {
			for _, n := range norm(w) {
				set.dst[n] = true
				lx.vocab[n] = true
			}
		}
	}
	for lang, words := range f.Langs {
		lx.langs[lang] = map[string]bool{}
		for _, w := range words {
			for _, n := range norm(w) {
				lx.langs[lang][n] = true
			}
		}
	}
	for _, d := range f.Done {
		c, err := lx.parseCue(d, 1, norm)
		if err != nil {
			return nil, fmt.Errorf("done: %w", err)
		}
		lx.done = append(lx.done, c)
	}
	index := map[string]int{}
	for _, in := range f.Intents {
		if _, dup := index[in.Intent]; dup || in.Intent == "" {
			return nil, fmt.Errorf("intents: %q listed twice or empty", in.Intent)
		}
		index[in.Intent] = len(lx.intents)
		ic := intentCues{name: in.Intent, fallback: in.Fallback, negated: in.Negated, noOpening: in.NoOpen || in.Fallback,
			minScore: max(in.MinScore, f.MinScore), topic: in.Topic}
		for c, weight := range in.Cues {
			parsed, err := lx.parseCue(c, weight, norm)
			if err != nil {
				return nil, fmt.Errorf("intents: %s: %w", in.Intent, err)
			}
			ic.cues = append(ic.cues, parsed)
		}
		slices.SortFunc(ic.cues, func(a, b cue) int { return strings.Compare(strings.Join(a.words, " "), strings.Join(b.words, " ")) })
		lx.intents = append(lx.intents, ic)
	}
	lx.byWord = map[string][]cueRef{}
	for i, in := range lx.intents {
		for j, c := range in.cues {
			lx.byWord[c.words[0]] = append(lx.byWord[c.words[0]], cueRef{i, j})
		}
	}
	lx.byName = index
	for i, in := range f.Intents {
		for _, r := range in.Refine {
			j, ok := index[r]
			if !ok {
				return nil, fmt.Errorf("intents: %s: refine: unknown intent %q", in.Intent, r)
			}
			lx.intents[i].refine = append(lx.intents[i].refine, j)
			lx.intents[j].parents = append(lx.intents[j].parents, i)
			lx.intents[j].fromTopic = lx.intents[j].fromTopic || lx.intents[i].topic
		}
		for _, c := range in.Covers {
			j, ok := index[c]
			if !ok {
				return nil, fmt.Errorf("intents: %s: covers: unknown intent %q", in.Intent, c)
			}
			lx.intents[i].covers = append(lx.intents[i].covers, j)
		}
	}
	var fuzzy []string
	for w := range lx.vocab {
		if utf8.RuneCountInString(w) >= 4 && !strings.ContainsFunc(w, unicode.IsDigit) {
			fuzzy = append(fuzzy, w)
		}
	}
	lx.fuzzy = newTypoTargets(fuzzy)
	return lx, nil
}

// canonical rewrites a message's words into the words the intents know:
// slang and inflections first (longest rewrite first), then suffixes and
// doublings, then typos.
func (lx *lexicon) canonical(ws []word) []string { return lx.rewrite(ws, nil) }

// typos remembers, for one message, the words looked up as typos and what
// each was read as (an index into lexicon.fuzzy.text, or -1 for none), so that
// reading the message's clauses again does not search the vocabulary again.
type typos []typo

type typo struct {
	word string
	to   int
}

// rewrite is canonical remembering typos in memo (nil: not at all).
func (lx *lexicon) rewrite(ws []word, memo *typos) []string {
	var out []string
	for i := 0; i < len(ws); {
		n := min(lx.maxRewrite, len(ws)-i)
		for ; n > 1; n-- {
			if r, ok := lx.rewrites[phrase(ws[i:i+n])]; ok {
				out = append(out, r...)
				break
			}
		}
		if n > 1 {
			i += n
			continue
		}
		out = append(out, lx.wordIn(ws[i].text, 0, memo)...)
		i++
	}
	return out
}

// word rewrites one word. depth bounds the rewriting of a rewrite.
func (lx *lexicon) word(w string, depth int) []string { return lx.wordIn(w, depth, nil) }

// wordIn is word remembering typos in memo (nil: not at all).
func (lx *lexicon) wordIn(w string, depth int, memo *typos) []string {
	if depth > 3 {
		return []string{w}
	}
	if r, ok := lx.rewrites[w]; ok {
		return r
	}
	if lx.vocab[w] {
		return []string{w}
	}
	if b, ok := undouble(w); ok {
		return lx.wordIn(b, depth+1, memo)
	}
	// An English possessive is its word: "baby's passport".
	if b, ok := strings.CutSuffix(w, "'s"); ok && b != "" {
		return lx.wordIn(b, depth+1, memo)
	}
	for _, suffix := range []string{"nya", "kah", "lah", "pun", "ku", "mu", "in"} {
		if b, ok := strings.CutSuffix(w, suffix); ok && utf8.RuneCountInString(b) >= 3 {
			if _, ok := lx.rewrites[b]; ok || lx.vocab[b] {
				return lx.wordIn(b, depth+1, memo)
			}
		}
	}
	if b, ok := lx.unprefixed(w); ok {
		return lx.wordIn(b, depth+1, memo)
	}
	if strings.ContainsFunc(w, unicode.IsDigit) {
		if ticketShaped(w) {
			return ticketWord
		}
		return []string{w}
	}
	if i := lx.typo(w, memo); i >= 0 {
		return lx.wordIn(lx.fuzzy.text[i], depth+1, memo)
	}
	return []string{w}
}

// typo returns the index in lexicon.fuzzy.text of the word w is a typo of, or -1.
func (lx *lexicon) typo(w string, memo *typos) int {
	if memo != nil {
		for _, t := range *memo {
			if t.word == w {
				return t.to
			}
		}
	}
	i, ok := lx.fuzzy.nearest(w)
	if !ok {
		i = -1
	}
	if memo != nil {
		*memo = append(*memo, typo{w, i})
	}
	return i
}

// undouble reads Indonesian plurals: "anak-anak", "syarat2" and
// "syarat2nya" are "anak", "syarat" and "syaratnya".
func undouble(w string) (string, bool) {
	if a, b, ok := strings.Cut(w, "-"); ok && a == b && a != "" {
		return a, true
	}
	if i := strings.Index(w, "2"); i > 0 && !strings.ContainsFunc(w[:i], unicode.IsDigit) {
		rest := w[i+1:]
		if !strings.ContainsFunc(rest, unicode.IsDigit) {
			return w[:i] + rest, true
		}
	}
	return "", false
}

// scores returns each intent's score for the rewritten words.
func (lx *lexicon) scores(words []string) []int { return lx.scoresIn(words, nil) }

// scoresIn is scores written into buf when it has room, so that a caller
// can keep them on its stack.
func (lx *lexicon) scoresIn(words []string, buf []int) []int {
	var sc []int
	if n := len(lx.intents); cap(buf) >= n {
		sc = buf[:n]
		clear(sc)
	} else {
		sc = make([]int, n)
	}
	for i, w := range words {
		if slices.Contains(words[:i], w) {
			continue // its cues are counted
		}
		for _, r := range lx.byWord[w] {
			in := &lx.intents[r.intent]
			if c := &in.cues[r.cue]; lx.matches(words, c, in.negated) {
				sc[r.intent] += c.weight
			}
		}
	}
	return sc
}

// matches reports whether cue c is in words. In an intent that a
// negation cancels (negated), a word right after a negation is not.
// parseCue reads a cue as the file writes it: words that must stand as a
// run ("kode bayar"), or words joined by '+' that may stand anywhere
// ("ktp+hilang"). Its words become words the file knows.
func (lx *lexicon) parseCue(c string, weight int, norm func(string) []string) (cue, error) {
	anywhere := strings.Contains(c, "+")
	var words []string
	for _, part := range strings.Split(c, "+") {
		words = append(words, norm(part)...)
	}
	if len(words) == 0 || weight == 0 || anywhere && len(words) < 2 {
		return cue{}, fmt.Errorf("cue %q: want words and a weight other than 0", c)
	}
	// A cue is matched against rewritten words, so it must be written as
	// a rewrite would leave it.
	if len(words) == 1 || anywhere {
		for _, w := range words {
			if r, ok := lx.rewrites[w]; ok && strings.Join(r, " ") != w {
				return cue{}, fmt.Errorf("cue %q: %q is rewritten to %q: use that", c, w, strings.Join(r, " "))
			}
		}
	}
	for _, w := range words {
		lx.vocab[w] = true
	}
	return cue{words: words, weight: weight, anywhere: anywhere}, nil
}

func (lx *lexicon) matches(words []string, c *cue, negated bool) bool {
	present := func(w string) bool {
		for i, x := range words {
			if x == w && (!negated || i == 0 || !lx.negations[words[i-1]]) {
				return true
			}
		}
		return false
	}
	switch {
	case c.anywhere:
		return !slices.ContainsFunc(c.words, func(w string) bool { return !present(w) })
	case len(c.words) == 1:
		return present(c.words[0])
	}
	return containsRun(words, c.words)
}

func containsRun(words, run []string) bool {
	for i := 0; i+len(run) <= len(words); i++ {
		if slices.Equal(words[i:i+len(run)], run) {
			return true
		}
	}
	return false
}

// best returns the winning intent's index, or -1 below min_score.
func (lx *lexicon) best(sc []int) int {
	for _, fallback := range []bool{false, true} {
		best := -1
		for i, s := range sc {
			if lx.intents[i].fallback == fallback && s >= lx.intents[i].minScore && (best < 0 || s > sc[best]) {
				best = i
			}
		}
		if best >= 0 {
			return best
		}
	}
	return -1
}

// refined returns the best of intent i's refinements that scored, or i.
func (lx *lexicon) refined(i int, sc []int) int {
	out := i
	for _, j := range lx.intents[i].refine {
		if sc[j] > 0 && (out == i || sc[j] > sc[out]) {
			out = j
		}
	}
	return out
}

func (lx *lexicon) index(intent string) int {
	if i, ok := lx.byName[intent]; ok {
		return i
	}
	return -1
}

// language says which language the words of ws that keep allows (all
// when keep is nil) are written in: "en", "id", or "" when they do not
// say. A word counts for one language only, English first, so that
// "hello" (rewritten "halo") is English.
func (lx *lexicon) language(ws []word, keep func(word) bool) string {
	enWords, idWords := lx.langs["en"], lx.langs["id"]
	n, en, id := 0, 0, 0
	for _, w := range ws {
		if keep != nil && !keep(w) {
			continue
		}
		n++
		switch {
		case enWords[w.text]:
			en++
		case idWords[w.text]:
			id++
		default:
			if r, ok := lx.rewrites[w.text]; ok && idWords[r[0]] {
				id++
			}
		}
	}
	switch {
	case en > id && (en >= 2 || n <= 3):
		return "en"
	case id > en:
		return "id"
	}
	return ""
}

// feedbackWord reports whether w is a strong cue (weight 4 or more) of a
// feedback intent: "komplain", "pengaduan", "kecewa".
func (lx *lexicon) feedbackWord(w string) bool {
	for _, in := range lx.intents {
		if !strings.HasPrefix(in.name, feedbackPrefix) {
			continue
		}
		for _, c := range in.cues {
			if len(c.words) == 1 && c.words[0] == w && c.weight >= 4 {
				return true
			}
		}
	}
	return false
}

// ticketWord is what a ticket number written in a message ("nomornya
// K7M-3QX") reads as: a word lexicon.yaml can weigh like any other.
var ticketWord = []string{"nomortiket"}

// ticketShaped reports whether w, a word holding a digit, is written as
// the bot writes ticket numbers: three letters or digits, a dash, three
// more, a letter among them. Without the dash, "rp650k" would be one.
func ticketShaped(w string) bool {
	if len(w) != 7 || w[3] != '-' || !strings.ContainsFunc(w, isLetter) {
		return false
	}
	_, ok := sigap.ParseTicketNumber(w)
	return ok
}

// unprefixed reads the Indonesian passive di- ("disambungkan",
// "ditambahkan") and the ke-...-an of what befell one ("kehujanan") as the
// word this file knows inside them, before any typo is looked for: the
// affixes would otherwise read as two or more typos of another word.
// Other prefixes change the word's first letter ("menyambung") or its
// meaning ("terlambat" is no "lambat"), so they are left to `words`.
func (lx *lexicon) unprefixed(w string) (string, bool) {
	knows := func(b string) bool {
		_, ok := lx.rewrites[b]
		return utf8.RuneCountInString(b) >= 4 && (ok || lx.vocab[b])
	}
	if b, ok := strings.CutPrefix(w, "di"); ok {
		if knows(b) {
			return b, true
		}
		for _, suffix := range []string{"kan", "nya", "i"} {
			if c, ok := strings.CutSuffix(b, suffix); ok && knows(c) {
				return c, true
			}
		}
	}
	if b, ok := strings.CutPrefix(w, "ke"); ok {
		if c, ok := strings.CutSuffix(b, "an"); ok && knows(c) {
			return c, true
		}
	}
	return "", false
}
