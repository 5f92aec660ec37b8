package worker

import (
	"sync/atomic"
	"testing"
)

func TestPoolRunsEverythingGivenBeforeWait(t *testing.T) {
	p := NewPool(4)
	var ran atomic.Int64
	release := make(chan struct{})
	for range 4 {
		p.Go(func() { <-release; ran.Add(1) })
	}
	// The pool's goroutines are all busy: more work queues, up to the
	// pool's size, and runs once they free.
	for range 4 {
		p.Go(func() { ran.Add(1) })
	}
	if n := ran.Load(); n != 0 {
		t.Fatalf("%d ran before the first four were released", n)
	}
	close(release)
	p.Wait()
	if n := ran.Load(); n != 8 {
		t.Fatalf("ran %d of 8", n)
	}
}
