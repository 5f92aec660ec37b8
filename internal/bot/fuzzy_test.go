package bot

import (
	"testing"
	"unicode/utf8"
)

// naiveNearest is what typoTargets.nearest computes, the plain way: the
// distance to every target.
func naiveNearest(w string, targets [][]rune) (int, bool) {
	rs := []rune(w)
	max := maxTypos(len(rs))
	if max == 0 {
		return 0, false
	}
	best, bestD, bestFirst := -1, max+1, false
	scratch := make([]int, 3*(len(rs)+max+1))
	for i, c := range targets {
		if len(c) < 4 {
			continue
		}
		d := distanceIn(rs, c, max, scratch)
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

// TestNearestSparesNothing: the targets typoTargets.nearest skips by
// their letters are never the nearest. It tries the words of every
// labelled message, and every target with letters dropped, doubled,
// replaced or swapped with the next (one of these at each letter).
func TestNearestSparesNothing(t *testing.T) {
	lx := defaultLexicon
	tries := map[string]bool{"élektronik": true, "paspör": true, "ñama": true, "pa55por": true}
	for _, text := range allMessages(t) {
		for _, w := range normalize(text) {
			tries[w.text] = true
		}
	}
	for _, target := range lx.fuzzy.text {
		rs := []rune(target)
		for i := range rs {
			switch i % 4 {
			case 0:
				tries[string(rs[:i])+string(rs[i+1:])] = true
			case 1:
				tries[string(rs[:i+1])+string(rs[i:])] = true
			case 2:
				tries[string(rs[:i])+"x"+string(rs[i+1:])] = true
			default:
				if i+1 < len(rs) {
					tries[string(rs[:i])+string(rs[i+1])+string(rs[i])+string(rs[i+2:])] = true
				}
			}
		}
	}
	kw := newKeywords(map[string][]string{"a": {"syarat", "bayar", "pengaduan", "ÉPASPOR", "jadwal", "notif"}})
	runes := map[*typoTargets][][]rune{}
	for _, set := range []*typoTargets{lx.fuzzy, kw.single} {
		for _, w := range set.text {
			runes[set] = append(runes[set], []rune(w))
		}
	}
	for w := range tries {
		if !utf8.ValidString(w) {
			continue
		}
		for _, set := range []*typoTargets{lx.fuzzy, kw.single} {
			gi, gok := set.nearest(w)
			wi, wok := naiveNearest(w, runes[set])
			if gi != wi || gok != wok {
				t.Fatalf("nearest(%q) = %d, %v; want %d, %v", w, gi, gok, wi, wok)
			}
		}
	}
	t.Logf("%d words", len(tries))
}

// TestTyposThatAreWords: two edits that change the first letter, or that
// take out or add two letters, are not read as typos; one edit and two
// slips inside a long word still are. An English possessive is its word,
// and so is an Indonesian passive (di-) or ke-...-an around a known word.
func TestTyposThatAreWords(t *testing.T) {
	lx := defaultLexicon
	for _, tt := range []struct{ in, want string }{
		{"keliling", "keliling"}, // not "yelling"
		{"dimajukan", "maju"},    // not "dimakan"
		{"persyaratn", "syarat"}, // one edit: persyaratan
		{"persayratn", "syarat"}, // a swap and a letter left out
		{"byar", "bayar"},
		{"baby's", "baby"},
		{"disambungkan", "sambungkan"}, // di-: passive
		{"ditambahkan", "tambah"},
		{"kehujanan", "hujan"}, // ke-...-an: what befell one
	} {
		got := lx.canonical(normalize(tt.in))
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%q reads as %q, want %q", tt.in, got, tt.want)
		}
	}
}
