package sqlstore

import (
	"sync"
	"time"
)

// convCache keeps the conversations this process stored last, for the
// engine where this process is the database's only writer (SQLite). Every
// message reads its sender's conversation, and on SQLite each read after a
// commit starts from a cold page cache (a WAL reader drops its cache when
// the database changed), which made that read about 7% of all CPU under
// load. It keeps their encoded state, as stored, so that what it gives is
// exactly what reading the database would.
//
// Entries are put only after the transaction that stored them committed,
// in commit order (see writer), so a conversation is never newer in the
// database than here. Entries also expire after ttl, so that a write by
// another process on the same file (sigap chat, say) is seen within it.
type convCache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu sync.Mutex
	m  map[convKey]cachedConv
}

type convKey struct{ office, user string }

type cachedConv struct {
	state   []byte // never changed once put
	version int64
	until   time.Time
}

func newConvCache(now func() time.Time) *convCache {
	// A minute holds the senders in the middle of a chat; 20,000 of them
	// is a few megabytes.
	return &convCache{ttl: time.Minute, max: 20_000, now: now, m: map[convKey]cachedConv{}}
}

// get returns the stored state and version of user's conversation at
// office, if it is cached. A nil cache has nothing.
func (cc *convCache) get(office, user string) ([]byte, int64, bool) {
	if cc == nil {
		return nil, 0, false
	}
	cc.mu.Lock()
	e, ok := cc.m[convKey{office, user}]
	cc.mu.Unlock()
	if !ok || !cc.now().Before(e.until) {
		return nil, 0, false
	}
	return e.state, e.version, true
}

// drop forgets user's conversation at office: it was found changed by
// someone else.
func (cc *convCache) drop(office, user string) {
	if cc == nil {
		return
	}
	cc.mu.Lock()
	delete(cc.m, convKey{office, user})
	cc.mu.Unlock()
}

// put keeps the state and version of user's conversation at office, as
// they were just committed.
func (cc *convCache) put(office, user string, state []byte, version int64) {
	until := cc.now().Add(cc.ttl)
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if len(cc.m) >= cc.max {
		// Full: drop what has expired, and if that is not a quarter,
		// whichever the map yields first.
		now := cc.now()
		for k, e := range cc.m {
			if !now.Before(e.until) {
				delete(cc.m, k)
			}
		}
		for k := range cc.m {
			if len(cc.m) < cc.max*3/4 {
				break
			}
			delete(cc.m, k)
		}
	}
	cc.m[convKey{office, user}] = cachedConv{state: state, version: version, until: until}
}
