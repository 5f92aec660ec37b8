// Package worker holds what SIGAP's queue workers (the gateway's and the
// outbox sender's) share: a wake-up signal and a pool of goroutines.
package worker

import "sync"

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
