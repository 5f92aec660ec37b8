package whatsapp_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/whatsapp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/render")

// checkGolden compares m, as JSON, with testdata/render/name. The
// comparison is on the decoded JSON, so key order and escaping don't matter
// but every key and value does.
func checkGolden(t *testing.T, name string, m whatsapp.Outgoing) {
	t.Helper()
	path := filepath.Join("testdata", "render", name)
	got, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(m); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(decodeJSON(t, want), decodeJSON(t, got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s\ngot JSON: %s", name, diff, got)
	}
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return v
}

func menuList() *sigap.List {
	return &sigap.List{
		Header: "Kanim Jakarta Pusat",
		Body:   "Silakan pilih layanan yang Anda perlukan.",
		Footer: "Ketik 0 untuk kembali ke menu",
		Button: "Pilih layanan",
		Sections: []sigap.ListSection{
			{Title: "Permohonan", Rows: []sigap.ListRow{
				{ID: "menu:status", Title: "Cek status", Description: "Tahap permohonan paspor Anda"},
				{ID: "menu:bayar", Title: "Pembayaran", Description: "Biaya & cara bayar"},
			}},
			{Title: "Kantor", Rows: []sigap.ListRow{
				{ID: "menu:lokasi", Title: "Lokasi & jam"},
				{ID: "menu:petugas", Title: "Bicara dengan petugas"},
			}},
		},
	}
}

// smallList is a valid one-section list that cases below bend.
func smallList() sigap.List {
	return sigap.List{
		Body: "Menu utama", Button: "Menu",
		Sections: []sigap.ListSection{{Rows: []sigap.ListRow{{ID: "pay", Title: "Payment info", Description: "Fees & how to pay"}}}},
	}
}

func rows(n int) []sigap.ListRow {
	var rs []sigap.ListRow
	for i := range n {
		rs = append(rs, sigap.ListRow{ID: fmt.Sprintf("row:%d", i), Title: fmt.Sprintf("Pilihan %d", i)})
	}
	return rs
}

const fallbackText = "Menu:\n1. Cek status\n2. Pembayaran"

func TestRenderGolden(t *testing.T) {
	minimal := smallList()
	tests := []struct {
		name   string
		to     string
		reply  sigap.Reply
		golden string
	}{
		{"text", budi, sigap.Reply{Text: "Permohonan 1234567890123456 atas nama B*** S******\nTahap: siap diambil sejak 12 Februari 2025."}, "text.json"},
		{"text to a business-scoped user id", "US.13491208655302741918", sigap.Reply{Text: "Halo! Ketik #menu untuk melihat layanan."}, "text_bsuid.json"},
		{"list with header, footer and two sections", budi, sigap.Reply{Text: fallbackText, List: menuList()}, "list.json"},
		{"list with one untitled section and no header or footer", budi, sigap.Reply{Text: "Menu utama", List: &minimal}, "list_minimal.json"},
		{"location", budi, sigap.Reply{Text: "Alamat kantor", Location: &sigap.Location{
			Latitude: -6.1619, Longitude: 106.8455, Name: "Kantor Imigrasi Jakarta Pusat", Address: "Jl. Merpati Blok B-12 No. 3, Kemayoran"}}, "location.json"},
		{"template with body parameters", budi, sigap.Reply{Text: "Siap diambil", Template: &sigap.Template{
			Name: "sigap_status_update", Language: "id", Params: []string{"Siap diambil", "************3456"}}}, "template_params.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := whatsapp.Render(tt.to, tt.reply)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			checkGolden(t, tt.golden, m)
		})
	}
}

