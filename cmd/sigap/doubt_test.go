package main

import (
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/sigap-id/sigap/internal/graphtest"
)

// answerDelay is how long the kill tests' stand-in holds the answer to a
// send it accepted.
const answerDelay = 300 * time.Millisecond

// retriedInDoubt counts the replies sent again after a claim ran out.
func retriedInDoubt(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM outbox WHERE state = 'sent' AND doubtful > 0`).Scan(&n); err != nil {
		t.Fatalf("count the replies retried in doubt: %v", err)
	}
	return n
}

// doubtOutcome describes, for the log, how the replies in doubt ended.
func doubtOutcome(t *testing.T, db *sql.DB, graph *graphtest.Server) string {
	return fmt.Sprintf("%d replies sent again after their claim ran out; %d status webhooks taken", retriedInDoubt(t, db), graph.StatusesPosted())
}

// checkDoubt checks a kill test's count. With status webhooks there is no
// duplicate: a send that reached the stand-in has a status naming its
// reply (biz_opaque_callback_data), which the stand-in posts until a live
// process takes it, within the claim's end and the doubt wait (the kill
// tests run with the defaults), and which marks the reply sent for good; only a reply that never reached the stand-in is sent again.
// Without them, each reply in doubt at the kill is sent again once, after
// the wait: those that had reached the stand-in are the duplicates, at most
// as many as were in doubt.
func checkDoubt(t *testing.T, c replyCount, doubtful int, statuses bool) {
	t.Helper()
	if statuses {
		c.check(t, 0, "status webhooks name every send that went out")
		return
	}
	c.check(t, doubtful, "the replies in doubt at the kill, each retried at most once")
}
