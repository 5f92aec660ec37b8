package outbox

import (
	"cmp"
	"slices"

	"github.com/sigap-id/sigap"
)

// queues is the sender's book of what it holds: the replies claimed and
// not yet begun (ready, then queued behind their recipient's send), which
// recipients are being sent to, and what it knows about the outbox behind
// them. It decides, and does no I/O: Sender.Run does what it says, under
// the sender's lock. Each recipient is sent to by one worker at a time, in
// the order of the replies' ids.
type queues struct {
	workers int
	ready   []claimed // for the next free worker
	held    int       // claimed and not yet begun: in ready or waiting
	running int       // workers at work
	// waiting holds the recipients (office/to) being sent to, each with
	// the replies claimed to go after the one on its way.
	waiting map[string][]sigap.OutboundMessage
	// behind holds recipients with a reply stored, or about to be, perhaps
	// behind one being sent: marking that one sent then claims the next.
	// For others, marking sent is one statement.
	behind map[string]bool
	// ended holds, for recipients no longer being sent to, whether their
	// last replies were all sent (or given up for good): a reply claimed
	// behind them (claimed.behind) may go then, and only then.
	ended map[string]bool
}

// claimed is a reply claimed for the sender, not yet begun.
type claimed struct {
	m sigap.OutboundMessage
	// behind: it was claimed behind the recipient's earlier replies being
	// sent (sigap.Saved.Behind), and may go only after they all went.
	behind bool
}

// forgetAfter bounds behind and ended: both are hints, and forgetting them
// costs a reply given back or a poll's wait, never a reply out of order.
const forgetAfter = 4096

func newQueues(workers int) *queues {
	return &queues{workers: max(workers, 1), waiting: map[string][]sigap.OutboundMessage{}}
}

func recipient(m sigap.OutboundMessage) string { return m.Office + "/" + m.To }

// add takes claimed replies, to be dispatched; behind says they were
// claimed behind the replies being sent to their recipient.
func (q *queues) add(msgs []sigap.OutboundMessage, behind bool) {
	for _, m := range msgs {
		q.ready = append(q.ready, claimed{m, behind})
	}
	q.held += len(msgs)
}

// hasRoom reports whether a reply added now would be started at once.
func (q *queues) hasRoom() bool { return q.running+q.held < q.workers }

// want is how many replies to claim from the outbox: one per worker that
// nothing held is waiting for. A reply claimed ahead would wait for a
// worker, under a tight send budget long enough for its lease to run out
// and another replica to send it too.
func (q *queues) want() int { return q.workers - q.running - q.held }

// sending reports whether key is being sent to.
func (q *queues) sending(key string) bool {
	_, ok := q.waiting[key]
	return ok
}

// queued notes that a reply to key was stored unclaimed, and reports
// whether it must be claimed from the outbox: if key is being sent to,
// marking its last reply sent claims it instead.
func (q *queues) queued(key string) (claim bool) {
	q.markBehind(key)
	return !q.sending(key)
}

// dispatch hands ready replies to free workers, returned in start (each
// now running, its recipient being sent to), and queues each reply to a
// recipient being sent to behind that send. A reply claimed behind sends
// that have ended is returned in giveBack, to go back to the outbox, unless
// they all went: one before it may be waiting for a retry, and must not be
// overtaken. Replies for which no worker is free stay ready.
func (q *queues) dispatch() (start, giveBack []sigap.OutboundMessage) {
	for len(q.ready) > 0 {
		m, behind := q.ready[0].m, q.ready[0].behind
		key := recipient(m)
		if w, sending := q.waiting[key]; sending {
			q.waiting[key] = append(w, m)
			q.ready = q.ready[1:]
			continue
		}
		if behind && !q.ended[key] {
			giveBack = append(giveBack, m)
			q.ready = q.ready[1:]
			q.held--
			continue
		}
		if q.running >= q.workers {
			break
		}
		q.waiting[key] = nil
		delete(q.ended, key)
		q.ready = q.ready[1:]
		q.held--
		q.running++
		start = append(start, m)
	}
	return start, giveBack
}

// next takes the reply to send after one to key, or ends key's turn with
// all its replies sent; then wake reports that a reply to key may wait in
// the outbox, stored too late for marking the last one sent to claim it.
func (q *queues) next(key string) (m sigap.OutboundMessage, ok, wake bool) {
	w := q.waiting[key]
	if len(w) == 0 {
		delete(q.waiting, key)
		q.setEnded(key, true)
		if q.behind[key] {
			delete(q.behind, key)
			wake = true
		}
		return sigap.OutboundMessage{}, false, wake
	}
	q.waiting[key] = w[1:]
	q.held--
	return w[0], true, false
}

// drop ends key's turn with a reply not sent, and returns the replies held
// behind it (no longer held).
func (q *queues) drop(key string) []sigap.OutboundMessage {
	rest := q.waiting[key]
	q.held -= len(rest)
	delete(q.waiting, key)
	q.setEnded(key, false)
	return rest
}

// chain reports whether marking the reply to key on its way sent should
// also claim the recipient's next one: when a reply may wait behind it in
// the outbox and the worker holds none after it.
func (q *queues) chain(key string) bool {
	if q.behind[key] && len(q.waiting[key]) == 0 {
		delete(q.behind, key)
		return true
	}
	return false
}

// chained takes the reply that marking key's last one sent claimed; more
// may wait behind it.
func (q *queues) chained(key string, m sigap.OutboundMessage) {
	q.markBehind(key)
	w := append(q.waiting[key], m)
	slices.SortFunc(w, func(a, b sigap.OutboundMessage) int { return cmp.Compare(a.ID, b.ID) })
	q.waiting[key] = w
	q.held++
}

// finished notes that a worker is free.
func (q *queues) finished() { q.running-- }

// takeReady returns the ready replies, no longer held: at shutdown, to be
// given back.
func (q *queues) takeReady() []sigap.OutboundMessage {
	r := make([]sigap.OutboundMessage, len(q.ready))
	for i, c := range q.ready {
		r[i] = c.m
	}
	q.ready, q.held = nil, q.held-len(r)
	return r
}

func (q *queues) setEnded(key string, allSent bool) {
	if q.ended == nil || len(q.ended) > forgetAfter {
		q.ended = map[string]bool{} // forgotten: a reply behind is given back
	}
	q.ended[key] = allSent
}

func (q *queues) markBehind(key string) {
	if q.behind == nil || len(q.behind) > forgetAfter {
		q.behind = map[string]bool{} // only a hint; the poll catches the rest
	}
	q.behind[key] = true
}