func TestRenderListOverLimitFallsBackToText(t *testing.T) {
	tests := []struct {
		name  string
		bend  func(l *sigap.List)
		wantE string // in the error
	}{
		{"11 rows in one section", func(l *sigap.List) { l.Sections = []sigap.ListSection{{Rows: rows(11)}} }, "11 rows"},
		{"11 rows across two sections", func(l *sigap.List) {
			l.Sections = []sigap.ListSection{{Title: "A", Rows: rows(6)}, {Title: "B", Rows: rows(5)}}
		}, "11 rows"},
		{"row title of 25 runes", func(l *sigap.List) { l.Sections[0].Rows[0].Title = strings.Repeat("a", 25) }, "row title"},
		{"button of 21 runes", func(l *sigap.List) { l.Button = strings.Repeat("b", 21) }, "button"},
		{"button of 21 multi-byte runes", func(l *sigap.List) { l.Button = strings.Repeat("é", 21) }, "button"},
		{"no button", func(l *sigap.List) { l.Button = "" }, "button"},
		{"no body", func(l *sigap.List) { l.Body = "" }, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := smallList()
			tt.bend(&l)
			m, err := whatsapp.Render(budi, sigap.Reply{Text: fallbackText, List: &l})
			if err == nil || !strings.Contains(err.Error(), tt.wantE) {
				t.Errorf("Render error = %v, want one about %q", err, tt.wantE)
			}
			if m.Interactive != nil {
				t.Errorf("Render sent the broken list: %+v", m.Interactive)
			}
			checkGolden(t, "list_fallback.json", m)
		})
	}
}

// Limits count characters: multi-byte runes whose bytes exceed a limit
// while the runes don't must still go out as a list.
func TestRenderListMultiByteAtLimits(t *testing.T) {
	l := sigap.List{
		Header: strings.Repeat("ü", whatsapp.MaxListHeaderRunes), // 120 bytes
		Body:   strings.Repeat("🙂", 300),                         // 1,200 bytes
		Footer: strings.Repeat("é", whatsapp.MaxListFooterRunes), // 120 bytes
		Button: strings.Repeat("é", whatsapp.MaxListButtonRunes), // 40 bytes
		Sections: []sigap.ListSection{{
			Title: strings.Repeat("ñ", whatsapp.MaxSectionTitle), // 48 bytes
			Rows: []sigap.ListRow{{
				ID:          strings.Repeat("ø", whatsapp.MaxRowIDRunes),    // 400 bytes
				Title:       strings.Repeat("é", whatsapp.MaxRowTitleRunes), // 48 bytes
				Description: strings.Repeat("🇮", whatsapp.MaxRowDescRunes),  // 288 bytes
			}},
		}},
	}
	m, err := whatsapp.Render(budi, sigap.Reply{Text: "fallback", List: &l})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if m.Type != "interactive" || m.Interactive == nil || m.Interactive.Type != "list" {
		t.Fatalf("Render gave type %q, want an interactive list", m.Type)
	}
	if m.Text != nil {
		t.Errorf("Render set text %+v beside the list", m.Text)
	}
	if diff := cmp.Diff(l.Sections, m.Interactive.Action.Sections); diff != "" {
		t.Errorf("sections changed (-want +got):\n%s", diff)
	}
}

func TestRenderText(t *testing.T) {
	long := strings.Repeat("é", whatsapp.MaxTextRunes+1)
	exact := strings.Repeat("é", whatsapp.MaxTextRunes) // 8,192 bytes, 4,096 runes
	tests := []struct {
		name     string
		text     string
		wantBody string
		wantErr  bool
	}{
		{"exactly the limit in multi-byte runes", exact, exact, false},
		{"one rune over is cut with an ellipsis", long, strings.Repeat("é", whatsapp.MaxTextRunes-1) + "…", true},
		{"URLs are not previewed", "Daftar di https://antrian.imigrasi.go.id", "Daftar di https://antrian.imigrasi.go.id", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := whatsapp.Render(budi, sigap.Reply{Text: tt.text})
			if (err != nil) != tt.wantErr {
				t.Errorf("Render error = %v, want error: %v", err, tt.wantErr)
			}
			if m.Type != "text" || m.Text == nil {
				t.Fatalf("Render gave %+v, want a text message", m)
			}
			if m.Text.Body != tt.wantBody {
				t.Errorf("body has %d runes, want %d", utf8.RuneCountInString(m.Text.Body), utf8.RuneCountInString(tt.wantBody))
			}
			if n := utf8.RuneCountInString(m.Text.Body); n > whatsapp.MaxTextRunes {
				t.Errorf("body has %d runes, over the %d limit", n, whatsapp.MaxTextRunes)
			}
			if m.Text.PreviewURL {
				t.Error("preview_url is true")
			}
		})
	}
}

