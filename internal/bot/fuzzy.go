package bot

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

// nearest returns the candidate closest to w within maxTypos, preferring
// one with w's first letter (typos rarely hit it), then the earliest in
// candidates. ok is false when none is close enough.
func nearest(w []rune, candidates [][]rune) (int, bool) {
	max := maxTypos(len(w))
	if max == 0 {
		return 0, false
	}
	best, bestD, bestFirst := -1, max+1, false
	scratch := make([]int, 3*(len(w)+max+1))
	for i, c := range candidates {
		if len(c) < 4 || len(c)-len(w) > max || len(w)-len(c) > max {
			continue
		}
		d := distanceIn(w, c, max, scratch)
		if d > max {
			continue
		}
		first := c[0] == w[0]
		if d < bestD || d == bestD && first && !bestFirst {
			best, bestD, bestFirst = i, d, first
		}
	}
	return best, best >= 0
}
