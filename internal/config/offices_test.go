package config_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	_ "time/tzdata" // tests must not depend on the machine's zoneinfo

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/config"
	"github.com/sigap-id/sigap/internal/whatsapp"
)

// envMap is a getenv backed by a map.
func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var noEnv = envMap(nil)

// channels are the channels these offices may name: the Cloud API.
var channels = map[string]sigap.Channel{whatsapp.ChannelName: &whatsapp.Channel{}}

// cloud is an office's Cloud API settings, zero for an office on another
// channel.
func cloud(o sigap.Office) *whatsapp.Config {
	if c, ok := o.ChannelConfig.(*whatsapp.Config); ok {
		return c
	}
	return &whatsapp.Config{}
}

// specOffice holds the office fields SPEC.md fixes, so that these tests
// don't change with every field added to sigap.Office. The time zone is
// compared by name: *time.Location has unexported fields.
type specOffice struct {
	Code, Name, PhoneNumberID, DisplayNumber, AccessToken string
	VerifyBirthDate                                       bool
	Address, Hours, Phone                                 string
	Location                                              *sigap.Location
	TimeZone                                              string
}

func specFields(offices []sigap.Office) []specOffice {
	var out []specOffice
	for _, o := range offices {
		tz := "<nil>"
		if o.TimeZone != nil {
			tz = o.TimeZone.String()
		}
		out = append(out, specOffice{
			Code: o.Code, Name: o.Name, PhoneNumberID: cloud(o).PhoneNumberID, DisplayNumber: o.DisplayNumber,
			AccessToken: cloud(o).AccessToken, VerifyBirthDate: o.VerifyBirthDate, Address: o.Address, Hours: o.Hours,
			Phone: o.Phone, Location: o.Location, TimeZone: tz,
		})
	}
	return out
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseOfficesValid(t *testing.T) {
	const jakarta = "Asia/Jakarta"
	tests := []struct {
		file string
		env  map[string]string
		want []specOffice
	}{
		// The example of SPEC.md, comments and all.
		{"spec.yaml", nil, []specOffice{{
			Code: "jakpus", Name: "Kantor Imigrasi Kelas I Khusus TPI Jakarta Pusat",
			PhoneNumberID: "100000000000001", DisplayNumber: "+62 811-8539-333",
			VerifyBirthDate: true,
			Address:         "Jl. Merpati Blok B-12 No. 3, Kemayoran",
			Hours:           "Senin-Jumat 08.00-16.00 WIB",
			Phone:           "(021) 4200444",
			Location:        &sigap.Location{Latitude: -6.1619, Longitude: 106.8455},
			TimeZone:        jakarta,
		}}},
		{"three.yaml", map[string]string{"SIGAP_TOKEN_MAKASSAR": "EAAmakassar"}, []specOffice{
			{
				// verify_birth_date and timezone default to true and Asia/Jakarta.
				Code: "jakpus", Name: "Kantor Imigrasi Kelas I Khusus TPI Jakarta Pusat",
				PhoneNumberID: "100000000000001", VerifyBirthDate: true, TimeZone: jakarta,
			},
			{
				Code: "makassar", Name: "Kantor Imigrasi Kelas I TPI Makassar",
				PhoneNumberID: "100000000000002", DisplayNumber: "+62 411-123-456", AccessToken: "EAAmakassar",
				VerifyBirthDate: false, TimeZone: "Asia/Makassar",
				Location: &sigap.Location{Latitude: -5.1477, Longitude: 119.4327, Name: "Kanim Makassar"},
			},
			{
				Code: "jayapura-2", Name: "Kantor Imigrasi Kelas I TPI Jayapura",
				PhoneNumberID: "100000000000003", VerifyBirthDate: true, TimeZone: "Asia/Jayapura",
				Address: "Jl. Percetakan Negara No. 15", Hours: "Senin-Jumat 08.00-16.00 WIT",
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			o, err := config.ParseOffices(tt.file, readTestdata(t, tt.file), envMap(tt.env), channels)
			if err != nil {
				t.Fatalf("ParseOffices: %v", err)
			}
			if diff := cmp.Diff(tt.want, specFields(o.List())); diff != "" {
				t.Errorf("offices mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseOfficesValidEdgeCases(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		wantPhone string
		wantTZ    string
		wantCode  string
	}{
		{"unquoted phone number id beyond int64 keeps its digits", `offices:
  - code: a
    name: A
    whatsapp: {phone_number_id: 123456789012345678901234567890}
`, "123456789012345678901234567890", "Asia/Jakarta", "a"},
		{"unquoted phone number id", `offices:
  - code: a
    name: A
    whatsapp:
      phone_number_id: 100000000000001
`, "100000000000001", "Asia/Jakarta", "a"},
		{"code with spaces around is trimmed", `offices:
  - code: "  jakpus  "
    name: A
    whatsapp: {phone_number_id: "1"}
`, "1", "Asia/Jakarta", "jakpus"},
		{"explicit timezone UTC", `offices:
  - code: a
    name: A
    whatsapp: {phone_number_id: "1"}
    timezone: UTC
`, "1", "UTC", "a"},
		{"verify_birth_date: false is kept", `offices:
  - code: a
    name: A
    whatsapp: {phone_number_id: "1"}
    verify_birth_date: false
`, "1", "Asia/Jakarta", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := config.ParseOffices("f.yaml", []byte(tt.yaml), noEnv, channels)
			if err != nil {
				t.Fatalf("ParseOffices: %v", err)
			}
			got := o.List()[0]
			if cloud(got).PhoneNumberID != tt.wantPhone || got.TimeZone.String() != tt.wantTZ || got.Code != tt.wantCode {
				t.Errorf("got code %q phone %q zone %v, want %q %q %s", got.Code, cloud(got).PhoneNumberID, got.TimeZone, tt.wantCode, tt.wantPhone, tt.wantTZ)
			}
			if wantVerify := !strings.Contains(tt.yaml, "verify_birth_date: false"); got.VerifyBirthDate != wantVerify {
				t.Errorf("VerifyBirthDate = %v, want %v", got.VerifyBirthDate, wantVerify)
			}
		})
	}
}

func TestParseOfficesInvalid(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		// want are pieces of the error; each "f.yaml line N: …" problem is
		// listed, and the error must hold exactly len(want) of them unless
		// noLine says the error cannot name a line.
		want   []string
		noLine bool
		// problems, if not zero, is the number of problems when want holds
		// more than one piece of one problem.
		problems int
	}{
		{"missing code", `offices:
  - name: A
    whatsapp: {phone_number_id: "1"}
`, nil, []string{`f.yaml line 2: office "": code is required`}, false, 0},
		{"uppercase code", `offices:
  - code: JakPus
    name: A
    whatsapp: {phone_number_id: "1"}
`, nil, []string{`f.yaml line 2: office "JakPus": code "JakPus" may hold only a-z, 0-9 and -`}, false, 0},
		{"code with a space", `offices:
  - code: jak pus
    name: A
    whatsapp: {phone_number_id: "1"}
`, nil, []string{`f.yaml line 2: office "jak pus": code "jak pus" may hold only`}, false, 0},
		{"code with an underscore", `offices:
  - code: jak_pus
    name: A
    whatsapp: {phone_number_id: "1"}
`, nil, []string{`f.yaml line 2: office "jak_pus": code "jak_pus" may hold only`}, false, 0},
		{"missing name", `offices:
  - code: a
    whatsapp: {phone_number_id: "1"}
`, nil, []string{`f.yaml line 2: office "a": name is required`}, false, 0},
		{"blank name", `offices:
  - code: a
    name: "   "
    whatsapp: {phone_number_id: "1"}
`, nil, []string{`f.yaml line 3: office "a": name is required`}, false, 0},
		{"missing whatsapp", `offices:
  - code: a
    name: A
`, nil, []string{`f.yaml line 2: office "a": whatsapp.phone_number_id is required`}, false, 0},
		{"missing phone_number_id", `offices:
  - code: a
    name: A
    whatsapp: {display_number: "+62 811-8539-333"}
`, nil, []string{`f.yaml line 4: office "a": whatsapp.phone_number_id is required`}, false, 0},
		{"display number as phone_number_id", `offices:
  - code: a
    name: A
    whatsapp: {phone_number_id: "+62 811-8539-333"}
`, nil, []string{`f.yaml line 4: office "a": whatsapp.phone_number_id "+62 811-8539-333" is not a Cloud API phone number id`}, false, 0},
		{"unquoted phone_number_id in float notation", `offices:
  - code: a
    name: A
    whatsapp: {phone_number_id: 1e15}
`, nil, []string{`f.yaml line 4: office "a": whatsapp.phone_number_id`}, false, 0},
		{"negative phone_number_id", `offices:
  - code: a
    name: A
    whatsapp: {phone_number_id: -100000000000001}
`, nil, []string{`f.yaml line 4: office "a": whatsapp.phone_number_id`}, false, 0},
		{"duplicate code", `offices:
  - code: jakpus
    name: A
    whatsapp: {phone_number_id: "1"}
  - code: jakpus
    name: B
    whatsapp: {phone_number_id: "2"}
`, nil, []string{`f.yaml line 5: office code "jakpus" is used twice (first on line 2)`}, false, 0},
		{"duplicate phone_number_id, one unquoted", `offices:
  - code: a
    name: A
    whatsapp: {phone_number_id: "100000000000001"}
  - code: b
    name: B
    whatsapp: {phone_number_id: 100000000000001}
`, nil, []string{`f.yaml line 7: office "b": whatsapp.phone_number_id 100000000000001 is already office "a"'s (line 4)`}, false, 0},
		{"unknown field (typo)", `offices:
  - code: a
    name: A
    whatsapp: {phone_number_id: "1"}
    adress: Jl. Merpati
`, nil, []string{`f.yaml line 5: office "a": unknown field adress`}, false, 0},
		{"unknown field inside whatsapp", `offices:
  - code: a
    name: A
    whatsapp:
      phone_numer_id: "1"
`, nil, []string{
			`f.yaml line 4: office "a": whatsapp.phone_number_id is required`,
			`f.yaml line 5: office "a": unknown field whatsapp.phone_numer_id`,
		}, false, 0},
		{"unknown field inside location", `offices:
  - code: a
    name: A
    whatsapp: {phone_number_id: "1"}
    location: {lat: -6.1, lon: 106.8}
`, nil, []string{`f.yaml line 5: office "a": unknown field location.lat`, `f.yaml line 5: office "a": unknown field location.lon`}, false, 0},
		{"verify_birth_date not a boolean", `offices:
  - code: a
    name: A
    whatsapp: {phone_number_id: "1"}
    verify_birth_date: nope
`, nil, []string{`f.yaml line 5: office "a": verify_birth_date: want true or false, not "nope"`}, false, 0},
		{"bad timezone", `offices:
  - code: a
    name: A
    whatsapp: {phone_number_id: "1"}
    timezone: Asia/Jakrta
`, nil, []string{`f.yaml line 5: office "a": timezone "Asia/Jakrta" is not known`}, false, 0},
		{"timezone abbreviation", `offices:
  - code: a
    name: A
    whatsapp: {phone_number_id: "1"}
    timezone: WIB
`, nil, []string{`f.yaml line 5: office "a": timezone "WIB" is not known`}, false, 0},
		{"latitude out of range", `offices:
  - code: a
    name: A
    whatsapp: {phone_number_id: "1"}
    location: {latitude: 91, longitude: 106.8}
`, nil, []string{`f.yaml line 5: office "a": location 91,106.8 is not a place on the map`}, false, 0},
		{"longitude out of range", `offices:
  - code: a
    name: A
    whatsapp: {phone_number_id: "1"}
    location: {latitude: -6.1, longitude: -181}
`, nil, []string{`f.yaml line 5: office "a": location -6.1,-181 is not a place on the map`}, false, 0},
		{"location left at zero", `offices:
  - code: a
    name: A
    whatsapp: {phone_number_id: "1"}
    location: {latitude: 0, longitude: 0}
`, nil, []string{`f.yaml line 5: office "a": location 0,0 is not a place on the map`}, false, 0},
		{"access_token_env naming an unset variable", `offices:
  - code: a
    name: A
    whatsapp: {phone_number_id: "1", access_token_env: SIGAP_TOKEN_A}
`, map[string]string{"SIGAP_TOKEN_B": "x"}, []string{`f.yaml line 4: office "a": whatsapp.access_token_env names SIGAP_TOKEN_A, which is not set`}, false, 0},
		{"no offices key", `office:
  - code: a
`, nil, []string{"f.yaml line 1: unknown field office", "f.yaml: no offices"}, false, 1},
		{"an office that is not a mapping", `offices:
  - jakpus
`, nil, []string{"f.yaml line 2: "}, false, 0},
		{"several problems in one office", `offices:
  - code: A
    whatsapp: {phone_number_id: x}
    timezone: Mars/Olympus
`, nil, []string{
			`f.yaml line 2: office "A": code "A" may hold only`,
			`f.yaml line 2: office "A": name is required`,
			`f.yaml line 3: office "A": whatsapp.phone_number_id "x" is not a Cloud API phone number id`,
			`f.yaml line 4: office "A": timezone "Mars/Olympus" is not known`,
		}, false, 0},
		{"several problems in several offices", `offices:
  - code: a
    name: A
    whatsapp: {phone_number_id: "1"}
  - code: b
    whatsapp: {phone_number_id: "2"}
  - code: a
    name: C
    whatsapp: {phone_number_id: "3"}
  - code: d
    name: D
    whatsapp: {phone_number_id: "1"}
  - code: e
    name: E
    whatsapp: {phone_number_id: "5"}
    adress: Jl. Merpati
  - code: f
    name: F
    whatsapp: {phone_number_id: "6"}
    location: {latitude: -95, longitude: 106.8}
`, nil, []string{
			`f.yaml line 5: office "b": name is required`,
			`f.yaml line 7: office code "a" is used twice (first on line 2)`,
			`f.yaml line 12: office "d": whatsapp.phone_number_id 1 is already office "a"'s (line 4)`,
			`f.yaml line 16: office "e": unknown field adress`,
			`f.yaml line 20: office "f": location -95,106.8 is not a place on the map`,
		}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := config.ParseOffices("f.yaml", []byte(tt.yaml), envMap(tt.env), channels)
			if err == nil {
				t.Fatalf("ParseOffices accepted it: %+v", o.List())
			}
			if o != nil {
				t.Error("ParseOffices returned offices with its error")
			}
			msg := err.Error()
			// Each piece, in the order given: problems are listed in line order.
			rest := msg
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("error does not hold %q after the pieces before it:\n%s", w, msg)
					continue
				}
				rest = rest[i+len(w):]
			}
			if doubled.MatchString(msg) {
				t.Errorf("a problem names two lines:\n%s", msg)
			}
			if !tt.noLine {
				want := tt.problems
				if want == 0 {
					want = len(tt.want)
				}
				if got := strings.Count(msg, "f.yaml line "); got != want {
					t.Errorf("error names %d problems, want %d:\n%s", got, want, msg)
				}
			}
		})
	}
}

// doubled is a problem that names two lines, as "f.yaml line 2: line 6:".
var doubled = regexp.MustCompile(`line \d+: [^\n]*line \d+:`)

// An offices file with three mistakes is reported whole in one run: each
// problem at the line of its field, in line order, with no line named twice.
func TestParseOfficesThreeMistakes(t *testing.T) {
	_, err := config.ParseOffices("three-mistakes.yaml", readTestdata(t, "three-mistakes.yaml"), noEnv, channels)
	want := `offices file three-mistakes.yaml is not valid (3 problems):
three-mistakes.yaml line 8: office "jakpus": timezone "Asia/Jakrta" is not known (want e.g. Asia/Jakarta, Asia/Makassar, Asia/Jayapura)
three-mistakes.yaml line 12: office "makassar": unknown field adress
three-mistakes.yaml line 19: office "jayapura": whatsapp.phone_number_id 100000000000001 is already office "jakpus"'s (line 7)`
	if err == nil {
		t.Fatal("ParseOffices accepted three mistakes")
	}
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

// The office's own conversation settings and values the decoder cannot
// read are reported at their own lines too, once each.
func TestParseOfficesFieldLines(t *testing.T) {
	src := `offices:
  - code: a
    name: A
    whatsapp:
      phone_number_id: "1"
      messages_per_second: lots
    keywords:
      payment:
        - bayar dong
        - "!!"
      nonsense: [x]
    texts:
      id:
        no_such_text: halo
    limits:
      failures_per_day: -1
  - code: [b]
    name: B
    whatsapp: {phone_number_id: "2"}
`
	_, err := config.ParseOffices("f.yaml", []byte(src), noEnv, channels)
	if err == nil {
		t.Fatal("ParseOffices accepted it")
	}
	msg := err.Error()
	want := []string{
		`f.yaml line 6: office "a": whatsapp.messages_per_second: want a whole number, not "lots"`,
		`f.yaml line 10: office "a": keywords.payment: "!!" has no letters`,
		`f.yaml line 11: office "a": keywords: unknown service "nonsense"`,
		`f.yaml line 14: office "a": texts.id.no_such_text: `,
		`f.yaml line 16: office "a": limits.failures_per_day -1: want 1 to 1000`,
		// A code that cannot be read is not also "required".
		`f.yaml line 17: office "": code: want text, not a list`,
	}
	rest := msg
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("error does not hold %q after the pieces before it:\n%s", w, msg)
			continue
		}
		rest = rest[i+len(w):]
	}
	if got := strings.Count(msg, "f.yaml line "); got != len(want) {
		t.Errorf("error names %d problems, want %d:\n%s", got, len(want), msg)
	}
	if doubled.MatchString(msg) {
		t.Errorf("a problem names two lines:\n%s", msg)
	}
}