func TestRenderRecipient(t *testing.T) {
	tests := []struct {
		to, wantTo, wantRecipient string
	}{
		{budi, budi, ""},
		{"16505551234", "16505551234", ""},
		{"US.13491208655302741918", "", "US.13491208655302741918"},
		{"ID.ENT.11815799212886844830", "", "ID.ENT.11815799212886844830"},
	}
	for _, tt := range tests {
		m, _ := whatsapp.Render(tt.to, sigap.Reply{Text: "x"})
		if m.To != tt.wantTo || m.Recipient != tt.wantRecipient {
			t.Errorf("Render(%q): to=%q recipient=%q, want to=%q recipient=%q", tt.to, m.To, m.Recipient, tt.wantTo, tt.wantRecipient)
		}
		if m.MessagingProduct != "whatsapp" || m.RecipientType != "individual" {
			t.Errorf("Render(%q): messaging_product=%q recipient_type=%q", tt.to, m.MessagingProduct, m.RecipientType)
		}
	}
}

func TestCheckList(t *testing.T) {
	tests := []struct {
		name    string
		bend    func(l *sigap.List)
		wantErr string // empty: valid
	}{
		{"valid", func(*sigap.List) {}, ""},
		{"valid two titled sections", func(l *sigap.List) { *l = *menuList() }, ""},
		{"10 rows in total", func(l *sigap.List) {
			l.Sections = []sigap.ListSection{{Title: "A", Rows: rows(4)}, {Title: "B", Rows: rows(6)}}
		}, ""},
		{"11 rows in total", func(l *sigap.List) {
			l.Sections = []sigap.ListSection{{Title: "A", Rows: rows(4)}, {Title: "B", Rows: rows(7)}}
		}, "11 rows"},
		{"no rows", func(l *sigap.List) { l.Sections[0].Rows = nil }, "0 rows"},
		{"no sections", func(l *sigap.List) { l.Sections = nil }, "0 sections"},
		{"10 sections", func(l *sigap.List) {
			l.Sections = nil
			for i := range 10 {
				l.Sections = append(l.Sections, sigap.ListSection{Title: fmt.Sprint("S", i), Rows: rows(1)})
			}
		}, ""},
		{"11 sections", func(l *sigap.List) {
			l.Sections = nil
			for i := range 11 {
				l.Sections = append(l.Sections, sigap.ListSection{Title: fmt.Sprint("S", i), Rows: rows(1)})
			}
		}, "11 sections"},

		{"empty body", func(l *sigap.List) { l.Body = "" }, "body"},
		{"body at limit", func(l *sigap.List) { l.Body = strings.Repeat("é", whatsapp.MaxListBodyRunes) }, ""},
		{"body over limit", func(l *sigap.List) { l.Body = strings.Repeat("a", whatsapp.MaxListBodyRunes+1) }, "body"},

		{"empty button", func(l *sigap.List) { l.Button = "" }, "button"},
		{"button 20 ASCII", func(l *sigap.List) { l.Button = strings.Repeat("b", 20) }, ""},
		{"button 20 multi-byte (40 bytes)", func(l *sigap.List) { l.Button = strings.Repeat("é", 20) }, ""},
		{"button 21", func(l *sigap.List) { l.Button = strings.Repeat("b", 21) }, "button"},

		{"header 60 multi-byte", func(l *sigap.List) { l.Header = strings.Repeat("ü", 60) }, ""},
		{"header 61", func(l *sigap.List) { l.Header = strings.Repeat("h", 61) }, "header"},
		{"footer 60 emoji (240 bytes)", func(l *sigap.List) { l.Footer = strings.Repeat("🙂", 60) }, ""},
		{"footer 61", func(l *sigap.List) { l.Footer = strings.Repeat("f", 61) }, "footer"},

		{"single untitled section", func(l *sigap.List) { l.Sections[0].Title = "" }, ""},
		{"section title 24 multi-byte", func(l *sigap.List) { l.Sections[0].Title = strings.Repeat("ñ", 24) }, ""},
		{"section title 25", func(l *sigap.List) { l.Sections[0].Title = strings.Repeat("s", 25) }, "section title"},
		{"two sections, one untitled", func(l *sigap.List) {
			l.Sections = []sigap.ListSection{{Title: "A", Rows: rows(1)}, {Rows: rows(1)}}
		}, "section title"},

		{"row id empty", func(l *sigap.List) { l.Sections[0].Rows[0].ID = "" }, "row id"},
		{"row id 200 multi-byte", func(l *sigap.List) { l.Sections[0].Rows[0].ID = strings.Repeat("ø", 200) }, ""},
		{"row id 201", func(l *sigap.List) { l.Sections[0].Rows[0].ID = strings.Repeat("i", 201) }, "row id"},
		{"row title empty", func(l *sigap.List) { l.Sections[0].Rows[0].Title = "" }, "row title"},
		{"row title 24 multi-byte (48 bytes)", func(l *sigap.List) { l.Sections[0].Rows[0].Title = strings.Repeat("é", 24) }, ""},
		{"row title 25", func(l *sigap.List) { l.Sections[0].Rows[0].Title = strings.Repeat("t", 25) }, "row title"},
		{"row title 25 multi-byte", func(l *sigap.List) { l.Sections[0].Rows[0].Title = strings.Repeat("é", 25) }, "row title"},
		{"row description 72 emoji (288 bytes)", func(l *sigap.List) { l.Sections[0].Rows[0].Description = strings.Repeat("🙂", 72) }, ""},
		{"row description 73", func(l *sigap.List) { l.Sections[0].Rows[0].Description = strings.Repeat("d", 73) }, "row description"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := smallList()
			tt.bend(&l)
			err := whatsapp.CheckList(l)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("CheckList = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("CheckList = %v, want an error about %q", err, tt.wantErr)
			}
		})
	}
}

