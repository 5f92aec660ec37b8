package sqlstore

import (
	"errors"
	"sync"
)

// batcher runs the work that callers hand it in batches: what arrives
// while one batch runs is the next batch. Alone, a caller's work runs at
// once; under load, many callers' work costs one transaction, one commit
// and one round trip where each would cost its own. It is the store's one
// batcher: SQLite's writer (see writer) and PostgreSQL's groups of answers
// and sent marks (see writeGroup) queue through it.
//
// One batch runs at a time. The caller that finds no batch running leads:
// it runs what has gathered (its own work first among it), and hands the
// lead to the first caller still waiting, whose batch is what gathered
// meanwhile. Each call returns once its own work has run.
type batcher[T any] struct {
	mu      sync.Mutex
	pending []*queued[T]
	leading bool
}

// errLead hands a waiting caller the lead: it runs the next batch.
var errLead = errors.New("lead the next batch")

type queued[T any] struct {
	item T
	done chan error // queued: the outcome, or errLead: run the next batch
}

// do queues item and returns its outcome once it has run: run takes the
// batch it is in (at most max items) and returns each one's outcome. The
// leading caller's run runs the batch, so every caller's run must do the
// same with it.
func (b *batcher[T]) do(item T, max int, run func(batch []T) []error) error {
	op := &queued[T]{item: item, done: make(chan error, 1)}
	b.mu.Lock()
	b.pending = append(b.pending, op)
	lead := !b.leading
	b.leading = true
	b.mu.Unlock()
	if !lead {
		// No giving up on a context here: this caller may be handed the
		// lead, and then runs others' work too.
		if err := <-op.done; err != errLead {
			return err
		}
	}
	// The leading caller is first in the queue, so in the batch it runs.
	b.mu.Lock()
	n := min(len(b.pending), max)
	batch := make([]*queued[T], n)
	copy(batch, b.pending)
	b.pending = append(b.pending[:0], b.pending[n:]...)
	b.mu.Unlock()

	items := make([]T, n)
	for i, o := range batch {
		items[i] = o.item
	}
	errs := run(items)
	for i, o := range batch[1:] {
		o.done <- errs[i+1]
	}
	b.mu.Lock()
	if len(b.pending) > 0 {
		b.pending[0].done <- errLead
	} else {
		b.leading = false
	}
	b.mu.Unlock()
	return errs[0]
}