// Files with no offices at all: nothing to name a line of, but the error
// must name the file.
func TestParseOfficesNoOffices(t *testing.T) {
	for _, src := range []string{"", "\n\n", "# only a comment\n", "offices:\n", "offices: []\n", "offices: ~\n"} {
		o, err := config.ParseOffices("f.yaml", []byte(src), noEnv, channels)
		if err == nil {
			t.Errorf("ParseOffices(%q) accepted %+v", src, o.List())
			continue
		}
		if !strings.Contains(err.Error(), "f.yaml") {
			t.Errorf("ParseOffices(%q) = %v, want the file named", src, err)
		}
	}
}

// An unknown field's error should name the line the field is on. The
// inner line is counted on a re-marshalled copy of the office, which drops
// blank lines and adds head comments, so it is wrong for both of these.
func TestParseOfficesUnknownFieldLine(t *testing.T) {

	tests := []struct {
		src      string
		wantLine string // where adress is in the file
	}{
		{"offices:\n  - code: a\n    name: A\n    whatsapp: {phone_number_id: \"1\"}\n\n    # the address\n\n    adress: x\n", "line 8"},
		{"offices:\n  # Jakarta\n  - code: a\n    name: A\n    whatsapp: {phone_number_id: \"1\"}\n    adress: x\n", "line 6"},
	}
	for _, tt := range tests {
		_, err := config.ParseOffices("f.yaml", []byte(tt.src), noEnv, channels)
		if err == nil || !strings.Contains(err.Error(), tt.wantLine+":") {
			t.Errorf("error = %v, want it to name %s, where adress is", err, tt.wantLine)
		}
	}
}

