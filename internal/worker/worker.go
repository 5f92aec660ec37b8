// Package worker runs the loop shared by SIGAP's queue workers: take a
// batch when woken or when the poll interval passes, and keep taking
// batches while there is work.
package worker

import (
	"context"
	"log/slog"
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
