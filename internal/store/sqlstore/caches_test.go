package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
)

// TestCacheChangesApplyOnCommit: the cache changes a write's statements
// record are applied once it has committed, once, with what its committed
// run recorded; a run that was rolled back leaves the caches as they were;
// a change made outside the writer's transaction makes the caches forget.
func TestCacheChangesApplyOnCommit(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "c.db")+"?_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	s := New(db, SQLite(), Options{})
	defer s.Close()
	ctx := context.Background()
	s.waiting.loaded = true // as if read: the test's table holds no messages
	applied := 0            // changes applied (by the writer's leader, one at a time)
	apply := s.w.apply
	s.w.apply = func(changes []cacheChange) {
		applied += len(changes)
		apply(changes)
	}

	// put stores user's conversation at version, and a message from user
	// waiting; it fails (after recording both) when fail is set.
	put := func(user string, version int64, fail error) error {
		_, err := inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (none, error) {
			if _, err := s.exec(ctx, tx, `INSERT INTO t (x) VALUES ($1)`, version); err != nil {
				return none{}, err
			}
			s.changed(tx, cacheChange{kind: convPut, key: convKey{"jakpus", user}, state: []byte(`{}`), version: version})
			s.changed(tx, cacheChange{kind: waitingAdd, id: "m-" + user, key: convKey{"jakpus", user}})
			return none{}, fail
		})
		return err
	}
	cached := func(user string) (int64, bool) {
		_, v, ok := s.convs.get("jakpus", user)
		waiting, _ := s.waiting.has("jakpus", user)
		if ok != waiting {
			t.Errorf("%s: conversation cached %v, message waiting %v: one write recorded both", user, ok, waiting)
		}
		return v, ok
	}

	no := errors.New("no")
	if err := put("a", 1, no); !errors.Is(err, no) {
		t.Fatalf("err = %v", err)
	}
	if _, ok := cached("a"); ok {
		t.Fatal("a rolled-back write changed the caches")
	}
	if err := put("a", 2, nil); err != nil {
		t.Fatal(err)
	}
	if v, ok := cached("a"); !ok || v != 2 {
		t.Fatalf("after a commit: version %d, cached %v; want 2", v, ok)
	}

	// Many at once, every third failing: groups roll back and run each
	// piece alone; exactly the others' changes are applied.
	var wg sync.WaitGroup
	users := []string{}
	for i := range 30 {
		users = append(users, string(rune('A'+i)))
	}
	for i, u := range users {
		wg.Go(func() {
			var fail error
			if i%3 == 0 {
				fail = no
			}
			if err := put(u, int64(10+i), fail); !errors.Is(err, fail) {
				t.Errorf("put %s: err = %v, want %v", u, err, fail)
			}
		})
	}
	wg.Wait()
	for i, u := range users {
		v, ok := cached(u)
		if want := i%3 != 0; ok != want || (ok && v != int64(10+i)) {
			t.Errorf("%s: cached %v at version %d; want cached %v at %d", u, ok, v, want, 10+i)
		}
	}
	if n := len(s.waiting.ids); n != 1+20 {
		t.Errorf("%d messages waiting, want 21", n)
	}
	if applied != 2*(1+20) {
		t.Errorf("%d changes applied, want 42: two for each committed write", applied)
	}

	// Outside the writer's transaction: the caches forget.
	s.changed(db, cacheChange{kind: convPut, key: convKey{"jakpus", "a"}, state: []byte(`{}`), version: 3})
	if _, _, ok := s.convs.get("jakpus", "a"); ok {
		t.Error("a change outside the writer kept the conversation cached")
	}
	s.changed(db, cacheChange{kind: waitingDone, id: "m-a"})
	if _, loaded := s.waiting.has("jakpus", "a"); loaded {
		t.Error("a change outside the writer kept the waiting index loaded")
	}
}
