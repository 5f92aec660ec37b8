package sqlstore

import (
	"fmt"
	"sync"
	"testing"
)

// TestBatcherRunsEachOnceWithItsOwnOutcome: callers arriving together are
// run in batches of at most max, every item exactly once, and each caller
// gets its own item's outcome.
func TestBatcherRunsEachOnceWithItsOwnOutcome(t *testing.T) {
	var (
		b       batcher[int]
		mu      sync.Mutex
		runs    = map[int]int{}
		biggest int
	)
	run := func(batch []int) []error {
		mu.Lock()
		defer mu.Unlock()
		biggest = max(biggest, len(batch))
		errs := make([]error, len(batch))
		for i, n := range batch {
			runs[n]++
			if n%3 == 0 {
				errs[i] = fmt.Errorf("item %d", n)
			}
		}
		return errs
	}
	const n, most = 200, 7
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = b.do(i, most, run)
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if runs[i] != 1 {
			t.Errorf("item %d run %d times", i, runs[i])
		}
		want := ""
		if i%3 == 0 {
			want = fmt.Sprintf("item %d", i)
		}
		if got := fmt.Sprint(errs[i]); (errs[i] == nil) != (want == "") || (want != "" && got != want) {
			t.Errorf("item %d: outcome %v; want %q", i, errs[i], want)
		}
	}
	if biggest > most {
		t.Errorf("a batch of %d; at most %d", biggest, most)
	}
	if b.leading || len(b.pending) != 0 {
		t.Errorf("after all returned: leading %v, %d pending", b.leading, len(b.pending))
	}
}
