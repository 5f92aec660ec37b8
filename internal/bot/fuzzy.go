package bot

import (
	"math/bits"
	"slices"
)

// distance is the Damerau-Levenshtein distance (optimal string alignment:
// insertions, deletions, substitutions and swaps of two neighbours) between
// a and b in runes, or max+1 when it is more than max.
func distance(a, b []rune, max int) int {
	return distanceIn(a, b, max, nil)
}

// distanceIn is distance with scratch space for its rows, to spare the
// allocations when comparing one word with many.
func distanceIn(a, b []rune, max int, scratch []int) int {
	if d := len(a) - len(b); d > max || -d > max {
		return max + 1
	}
	// Three rows suffice: the swap looks two rows back.
	n := len(b) + 1
	if cap(scratch) < 3*n {
		scratch = make([]int, 3*n)
	}
	prev2, prev, cur := scratch[:n], scratch[n:2*n], scratch[2*n:3*n]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if prev[len(b)] > max {
		return max + 1
	}
	return prev[len(b)]
}

// maxTypos is how far a word of n letters may be from the word meant: one
// mistake from 4 letters, two from 8. Shorter words must be exact: "jam"
// and "jas" are different words, not typos. (Two from 7 letters would read
// "someone" as "sombong".)
func maxTypos(n int) int {
	switch {
	case n >= 8:
		return 2
	case n >= 4:
		return 1
	}
	return 0
}

// plausible reports whether w, at distance d from c, may be a typo of it.
// Two edits that change the first letter or take two letters out (or add
// two) more often make another word than a slip of the fingers:
// "keliling" is no "yelling", "dimajukan" no "dimakan".
func plausible(w, c []rune, d int) bool {
	return d < 2 || w[0] == c[0] && len(w)-len(c) <= 1 && len(c)-len(w) <= 1
}

// typoTargets are the words a word may be a typo of, sorted.
type typoTargets struct {
	text  []string
	runes [][]rune
	// letters are each word's letters as a set of bits (see letters): a
	// quick bound that spares most of the distances.
	letters []uint64
}

// newTypoTargets returns words as typo targets; it sorts words.
func newTypoTargets(words []string) *typoTargets {
	slices.Sort(words)
	t := &typoTargets{text: words}
	for _, w := range words {
		rs := []rune(w)
		t.runes = append(t.runes, rs)
		t.letters = append(t.letters, letters(rs))
	}
	return t
}

// letters returns the set of the runes in w as bits, a rune per bit for
// a-z and 0-9 and others sharing the rest. Each rune of one word that is
// nowhere in another must be deleted or replaced, one edit each, so the
// bits one set has and another lacks are at most the distance between
// the words (runes sharing a bit can only make that count smaller).
func letters(w []rune) uint64 {
	var m uint64
	for _, r := range w {
		switch {
		case r >= 'a' && r <= 'z':
			m |= 1 << (r - 'a')
		case r >= '0' && r <= '9':
			m |= 1 << (26 + r - '0')
		default:
			m |= 1 << (36 + uint32(r)%28)
		}
	}
	return m
}

// nearest returns the index of the target closest to w within maxTypos,
// preferring one with w's first letter (typos rarely hit it), then the
// earliest. ok is false when none is close enough.
func (t *typoTargets) nearest(w string) (int, bool) {
	rs := []rune(w)
	max := maxTypos(len(rs))
	if max == 0 {
		return 0, false
	}
	set := letters(rs)
	best, bestD, bestFirst := -1, max+1, false
	var scratch [3 * 40]int // the rows of words up to 37 letters; longer ones allocate
	for i, c := range t.runes {
		if len(c) < 4 || len(c)-len(rs) > max || len(rs)-len(c) > max ||
			bits.OnesCount64(set&^t.letters[i]) > max || bits.OnesCount64(t.letters[i]&^set) > max {
			continue
		}
		d := distanceIn(rs, c, max, scratch[:])
		if d > max || !plausible(rs, c, d) {
			continue
		}
		first := c[0] == rs[0]
		if d < bestD || d == bestD && first && !bestFirst {
			best, bestD, bestFirst = i, d, first
		}
	}
	return best, best >= 0
}
