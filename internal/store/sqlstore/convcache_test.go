package sqlstore

import (
	"testing"
	"time"

	"github.com/sigap-id/sigap"
)

func TestConvCache(t *testing.T) {
	now := time.Date(2026, 1, 20, 3, 0, 0, 0, time.UTC)
	cc := newConvCache()
	cc.now = func() time.Time { return now }
	cc.put(sigap.Conversation{Office: "jakpus", User: "62811", Lang: "en", Numbers: []string{"1"},
		Counts: []sigap.Count{{Key: "lookup:jakpus:62811"}}})

	c, ok := cc.get("jakpus", "62811")
	if !ok || c.Lang != "en" || len(c.Numbers) != 1 {
		t.Fatalf("get = %+v, %v", c, ok)
	}
	if c.Counts != nil {
		t.Errorf("cached with its turn's counts: %+v", c.Counts)
	}
	// What a caller does with its copy does not change the cache.
	c.Numbers[0] = "changed"
	if c, _ := cc.get("jakpus", "62811"); c.Numbers[0] != "1" {
		t.Errorf("a caller's change reached the cache: %v", c.Numbers)
	}
	for _, tt := range []struct {
		name, office, user string
		after              time.Duration
		want               bool
	}{
		{"other user", "jakpus", "62822", 0, false},
		{"other office", "mataram", "62811", 0, false},
		{"within the ttl", "jakpus", "62811", cc.ttl - time.Second, true},
		{"after the ttl", "jakpus", "62811", cc.ttl, false},
	} {
		now = time.Date(2026, 1, 20, 3, 0, 0, 0, time.UTC).Add(tt.after)
		if _, ok := cc.get(tt.office, tt.user); ok != tt.want {
			t.Errorf("%s: found %v, want %v", tt.name, ok, tt.want)
		}
	}

	// Full, it makes room: the expired first, then whatever it must.
	cc.max = 8
	for i := range 20 {
		cc.put(sigap.Conversation{Office: "jakpus", User: string(rune('a' + i))})
	}
	if n := len(cc.m); n > cc.max {
		t.Errorf("%d entries, max %d", n, cc.max)
	}
	if _, ok := cc.get("jakpus", string(rune('a'+19))); !ok {
		t.Errorf("the latest entry was dropped")
	}
	cc.m = map[convKey]cachedConv{}
	for i := range 4 {
		cc.put(sigap.Conversation{Office: "jakpus", User: string(rune('a' + i))})
	}
	now = now.Add(cc.ttl)
	for i := range 4 {
		cc.put(sigap.Conversation{Office: "jakpus", User: string(rune('A' + i))})
	}
	if len(cc.m) != 4+4 {
		t.Fatalf("%d entries before full, want 8", len(cc.m))
	}
	cc.put(sigap.Conversation{Office: "jakpus", User: "new"})
	for i := range 4 {
		if _, ok := cc.m[convKey{"jakpus", string(rune('A' + i))}]; !ok {
			t.Errorf("a live entry was dropped while expired ones were there")
		}
	}
	if len(cc.m) != 5 {
		t.Errorf("%d entries after making room, want the 4 live ones and the new one", len(cc.m))
	}
}