func TestSplitText(t *testing.T) {
	tests := []struct {
		name string
		text string
		max  int
		want []string
	}{
		{"empty", "", 10, []string{""}},
		{"short text unchanged", "halo min", 10, []string{"halo min"}},
		{"exactly max unchanged", "0123456789", 10, []string{"0123456789"}},
		{"exactly max multi-byte unchanged", "éééééééééé", 10, []string{"éééééééééé"}},
		{"at the last newline", "aaaa\nbbbb\ncccc", 10, []string{"aaaa\nbbbb", "cccc"}},
		{"newline preferred over a later space", "aa\nbb cc dd e", 10, []string{"aa", "bb cc dd e"}},
		{"at the last space without newline", "satu dua tiga empat", 10, []string{"satu dua", "tiga empat"}},
		{"hard cut without spaces", "abcdefghijklmnopqrstuvwxyz", 10, []string{"abcdefghij", "klmnopqrst", "uvwxyz"}},
		{"hard cut between multi-byte runes", "éééééééééééé", 5, []string{"ééééé", "ééééé", "éé"}},
		{"emoji split on rune boundaries", "🙂🙂🙂🙂🙂🙂🙂", 3, []string{"🙂🙂🙂", "🙂🙂🙂", "🙂"}},
		{"blank lines between parts are dropped", "aaaa\n\n\nbbbb", 6, []string{"aaaa", "bbbb"}},
		{"multi-byte words at spaces", "сколько стоит паспорт", 12, []string{"сколько", "стоит", "паспорт"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := whatsapp.SplitText(tt.text, tt.max)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SplitText(%q, %d) mismatch (-want +got):\n%s", tt.text, tt.max, diff)
			}
		})
	}
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// Properties of SplitText on many generated texts: every part fits, is
// valid UTF-8 and not empty, and nothing but whitespace is lost.
func TestSplitTextProperties(t *testing.T) {
	words := []string{"paspor", "permohonan", "é", "🙂", "Kantor", "Imigrasi", "биометрия", "1234567890123456",
		strings.Repeat("x", 40), "#bayar", "—", "\n", "\n\n", "日本語のテキスト"}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		var b strings.Builder
		b.WriteString("Mulai")
		for n := rng.IntN(400); n > 0; n-- {
			b.WriteString(words[rng.IntN(len(words))])
			if rng.IntN(3) > 0 {
				b.WriteByte(' ')
			}
		}
		text := b.String()
		max := 5 + rng.IntN(120)
		parts := whatsapp.SplitText(text, max)
		for j, p := range parts {
			if n := utf8.RuneCountInString(p); n > max {
				t.Fatalf("case %d: part %d has %d runes, max %d", i, j, n, max)
			}
			if !utf8.ValidString(p) {
				t.Fatalf("case %d: part %d is not valid UTF-8: %q", i, j, p)
			}
			if strings.TrimSpace(p) == "" {
				t.Fatalf("case %d: part %d is empty: %q (text %q, max %d)", i, j, p, text, max)
			}
		}
		if got, want := stripSpace(strings.Join(parts, "")), stripSpace(text); got != want {
			t.Fatalf("case %d: non-whitespace changed:\nwant %q\ngot  %q", i, want, got)
		}
		if utf8.RuneCountInString(text) <= max && len(parts) != 1 {
			t.Fatalf("case %d: short text split into %d parts", i, len(parts))
		}
	}
}

