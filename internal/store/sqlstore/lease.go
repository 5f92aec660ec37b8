package sqlstore

// Claims that name their holder and are renewed while it lives
// (sigap.LeaseRenewer).

import (
	"context"
	"fmt"
	"math/bits"
	"os"
	"sync/atomic"
	"time"

	"github.com/sigap-id/sigap"
)

var _ sigap.LeaseRenewer = (*Store)(nil)

// stores counts the stores opened in this process, so that each names its
// claims apart (see defaultHolder).
var stores atomic.Int64

// defaultHolder is the name a store's claims carry until SetHolder: the
// host and process id, and after the process's first store a number, so
// that two stores in one process (tests) never take each other's claims
// for their own.
func defaultHolder() string {
	host, _ := os.Hostname()
	name := fmt.Sprintf("%s/%d", host, os.Getpid())
	if n := stores.Add(1); n > 1 {
		name += fmt.Sprintf("#%d", n)
	}
	return name
}

// SetHolder names the claims this store makes from now on (the process's
// name, host/pid): a renewal renews only claims under this name, and a
// claim that takes another over records the name it took it from. Call it
// before the store is used; names longer than 200 bytes are cut.
func (s *Store) SetHolder(name string) {
	if len(name) > 200 {
		name = name[:200]
	}
	s.holder = name
}

// Holder returns the name this store's claims carry.
func (s *Store) Holder() string { return s.holder }

// renewChunk bounds the ids one renewal statement names. The statement's
// text depends only on how many it names, rounded up to a power of two
// (the last id repeated), so that few texts are ever prepared.
const renewChunk = 256

// RenewInbound implements sigap.LeaseRenewer. A message given back to be
// retried (RetryInbound) is not renewed: its claimed_until is its retry
// time.
func (s *Store) RenewInbound(ctx context.Context, ids []string, now time.Time, lease time.Duration) ([]string, time.Time, error) {
	held, until, err := renew(s, ctx, ids, now, lease, `UPDATE inbound_messages SET claimed_until = $1
		WHERE state = 'pending' AND holder = $2 AND claimed_until > 0 AND takeover >= 0 AND id IN (`)
	if err != nil {
		return nil, until, fmt.Errorf("renew inbound claims: %w", err)
	}
	return held, until, nil
}

// RenewOutbound implements sigap.LeaseRenewer. A reply given back
// (Release, MarkRetry) or finished holds no claim and is not renewed.
func (s *Store) RenewOutbound(ctx context.Context, ids []int64, now time.Time, lease time.Duration) ([]int64, time.Time, error) {
	held, until, err := renew(s, ctx, ids, now, lease, `UPDATE outbox SET claimed_until = $1
		WHERE state = 'pending' AND holder = $2 AND claimed_until > 0 AND id IN (`)
	if err != nil {
		return nil, until, fmt.Errorf("renew outbox claims: %w", err)
	}
	return held, until, nil
}

// renew runs update (an UPDATE … id IN ( to be finished with the ids'
// placeholders) for ids, a chunk at a time, each chunk one statement
// through writeOne, and returns the ids it renewed.
func renew[K comparable](s *Store, ctx context.Context, ids []K, now time.Time, lease time.Duration, update string) ([]K, time.Time, error) {
	until := ms(now.Add(lease))
	holder := s.holder
	var held []K
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), renewChunk)]
		ids = ids[len(chunk):]
		n := 1 << bits.Len(uint(len(chunk)-1)) // the next power of two
		args := make([]any, 0, 2+n)
		args = append(args, until, holder)
		for i := range n {
			args = append(args, chunk[min(i, len(chunk)-1)])
		}
		query := update + params(3, n) + `) RETURNING id`
		got, err := writeOne(s, ctx, func(ctx context.Context, q dbtx) ([]K, error) {
			rows, err := s.query(ctx, q, query, args...)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			var got []K
			for rows.Next() {
				var id K
				if err := rows.Scan(&id); err != nil {
					return nil, err
				}
				got = append(got, id)
			}
			return got, rows.Err()
		})
		if err != nil {
			return nil, fromMS(until), err
		}
		held = append(held, got...)
	}
	return held, fromMS(until), nil
}
