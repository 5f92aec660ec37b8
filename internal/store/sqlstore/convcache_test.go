package sqlstore

import (
	"testing"
	"time"
)

func TestConvCache(t *testing.T) {
	start := time.Date(2026, 1, 20, 3, 0, 0, 0, time.UTC)
	now := start
	cc := newConvCache(time.Now)
	cc.now = func() time.Time { return now }
	cc.put("jakpus", "62811", []byte(`{"lang":"en"}`), 7)
	for _, tt := range []struct {
		name, office, user string
		after              time.Duration
		want               string
	}{
		{"stored", "jakpus", "62811", 0, `{"lang":"en"}`},
		{"other user", "jakpus", "62822", 0, ""},
		{"other office", "mataram", "62811", 0, ""},
		{"within the ttl", "jakpus", "62811", cc.ttl - time.Second, `{"lang":"en"}`},
		{"after the ttl", "jakpus", "62811", cc.ttl, ""},
	} {
		now = start.Add(tt.after)
		state, version, ok := cc.get(tt.office, tt.user)
		if ok != (tt.want != "") || string(state) != tt.want {
			t.Errorf("%s: get = %q, %v; want %q", tt.name, state, ok, tt.want)
		}
		if ok && version != 7 {
			t.Errorf("%s: version %d, want 7", tt.name, version)
		}
	}
	var none *convCache // PostgreSQL's
	if _, _, ok := none.get("jakpus", "62811"); ok {
		t.Errorf("a nil cache has something")
	}
	none.drop("jakpus", "62811")

	now = start
	cc.drop("jakpus", "62811")
	if _, _, ok := cc.get("jakpus", "62811"); ok {
		t.Errorf("a dropped entry is still there")
	}

	// Full, it makes room: the expired first, then whatever it must.
	now = start
	cc.max = 8
	for i := range 20 {
		cc.put("jakpus", string(rune('a'+i)), []byte("{}"), 1)
	}
	if n := len(cc.m); n > cc.max {
		t.Errorf("%d entries, max %d", n, cc.max)
	}
	if _, _, ok := cc.get("jakpus", string(rune('a'+19))); !ok {
		t.Errorf("the latest entry was dropped")
	}
	cc.m = map[convKey]cachedConv{}
	for i := range 4 {
		cc.put("jakpus", string(rune('a'+i)), []byte("{}"), 1)
	}
	now = now.Add(cc.ttl)
	for i := range 4 {
		cc.put("jakpus", string(rune('A'+i)), []byte("{}"), 1)
	}
	if len(cc.m) != 4+4 {
		t.Fatalf("%d entries before full, want 8", len(cc.m))
	}
	cc.put("jakpus", "new", []byte("{}"), 1)
	for i := range 4 {
		if _, ok := cc.m[convKey{"jakpus", string(rune('A' + i))}]; !ok {
			t.Errorf("a live entry was dropped while expired ones were there")
		}
	}
	if len(cc.m) != 5 {
		t.Errorf("%d entries after making room, want the 4 live ones and the new one", len(cc.m))
	}
}
