package live_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/content"
	"github.com/sigap-id/sigap/internal/live"
	"github.com/sigap-id/sigap/internal/store/pgtest"
	"github.com/sigap-id/sigap/internal/store/postgres"
	"github.com/sigap-id/sigap/internal/store/sqlite"
)

type clock struct{ ms atomic.Int64 }

func (c *clock) Now() time.Time      { return time.UnixMilli(c.ms.Load()) }
func (c *clock) Add(d time.Duration) { c.ms.Add(d.Milliseconds()) }

var offices = map[string]sigap.Office{
	"jakpus": {Code: "jakpus", Name: "Jakarta Pusat", Keywords: map[string][]string{"payment": {"#tarif"}},
		Texts: map[string]map[string]string{"en": {"thanks": "From the file"}}},
	"surabaya": {Code: "surabaya", Name: "Surabaya"},
}

func byCode(code string) (sigap.Office, bool) { o, ok := offices[code]; return o, ok }
func list() []sigap.Office                    { return []sigap.Office{offices["jakpus"], offices["surabaya"]} }

// TestChangesReachEveryReplica: two replicas on one database; a change
// made through one is used by it at once (Refresh) and by the other within
// a second of its clock, without a restart; a text that no longer fits the
// content is left out; a change deleted goes back to the file's.
func TestChangesReachEveryReplica(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "live.db")
		open := func() sigap.ContentOverrides {
			s, err := sqlite.Open(context.Background(), path, sqlite.Options{Migrate: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		replicas(t, open(), open())
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.Schema(t)
		open := func() sigap.ContentOverrides {
			s, err := postgres.Open(context.Background(), url, postgres.Options{Migrate: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		replicas(t, open(), open())
	})
}

func replicas(t *testing.T, s1, s2 sigap.ContentOverrides) {
	ctx := context.Background()
	cat, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{}
	c.ms.Store(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	mk := func(s sigap.ContentOverrides) *live.Offices {
		l := live.New(live.Options{Base: byCode, List: list, Store: s, Check: cat.CheckText, Now: c.Now})
		if err := l.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		return l
	}
	a, b := mk(s1), mk(s2)

	for _, o := range []sigap.ContentOverride{
		{Office: "jakpus", Kind: sigap.OverrideText, Lang: "id", Item: "thanks", Value: "Sama-sama dari {{.Office}}!"},
		{Office: "jakpus", Kind: sigap.OverrideKeyword, Item: "payment", Value: "#ongkos"},
		{Office: "jakpus", Kind: sigap.OverrideSynonym, Item: "pickup", Value: "kapan jadi"},
		{Office: "jakpus", Kind: sigap.OverrideText, Lang: "id", Item: "menu", Value: "{{.NoSuchField}}"},
	} {
		if _, err := s1.SetContentOverride(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	want := func(l *live.Offices, who string, changed bool) {
		t.Helper()
		o, ok := l.ByCode("jakpus")
		if !ok {
			t.Fatalf("%s: jakpus not found", who)
		}
		got := o.Texts["id"]["thanks"] == "Sama-sama dari {{.Office}}!" && len(o.Keywords["payment"]) == 2 && len(o.Synonyms["pickup"]) == 1
		if got != changed {
			t.Errorf("%s: changed = %v, want %v (texts %v, keywords %v, synonyms %v)", who, got, changed, o.Texts, o.Keywords, o.Synonyms)
		}
		if o.Texts["en"]["thanks"] != "From the file" || o.Keywords["payment"][0] != "#tarif" {
			t.Errorf("%s: the file's own texts and keywords are lost: %v %v", who, o.Texts, o.Keywords)
		}
		if _, bad := o.Texts["id"]["menu"]; bad {
			t.Errorf("%s: a text that does not render was used", who)
		}
	}
	want(a, "replica A after its own change", true)
	want(b, "replica B before a second passed", false)
	c.Add(time.Second)
	want(b, "replica B a second later", true)
	if s, _ := b.ByCode("surabaya"); len(s.Texts) != 0 || len(s.Synonyms) != 0 {
		t.Errorf("another office changed: %+v", s)
	}
	if l := b.List(); len(l) != 2 || l[0].Texts["id"]["thanks"] == "" {
		t.Errorf("List without the changes: %+v", l)
	}

	if _, err := s2.DeleteContentOverride(ctx, "jakpus", sigap.OverrideText, "id", "thanks", ""); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Second)
	if o, _ := a.ByCode("jakpus"); o.Texts["id"]["thanks"] != "" {
		t.Errorf("replica A kept a deleted text: %q", o.Texts["id"]["thanks"])
	}
}