func TestOfficesLookup(t *testing.T) {
	o, err := config.ParseOffices("three.yaml", readTestdata(t, "three.yaml"), envMap(map[string]string{"SIGAP_TOKEN_MAKASSAR": "t"}), channels)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		byCode, byPhone string
		wantCode        string // empty: not found
	}{
		{"jakpus", "100000000000001", "jakpus"},
		{"makassar", "100000000000002", "makassar"},
		{"jayapura-2", "100000000000003", "jayapura-2"},
		{"JAKPUS", "100000000000004", ""},
		{"", "", ""},
		{" jakpus", " 100000000000001", ""},
	}
	for _, tt := range tests {
		got, ok := o.ByCode(tt.byCode)
		if ok != (tt.wantCode != "") || got.Code != tt.wantCode {
			t.Errorf("ByCode(%q) = %q, %v; want %q", tt.byCode, got.Code, ok, tt.wantCode)
		}
		got, ok = o.ByAddress(whatsapp.ChannelName, tt.byPhone)
		if ok != (tt.wantCode != "") || got.Code != tt.wantCode {
			t.Errorf("ByAddress(cloud_api, %q) = %q, %v; want %q", tt.byPhone, got.Code, ok, tt.wantCode)
		}
	}
	var codes []string
	for _, office := range o.List() {
		codes = append(codes, office.Code)
	}
	if diff := cmp.Diff([]string{"jakpus", "makassar", "jayapura-2"}, codes); diff != "" {
		t.Errorf("List order (-want +got):\n%s", diff)
	}
}

