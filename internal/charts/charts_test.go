package charts

import (
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden: each chart is the SVG in testdata (go test -update rewrites
// them; look at them in a browser before committing), well-formed XML,
// and escapes what it is given.
func TestGolden(t *testing.T) {
	cases := []struct {
		name string
		svg  string
	}{
		{"bars", string(Bars("Layanan yang diminta", []Bar{
			{Label: "payment", Value: 120}, {Label: "status", Value: 75}, {Label: "<script>alert(1)</script>", Value: 3},
			{Label: "unknown", Value: 0, Text: "0 (0%)"},
		}))},
		{"columns", string(Columns("Pesan per hari", []string{"11-24", "11-25", "11-26", "11-27"}, []Series{
			{Name: "dipahami", Values: []float64{40, 55, 0, 62}},
			{Name: "tidak dipahami", Values: []float64{4, 6, 1, 3}},
		}))},
		{"empty", string(Bars("Kosong & sepi", nil))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dec := xml.NewDecoder(strings.NewReader(c.svg))
			for {
				if _, err := dec.Token(); err != nil {
					if err.Error() != "EOF" {
						t.Fatalf("not well-formed: %v\n%s", err, c.svg)
					}
					break
				}
			}
			if strings.Contains(c.svg, "<script") {
				t.Errorf("a label was not escaped:\n%s", c.svg)
			}
			path := filepath.Join("testdata", c.name+".svg")
			if *update {
				if err := os.WriteFile(path, []byte(c.svg), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(want) != c.svg {
				t.Errorf("%s differs from %s (go test -update, then look at it):\n%s", c.name, path, c.svg)
			}
		})
	}
}

func TestNiceCeil(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 1: 1, 3: 5, 7: 10, 12: 20, 45: 50, 101: 200, 999: 1000} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", in, got, want)
		}
	}
}
