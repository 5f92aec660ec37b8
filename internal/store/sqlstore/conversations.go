package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sigap-id/sigap"
)

// Conversation implements sigap.Conversations.
func (s *Store) Conversation(ctx context.Context, office, user string) (sigap.Conversation, error) {
	c := sigap.Conversation{Office: office, User: user}
	state, version, cached := s.convs.get(office, user)
	if !cached {
		err := s.queryRow(ctx, s.db, `SELECT state, version FROM conversations WHERE office = $1 AND user_id = $2`,
			office, user).Scan(&state, &version)
		if errors.Is(err, sql.ErrNoRows) {
			return c, nil
		}
		if err != nil {
			return c, fmt.Errorf("read conversation: %w", err)
		}
	}
	return decodeConversation(office, user, state, version)
}

// decodeConversation returns the conversation stored as state at version;
// no state is a conversation not yet stored.
func decodeConversation(office, user string, state []byte, version int64) (sigap.Conversation, error) {
	c := sigap.Conversation{Office: office, User: user}
	if state == nil {
		return c, nil
	}
	if err := json.Unmarshal(state, &c); err != nil {
		return c, fmt.Errorf("decode conversation: %w", err)
	}
	c.Version = version
	return c, nil
}

// SaveConversation implements sigap.Conversations. It stores c whatever
// version is stored.
func (s *Store) SaveConversation(ctx context.Context, c sigap.Conversation) error {
	state, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode conversation: %w", err)
	}
	saving := s.savingConversation(c, state, false)
	if s.w == nil {
		// One statement is whole on its own: no transaction around it.
		_, err := saving.save(ctx, s.db)
		return err
	}
	_, err = inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (int64, error) { return saving.save(ctx, tx) })
	return err
}

// convSave stores one conversation: see savingConversation.
type convSave struct {
	s       *Store
	c       sigap.Conversation
	state   []byte // c encoded
	checked bool   // only over c.Version
}

// savingConversation returns the save of c, encoded as state. A checked
// save fails with ErrStale, changing nothing, when the stored conversation
// is not at c.Version (0: none stored); an unchecked one stores c whatever
// is there.
func (s *Store) savingConversation(c sigap.Conversation, state []byte, checked bool) *convSave {
	return &convSave{s: s, c: c, state: state, checked: checked}
}

// save stores the conversation and returns the version stored; the
// conversation cache keeps it once that has committed.
func (cs *convSave) save(ctx context.Context, q dbtx) (int64, error) {
	s, c, now := cs.s, cs.c, cs.s.now().UnixMilli()
	var (
		version int64
		res     sql.Result
		err     error
	)
	switch {
	case !cs.checked:
		err = s.queryRow(ctx, q, `INSERT INTO conversations (office, user_id, state, updated_at, version, handover_since, handover_until)
			VALUES ($1, $2, $3, $4, 1, $5, $6)
			ON CONFLICT (office, user_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at,
				version = conversations.version + 1, handover_since = excluded.handover_since,
				handover_until = excluded.handover_until
			RETURNING version`, c.Office, c.User, string(cs.state), now, ms(c.HandoverSince), ms(c.HandoverUntil)).Scan(&version)
	default:
		st := cs.checkedStmt(now, false)
		version = cs.version()
		res, err = s.exec(ctx, q, st.Query, st.Args...)
	}
	if err == nil && res != nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			// Whoever stored it since knows better than this cache.
			s.convs.drop(c.Office, c.User)
			return 0, fmt.Errorf("save conversation: %w", sigap.ErrStale)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("save conversation: %w", err)
	}
	s.changed(q, cacheChange{kind: convPut, key: convKey{c.Office, c.User}, state: cs.state, version: version})
	return version, nil
}

// checkedStmt is the statement of a checked save at now; with version, it
// returns the version stored (see version), and no row if stale.
func (cs *convSave) checkedStmt(now int64, version bool) Stmt {
	c := cs.c
	if c.Version == 0 {
		query := insertConversation
		if version {
			query = insertConversationVersion
		}
		return Stmt{query, []any{c.Office, c.User, string(cs.state), now, ms(c.HandoverSince), ms(c.HandoverUntil)}}
	}
	query := updateConversation
	if version {
		query = updateConversationVersion
	}
	return Stmt{query, []any{string(cs.state), now, c.Version + 1, c.Office, c.User, c.Version, ms(c.HandoverSince), ms(c.HandoverUntil)}}
}

// version is the version a checked save stores.
func (cs *convSave) version() int64 { return cs.c.Version + 1 }