func TestLoadOffices(t *testing.T) {
	path := filepath.Join("testdata", "spec.yaml")
	o, err := config.LoadOffices(path, noEnv, channels)
	if err != nil {
		t.Fatalf("LoadOffices: %v", err)
	}
	if _, ok := o.ByAddress(whatsapp.ChannelName, "100000000000001"); !ok {
		t.Error("spec office not found by phone number id")
	}

	_, err = config.LoadOffices(filepath.Join(t.TempDir(), "missing.yaml"), noEnv, channels)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadOffices of a missing file = %v, want fs.ErrNotExist", err)
	}

	bad := filepath.Join(t.TempDir(), "offices.yaml")
	if err := os.WriteFile(bad, []byte("offices:\n  - code: a\n    name: A\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = config.LoadOffices(bad, noEnv, channels)
	if err == nil || !strings.Contains(err.Error(), bad+" line 2") {
		t.Errorf("LoadOffices of a bad file = %v, want its path and line named", err)
	}
}

// limits.failures_per_number: wrong birth dates one application number
// takes from all senders together; 5 when left out, checked like the
// other limits.
func TestParseOfficesFailuresPerNumber(t *testing.T) {
	src := `offices:
  - code: a
    name: A
    whatsapp: {phone_number_id: "1"}
    limits: {failures_per_number: 3}
  - code: b
    name: B
    whatsapp: {phone_number_id: "2"}
`
	o, err := config.ParseOffices("f.yaml", []byte(src), noEnv, channels)
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[string]int{"a": 3, "b": sigap.DefaultFailuresPerNumber} {
		if office, _ := o.ByCode(code); office.Limits.FailuresPerNumber != want {
			t.Errorf("office %s: failures_per_number %d, want %d", code, office.Limits.FailuresPerNumber, want)
		}
	}
	_, err = config.ParseOffices("f.yaml", []byte(strings.Replace(src, "3}", "1001}", 1)), noEnv, channels)
	if want := `f.yaml line 5: office "a": limits.failures_per_number 1001: want 1 to 1000`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("failures_per_number 1001: err %v, want %q", err, want)
	}
}
