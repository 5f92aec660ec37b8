// Package worker runs the loop shared by SIGAP's queue workers: take a
// batch when woken or when the poll interval passes, and keep taking
// batches while there is work.
package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Loop calls step until ctx ends. step is given a context that is not
// cancelled with ctx, so a batch that has begun is finished and recorded.
// It runs at once, then whenever wake fires or poll passes, and again
// straight away while step reports work done.
func Loop(ctx context.Context, wake <-chan struct{}, poll time.Duration, name string, log *slog.Logger,
	step func(context.Context) (int, error)) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-timer.C:
		}
		for ctx.Err() == nil {
			n, err := step(context.WithoutCancel(ctx))
			if err != nil {
				log.Error(name, "err", err)
				break
			}
			if n == 0 {
				break
			}
		}
		timer.Reset(poll)
	}
}

// Wake makes a buffered channel of one ready without blocking.
func Wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Pool runs functions on a fixed set of goroutines. A goroutine that
// answers messages calls deep into SQLite; one started per message grows
// its stack from the smallest size to that depth every time (a few per cent
// of all CPU under load), where a pool's goroutines grow theirs once.
type Pool struct {
	jobs chan func()
	wg   sync.WaitGroup
}

// NewPool starts n goroutines waiting for work.
func NewPool(n int) *Pool {
	p := &Pool{jobs: make(chan func(), n)}
	for range n {
		p.wg.Go(func() {
			for f := range p.jobs {
				f()
			}
		})
	}
	return p
}

// Go runs f on one of the pool's goroutines. The caller bounds the work in
// flight to the pool's size; beyond that, Go waits for a goroutine to free.
func (p *Pool) Go(f func()) { p.jobs <- f }

// Wait waits for the work given to finish and stops the goroutines; the
// pool takes no more work after it.
func (p *Pool) Wait() {
	close(p.jobs)
	p.wg.Wait()
}
