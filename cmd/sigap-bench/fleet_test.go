package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/config"
	"github.com/sigap-id/sigap/internal/demo"
	"github.com/sigap-id/sigap/internal/whatsapp"
)

func TestFleetOffices(t *testing.T) {
	for _, n := range []int{-2, 0, 1, 3, 7, 17, 18} {
		if _, err := newFleet(n, 0); err == nil {
			t.Errorf("newFleet(%d): no error", n)
		}
	}
	for n := 2; n <= maxOffices; n += 2 {
		f, err := newFleet(n, 0)
		if err != nil {
			t.Fatalf("newFleet(%d): %v", n, err)
		}
		path, err := officesFile(t.TempDir(), 1000, f)
		if err != nil {
			t.Fatalf("-offices %d: %v", n, err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		offices, err := config.ParseOffices(path, b, func(string) string { return "" },
			map[string]sigap.Channel{whatsapp.ChannelName: &whatsapp.Channel{}})
		if err != nil {
			t.Fatalf("-offices %d: %v", n, err)
		}
		if got := len(offices.List()); got != n {
			t.Errorf("-offices %d: the file has %d offices", n, got)
		}
		prefixes := map[string]string{"1060": "demo", "3100": "demo", "1069": "unknown", "3109": "unknown"}
		for _, o := range f {
			got, ok := offices.ByCode(o.code)
			if !ok {
				t.Fatalf("-offices %d: no office %s", n, o.code)
			}
			d, _ := offices.ByCode(demoOffices[o.kind].code)
			if got.VerifyBirthDate != d.VerifyBirthDate || got.Hours != d.Hours || got.TimeZone.String() != d.TimeZone.String() ||
				got.ChannelConfig.(*whatsapp.Config).MessagesPerSecond != 1000 {
				t.Errorf("-offices %d: %s is not a copy of %s at 1000 messages a second: %+v", n, o.code, d.Code, got)
			}
			if (o.copy == 1) != (o.code == demoOffices[o.kind].code) || (o.copy == 1) != (o.apps == 0) {
				t.Errorf("-offices %d: %+v", n, o)
			}
			if other, dup := prefixes[o.prefix]; dup || len(o.prefix) != 4 {
				t.Errorf("-offices %d: %s's prefix %s is %s's", n, o.code, o.prefix, other)
			}
			prefixes[o.prefix] = o.code
			if a := generatedApp(o, 999_999); len(a.number) != 16 || !strings.HasPrefix(a.number, o.prefix) {
				t.Errorf("-offices %d: %s: generated number %s", n, o.code, a.number)
			}
		}
	}
}

// TestTwoOffices: -offices 2 is the demo offices alone, as the tool always had them.
func TestTwoOffices(t *testing.T) {
	f, err := newFleet(2, 5000)
	if err != nil {
		t.Fatal(err)
	}
	if len(f) != 2 || f[0].code != "jakpus" || f[1].code != "mataram" || f[0].prefix != "1061" || f[1].prefix != "3101" ||
		f[0].apps != 2500 || f[1].apps != 2500 || f.extraApps() != 0 {
		t.Errorf("%+v", f)
	}
	path, err := officesFile(t.TempDir(), 0, f)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(demo.OfficesYAML) {
		t.Errorf("%s differs from the demo offices file", filepath.Base(path))
	}
}
