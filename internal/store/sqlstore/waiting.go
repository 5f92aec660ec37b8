package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/sigap-id/sigap"
)

// waitingIndex knows, where this process is the database's only writer
// (SQLite), which senders have a message stored and not yet answered, so
// that ConversationIfIdle, asked before every message is answered on arrival,
// costs no read (a read was 6% of the throughput). It is loaded inside the
// writer and kept after each commit, in commit order (see writer), so it
// answers what reading the committed database would.
type waitingIndex struct {
	mu     sync.Mutex
	loaded bool
	ids    map[string]convKey // a waiting message's id → its sender
	n      map[convKey]int    // sender → messages waiting
}

func newWaitingIndex() *waitingIndex {
	return &waitingIndex{ids: map[string]convKey{}, n: map[convKey]int{}}
}

// has reports whether the sender has a message waiting, and whether the
// index is loaded (if not, it knows nothing).
func (x *waitingIndex) has(office, sender string) (waiting, loaded bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.n[convKey{office, sender}] > 0, x.loaded
}

// waitingMsg is a message stored unanswered, and its sender.
type waitingMsg struct {
	id     string
	sender convKey
}

// stored records a message committed unanswered.
func (x *waitingIndex) stored(m waitingMsg) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.add([]waitingMsg{m})
}

// unload forgets everything: the index is read again when next asked.
func (x *waitingIndex) unload() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.loaded = false
}

// add records msgs. x.mu is held.
func (x *waitingIndex) add(msgs []waitingMsg) {
	for _, m := range msgs {
		if _, ok := x.ids[m.id]; !ok {
			x.ids[m.id] = m.sender
			x.n[m.sender]++
		}
	}
}

// answered records a message committed answered.
func (x *waitingIndex) answered(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	k, ok := x.ids[id]
	if !ok {
		return
	}
	delete(x.ids, id)
	if x.n[k]--; x.n[k] <= 0 {
		delete(x.n, k)
	}
}

// load reads the waiting messages inside the writer, where no commit can
// come between the read and the hooks of the commits after it, and takes
// them once that read's transaction has committed, in commit order.
func (s *Store) loadWaiting(ctx context.Context) error {
	_, err := writeTx(s.w, ctx, func(ctx context.Context, tx *sql.Tx) ([]waitingMsg, error) {
		rows, err := s.query(ctx, tx, `SELECT id, office, sender FROM inbound_messages WHERE state = 'pending'`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var msgs []waitingMsg
		for rows.Next() {
			var m waitingMsg
			if err := rows.Scan(&m.id, &m.sender.office, &m.sender.user); err != nil {
				return nil, err
			}
			msgs = append(msgs, m)
		}
		return msgs, rows.Err()
	}, func(msgs []waitingMsg) {
		x := s.waiting
		x.mu.Lock()
		defer x.mu.Unlock()
		if x.loaded {
			return
		}
		x.ids, x.n, x.loaded = map[string]convKey{}, map[convKey]int{}, true
		x.add(msgs)
	})
	if err != nil {
		return fmt.Errorf("read waiting messages: %w", err)
	}
	return nil
}

// ConversationIfIdle implements sigap.AnswerOnArrival. Where this process is the
// only writer, the waiting index and the conversation cache answer it;
// elsewhere one query does, instead of one for each.
func (s *Store) ConversationIfIdle(ctx context.Context, office, sender string) (sigap.Conversation, bool, error) {
	if s.waiting != nil {
		waiting, loaded := s.waiting.has(office, sender)
		if !loaded {
			if err := s.loadWaiting(ctx); err != nil {
				return sigap.Conversation{}, false, err
			}
			waiting, _ = s.waiting.has(office, sender)
		}
		if waiting {
			return sigap.Conversation{}, false, nil
		}
		c, err := s.Conversation(ctx, office, sender)
		return c, err == nil, err
	}
	var (
		waiting bool
		state   []byte
		version sql.NullInt64
	)
	err := s.queryRow(ctx, s.db, `SELECT EXISTS (`+senderWaitingQuery+`), c.state, c.version
		FROM (SELECT 1) AS one LEFT JOIN conversations c ON c.office = $1 AND c.user_id = $2`,
		office, sender).Scan(&waiting, &state, &version)
	if err != nil {
		return sigap.Conversation{}, false, fmt.Errorf("read conversation: %w", err)
	}
	if waiting {
		return sigap.Conversation{}, false, nil
	}
	c, err := decodeConversation(office, sender, state, version.Int64)
	return c, err == nil, err
}
