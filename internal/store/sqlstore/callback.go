package sqlstore

// Replies whose status came before (or instead of) their send's answer,
// and the wait for that status before a reply in doubt is sent again.

import (
	"context"
	"fmt"
	"time"

	"github.com/sigap-id/sigap"
)

// DefaultDoubtWait is how long a reply in doubt waits for its status
// before it is sent again (SetDoubtWait). Meta posts a `sent` status
// within seconds of accepting a send, and retries a webhook that was not
// answered. The wait counts from the end of the claim, which a holder that
// renews its claims (sigap.LeaseRenewer) ends at least a lease less a
// renewal after any send it began: with 5 s leases renewed every second,
// a status has at least 6 s.
const DefaultDoubtWait = 2 * time.Second

// SetDoubtWait sets how long a reply in doubt (its claim ran out without a
// recorded outcome: its sender died or stopped, perhaps mid-send) waits
// for a status naming it before it is claimed again; 0 means
// DefaultDoubtWait. Call it before the store is used.
func (s *Store) SetDoubtWait(d time.Duration) { s.doubtWait = d }

// doubtCutoff is the latest claim end of a reply in doubt that may be
// claimed again at now: one whose claim ended longer than the doubt wait
// ago. The claim queries compare claimed_until with it: a reply never
// claimed, or released (0), is claimable at once; one in doubt waits from
// the end of its claim (in doubt since then) for its status.
func (s *Store) doubtCutoff(now time.Time) int64 {
	wait := s.doubtWait
	if wait <= 0 {
		wait = DefaultDoubtWait
	}
	return ms(now.Add(-wait))
}

// markSentByStatus marks the reply a status names (its send's callback
// data, sigap.StatusUpdate.Reply) sent with the status's message id, if it
// is still pending: being sent, in doubt, or waiting for its send's
// answer. Whichever replica receives the status, the reply is then never
// claimed again. A status of any kind will do: Meta posts one only for a
// send it accepted. It runs in the transaction that stores the status,
// before the status is recorded on the reply (which finds it by its
// message id).
func (s *Store) markSentByStatus(ctx context.Context, q dbtx, st sigap.StatusUpdate) error {
	if st.Reply.IsZero() || st.MessageID == "" {
		return nil
	}
	at := st.At
	if at.IsZero() {
		at = s.now()
	}
	_, err := s.exec(ctx, q, `UPDATE outbox SET state = 'sent', sent_id = $1, sent_at = $2, claimed_until = 0, last_error = ''
		WHERE id = $3 AND office = $4 AND state = 'pending'`, st.MessageID, ms(at), st.Reply.ID, st.Reply.Office)
	if err != nil {
		return fmt.Errorf("mark reply %d sent from its status: %w", st.Reply.ID, err)
	}
	return nil
}

// expireOutboxClaims ends the claims on replies that a previous run held
// (see ExpireClaims): they are in doubt from now, so they wait the doubt
// wait for the statuses of sends cut short by the restart, which Meta
// posts again until this run takes them.
func (s *Store) expireOutboxClaims(ctx context.Context) (int64, error) {
	now := ms(s.now())
	n, err := s.write(ctx, `UPDATE outbox SET claimed_until = $1 WHERE state = 'pending' AND claimed_until > $2`, now, now)
	if err != nil {
		return n, fmt.Errorf("expire claims: %w", err)
	}
	return n, nil
}
