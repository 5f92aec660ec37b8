package sqlstore

import (
	"database/sql"
)

// The caches that only the database's one writer keeps (convCache,
// waitingIndex) change with the statements that change what they hold,
// never in a write's own code: each such statement's code records the
// change on the write that runs it (Store.changed), and the writer applies
// a write's changes once it has committed, in commit order, or forgets them
// with a run that was rolled back (see write). The statements that record
// are in convSave.save (a conversation stored), deleteIdleConversation,
// storeArrival (a message stored unanswered),
// CompleteInboundClaiming (one answered) and EraseSender. A new write that
// stores or deletes conversations through convSave and
// deleteIdleConversation keeps the caches right without knowing they
// exist, and has no hook to forget.

// cacheChange is one change to the caches.
type cacheChange struct {
	kind    changeKind
	key     convKey // the conversation's, or the message's sender's
	id      string  // the message's (waitingAdd, waitingDone)
	state   []byte  // convPut: as stored
	version int64   // convPut
}

type changeKind uint8

const (
	convPut     changeKind = iota // a conversation stored
	convDrop                      // a conversation deleted
	waitingAdd                    // a message stored unanswered
	waitingDone                   // a message answered, or erased
)

// changed records c for the write whose transaction q is, to be applied
// once it commits. Where there are no caches it does nothing.
func (s *Store) changed(q dbtx, c cacheChange) {
	if s.w == nil {
		return
	}
	if tx, ok := q.(*sql.Tx); ok && s.w.record(tx, c) {
		return
	}
	// Not in the writer's transaction: every write on this engine is, so
	// this is a mistake; the caches forget rather than risk being wrong.
	switch c.kind {
	case convPut, convDrop:
		s.convs.drop(c.key.office, c.key.user)
	case waitingAdd, waitingDone:
		s.waiting.unload()
	}
}

// apply applies the changes a write made, once it has committed.
func (s *Store) apply(changes []cacheChange) {
	for _, c := range changes {
		switch c.kind {
		case convPut:
			s.convs.put(c.key.office, c.key.user, c.state, c.version)
		case convDrop:
			s.convs.drop(c.key.office, c.key.user)
		case waitingAdd:
			s.waiting.stored(waitingMsg{c.id, c.key})
		case waitingDone:
			s.waiting.answered(c.id)
		}
	}
}
