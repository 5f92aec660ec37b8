package bot

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sigap-id/sigap/internal/content"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		text string
		want []word
	}{
		{"", nil},
		{"  Halo   Min  ", []word{{"halo", false}, {"min", false}}},
		{"#BAYAR!!", []word{{"bayar", true}}},
		{"😀#bayar😀", []word{{"bayar", true}}},
		{"(#syarat)", []word{{"syarat", true}}},
		{"e-paspor?", []word{{"e-paspor", false}}},
		{"halo,\u00a0min 🙏", []word{{"halo", false}, {"min", false}}},
		{"👍", nil},
		{"# bayar", []word{{"bayar", false}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, normalize(tt.text), cmp.AllowUnexported(word{})); diff != "" {
			t.Errorf("normalize(%q) mismatch (-want +got):\n%s", tt.text, diff)
		}
	}
}

func TestMatch(t *testing.T) {
	cat, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := New(cat, nil, nil)
	tests := []struct {
		text, want string // want "" for no intent
	}{
		{"#bayar", "payment"},
		{"bayar", "payment"},
		{"BAYAR", "payment"},
		{"#Bayar 🙏", "payment"},
		{"bayar gimana min", "payment"},
		{"min #bayar dong", "payment"},
		{"#syarat", "requirements"},
		{"syarat", "requirements"},
		{"syarat paspor anak", "requirements"},
		{"#antrian", "pickup"},
		{"antrian", "pickup"},
		{"#ambil", "pickup"},
		{"Ambil", "pickup"},
		{"menu", "menu"},
		{"#menu", "menu"},
		{"Halo!", "menu"},
		{"halo min", "menu"},
		{"cek status", "status_help"},
		{"Cek   Status?", "status_help"},
		{"#status", "status_help"},

		{"", ""},
		{"terima kasih", ""},
		{"saya mau bayar", ""}, // a bare keyword counts only as the first word
		{"🙏", ""},
		{"#lokasi", ""},
	}
	for _, tt := range tests {
		got, _ := e.match.match(tt.text)
		if got != tt.want {
			t.Errorf("match(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

// TestMenuRowsRoute checks that every row of the menu list leads to a
// service other than the menu itself, in every language.
func TestMenuRowsRoute(t *testing.T) {
	cat, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := New(cat, nil, nil)
	tr := &turn{e: e}
	for _, lang := range cat.Langs() {
		l, err := cat.List(lang, "menu", officeData{Office: "X"})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range l.Sections {
			for _, r := range s.Rows {
				if intent, ok := tr.choice(r.ID); !ok || intent == intentMenu {
					t.Errorf("%s: row %s leads to %q", lang, r.ID, intent)
				}
			}
		}
	}
}