// A real answer over the Cloud API limit, split at the limit.
func TestSplitTextAtCloudAPILimit(t *testing.T) {
	var b strings.Builder
	for i := 0; utf8.RuneCountInString(b.String()) < 3*whatsapp.MaxTextRunes; i++ {
		fmt.Fprintf(&b, "%d. Dokumen asli KTP elektronik dan Kartu Keluarga — wajib dibawa saat wawancara 🙏\n", i+1)
	}
	text := b.String()
	parts := whatsapp.SplitText(text, whatsapp.MaxTextRunes)
	if len(parts) < 3 {
		t.Fatalf("got %d parts, want at least 3", len(parts))
	}
	for i, p := range parts {
		if n := utf8.RuneCountInString(p); n > whatsapp.MaxTextRunes {
			t.Errorf("part %d has %d runes", i, n)
		}
		// Each part ends at a line end: no item is cut in the middle.
		if !strings.HasSuffix(strings.TrimRight(p, "\n"), "🙏") {
			t.Errorf("part %d ends %q, want a whole line", i, p[len(p)-20:])
		}
	}
	if stripSpace(strings.Join(parts, "")) != stripSpace(text) {
		t.Error("text changed")
	}
}

func TestSplitReply(t *testing.T) {
	list := smallList()
	loc := &sigap.Location{Latitude: -6.1619, Longitude: 106.8455}
	long := strings.Repeat("Baris panjang tentang persyaratan paspor.\n", 250) // 10,500 runes
	tests := []struct {
		name      string
		reply     sigap.Reply
		wantParts int
	}{
		{"short text", sigap.Reply{Text: "halo"}, 1},
		{"text at the limit", sigap.Reply{Text: strings.Repeat("é", whatsapp.MaxTextRunes)}, 1},
		{"text one over the limit", sigap.Reply{Text: strings.Repeat("é", whatsapp.MaxTextRunes+1)}, 2},
		{"long text", sigap.Reply{Text: long}, 3},
		{"list with a long fallback is left whole", sigap.Reply{Text: long, List: &list}, 1},
		{"location with a long text is left whole", sigap.Reply{Text: long, Location: loc}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := whatsapp.SplitReply(tt.reply)
			if len(got) != tt.wantParts {
				t.Fatalf("SplitReply gave %d replies, want %d", len(got), tt.wantParts)
			}
			if tt.wantParts == 1 {
				if diff := cmp.Diff(tt.reply, got[0]); diff != "" {
					t.Errorf("single reply changed (-want +got):\n%s", diff)
				}
				return
			}
			var texts []string
			for i, r := range got {
				if r.List != nil || r.Location != nil {
					t.Errorf("part %d carries a list or location", i)
				}
				if n := utf8.RuneCountInString(r.Text); n > whatsapp.MaxTextRunes || n == 0 {
					t.Errorf("part %d has %d runes", i, n)
				}
				// Each part renders without truncation.
				if _, err := whatsapp.Render(budi, r); err != nil {
					t.Errorf("part %d: Render: %v", i, err)
				}
				texts = append(texts, r.Text)
			}
			if stripSpace(strings.Join(texts, "")) != stripSpace(tt.reply.Text) {
				t.Error("split lost text")
			}
		})
	}
}
