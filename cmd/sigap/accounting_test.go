package main

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sigap-id/sigap/internal/graphtest"
)

// The end-to-end tests that kill a process or cut its database count
// replies per message, not per sender: a lost reply and a duplicate to the
// same sender must not cancel out. They read the outbox, where each reply
// names the message it answers (in_reply_to) and the wamid its send was
// given (sent_id), and match it with what the Graph API stand-in accepted.

// replyRow is one stored reply.
type replyRow struct {
	id                       int64
	inReplyTo, state, sentID string
}

func replyRows(t *testing.T, db *sql.DB) []replyRow {
	t.Helper()
	rs, err := db.Query(`SELECT id, in_reply_to, state, sent_id FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatalf("read the outbox: %v", err)
	}
	defer rs.Close()
	var out []replyRow
	for rs.Next() {
		var r replyRow
		if err := rs.Scan(&r.id, &r.inReplyTo, &r.state, &r.sentID); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// inDoubt counts the replies claimed for sending and not recorded as sent:
// right after a kill, those are the sends that may have reached the Graph
// API without the dead process recording it, the only replies the one
// retry of an in-doubt send can duplicate.
func inDoubt(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM outbox WHERE state = 'pending' AND claimed_until > 0`).Scan(&n); err != nil {
		t.Fatalf("count the replies in doubt: %v", err)
	}
	return n
}

// settle waits until every message in wamids has its replies stored and
// nothing in the outbox is still pending: from then on no send can happen,
// so the counts that follow are final without waiting "a lease's worth".
func settle(t *testing.T, db *sql.DB, wamids []string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		rows := replyRows(t, db)
		answered := map[string]bool{}
		pending := 0
		for _, r := range rows {
			answered[r.inReplyTo] = true
			if r.state == "pending" {
				pending++
			}
		}
		unanswered := 0
		for _, id := range wamids {
			if !answered[id] {
				unanswered++
			}
		}
		if unanswered == 0 && pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("after %s: %d of %d messages without a stored reply, %d replies still pending", timeout, unanswered, len(wamids), pending)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// replyCount is what happened to the replies of a set of messages.
type replyCount struct {
	messages, replies int
	// unanswered are messages with no stored reply; unsent are replies not
	// recorded as sent (failed, or still pending).
	unanswered, unsent []string
	// duplicates are sends the stand-in accepted that no reply records:
	// the first send of a reply whose mark was lost and that was sent again.
	duplicates int
	// sentTwice are replies whose recorded wamid the stand-in gave more than
	// once (which it never does: a sign of a broken stand-in or test).
	sentTwice []string
}

func (c replyCount) String() string {
	return fmt.Sprintf("%d messages, %d replies, %d unanswered, %d unsent, %d duplicate sends",
		c.messages, c.replies, len(c.unanswered), len(c.unsent), c.duplicates)
}

// countReplies matches the stored replies with the stand-in's sends, for
// the messages in wamids (every message acknowledged to the sender).
func countReplies(t *testing.T, db *sql.DB, wamids []string, sent []graphtest.Request) replyCount {
	t.Helper()
	rows := replyRows(t, db)
	c := replyCount{messages: len(wamids), replies: len(rows)}
	byMessage := map[string][]replyRow{}
	for _, r := range rows {
		byMessage[r.inReplyTo] = append(byMessage[r.inReplyTo], r)
	}
	accepted := map[string]int{}
	for _, s := range sent {
		accepted[s.WAMID]++
	}
	for _, id := range wamids {
		rs := byMessage[id]
		if len(rs) == 0 {
			c.unanswered = append(c.unanswered, id)
		}
		for _, r := range rs {
			if r.state != "sent" {
				c.unsent = append(c.unsent, fmt.Sprintf("%s (reply %d, %s)", id, r.id, r.state))
			}
		}
	}
	for _, r := range rows {
		if r.sentID == "" {
			continue
		}
		if accepted[r.sentID] > 1 {
			c.sentTwice = append(c.sentTwice, r.sentID)
		}
		delete(accepted, r.sentID)
	}
	for _, n := range accepted {
		c.duplicates += n
	}
	return c
}

// check fails the test for anything unanswered or unsent, and for more
// duplicates than maxDups; it names the first few messages concerned.
func (c replyCount) check(t *testing.T, maxDups int, why string) {
	t.Helper()
	first := func(ids []string) string {
		if len(ids) > 5 {
			return strings.Join(ids[:5], ", ") + ", …"
		}
		return strings.Join(ids, ", ")
	}
	if len(c.unanswered) > 0 {
		t.Errorf("%d acknowledged messages never answered: %s", len(c.unanswered), first(c.unanswered))
	}
	if len(c.unsent) > 0 {
		t.Errorf("%d replies never sent: %s", len(c.unsent), first(c.unsent))
	}
	if len(c.sentTwice) > 0 {
		t.Errorf("the stand-in gave the same wamid to %d sends: %s", len(c.sentTwice), first(c.sentTwice))
	}
	if c.duplicates > maxDups {
		t.Errorf("%d duplicate sends, more than %d (%s)", c.duplicates, maxDups, why)
	}
}
