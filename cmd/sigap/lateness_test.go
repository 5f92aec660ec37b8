package main

import (
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigap-id/sigap/internal/graphtest"
)

// firstAnswers returns, for each message answered, when the stand-in took
// the first send of a reply to it: the send names its outbox row in
// biz_opaque_callback_data (sigap:<office>:<id>), whose in_reply_to is the
// message. A duplicate's first copy counts: the applicant had the answer
// then.
func firstAnswers(t *testing.T, db *sql.DB, sent []graphtest.Request) map[string]time.Time {
	t.Helper()
	byRow := map[int64]string{}
	for _, r := range replyRows(t, db) {
		byRow[r.id] = r.inReplyTo
	}
	first := map[string]time.Time{}
	for _, s := range sent {
		ref, _ := s.Body["biz_opaque_callback_data"].(string)
		i := strings.LastIndexByte(ref, ':')
		if i < 0 {
			continue
		}
		id, err := strconv.ParseInt(ref[i+1:], 10, 64)
		if err != nil {
			continue
		}
		msg, ok := byRow[id]
		if !ok {
			continue
		}
		if at, seen := first[msg]; !seen || s.At.Before(at) {
			first[msg] = s.At
		}
	}
	return first
}

// lateness is how long each message acknowledged before the moment work
// stopped (a replica's death, a restart) waited past that moment for its
// first answer (negative: answered before it): the work in flight at the
// death, which the bound (10 s) is about. Messages acknowledged
// after it are answered like any other, behind their sender's earlier ones
// (the tests' senders write many without waiting for answers).
type lateness struct {
	all   []time.Duration
	worst string // the message that waited longest
}

func measureLateness(t *testing.T, db *sql.DB, sent []graphtest.Request, ackedAt map[string]time.Time, from time.Time) lateness {
	t.Helper()
	first := firstAnswers(t, db, sent)
	var l lateness
	var worst time.Duration = -1 << 62
	for id, acked := range ackedAt {
		at, ok := first[id]
		if !ok || !acked.Before(from) {
			continue // unanswered (counted, and failed, by countReplies), or acknowledged after
		}
		d := at.Sub(from)
		l.all = append(l.all, d)
		if d > worst {
			worst, l.worst = d, id
		}
	}
	slices.Sort(l.all)
	return l
}

func (l lateness) max() time.Duration {
	if len(l.all) == 0 {
		return 0
	}
	return l.all[len(l.all)-1]
}

func (l lateness) String() string {
	if len(l.all) == 0 {
		return "no answers"
	}
	late := 0
	for _, d := range l.all {
		if d > time.Second {
			late++
		}
	}
	return fmt.Sprintf("of %d messages acknowledged before it, the last first answered %v after it (%s), %d over 1s after it",
		len(l.all), l.max().Round(10*time.Millisecond), l.worst, late)
}

// envInt reads a test size from the environment (for runs that measure
// the figures in docs/performance.md), or def.
func envInt(key string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(key)); err == nil && n > 0 {
		return n
	}
	return def
}
