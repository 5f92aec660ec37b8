package sqlstore

import "sync"

// gather runs the work that callers hand it in batches: what arrives while
// one batch runs is the next batch. Alone, a caller's work runs at once;
// under load, many callers' work costs one statement or one round trip
// where each would cost its own.
//
// One batch runs at a time. The caller that finds no batch running leads:
// it runs what has gathered (its own work first among it), and hands the
// lead to the first caller still waiting, whose batch is what gathered
// meanwhile. Each call returns once its own work has run.
type gather[T any] struct {
	mu      sync.Mutex
	pending []*gathered[T]
	leading bool
}

type gathered[T any] struct {
	item T
	done chan error // queued: the outcome, or errLead: run the next batch
}

// do queues item and returns its outcome once it has run: run takes the
// batch it is in (at most max items) and returns each one's outcome. The
// leading caller's run runs the batch, so every caller's run must do the
// same with it.
func (g *gather[T]) do(item T, max int, run func(batch []T) []error) error {
	op := &gathered[T]{item: item, done: make(chan error, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, op)
	lead := !g.leading
	g.leading = true
	g.mu.Unlock()
	if !lead {
		// No giving up on a context here: this caller may be handed the
		// lead, and then runs others' work too.
		if err := <-op.done; err != errLead {
			return err
		}
	}
	// The leading caller is first in the queue, so in the batch it runs.
	g.mu.Lock()
	n := min(len(g.pending), max)
	batch := make([]*gathered[T], n)
	copy(batch, g.pending)
	g.pending = append(g.pending[:0], g.pending[n:]...)
	g.mu.Unlock()

	items := make([]T, n)
	for i, o := range batch {
		items[i] = o.item
	}
	errs := run(items)
	for i, o := range batch[1:] {
		o.done <- errs[i+1]
	}
	g.mu.Lock()
	if len(g.pending) > 0 {
		g.pending[0].done <- errLead
	} else {
		g.leading = false
	}
	g.mu.Unlock()
	return errs[0]
}
