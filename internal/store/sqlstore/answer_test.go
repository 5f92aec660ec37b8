package sqlstore

import (
	"testing"
	"time"

	"github.com/sigap-id/sigap"
)

// TestAnswerBatch: an answered message's statements sent together are the
// one-by-one path's, in its order, and read checks each assumption by the
// statement that answers it.
func TestAnswerBatch(t *testing.T) {
	now := time.UnixMilli(1_000_000)
	s := &Store{holder: "h"}
	reply := func(text string) sigap.OutboundMessage {
		return sigap.OutboundMessage{Office: "o", To: "u", Reply: sigap.Reply{Text: text}}
	}
	a := &arrival{
		m:       sigap.InboundMessage{ID: "m", Office: "o", From: "u"},
		payload: "{}",
		answer: &answered{
			conv:    s.savingConversation(sigap.Conversation{Office: "o", User: "u", Version: 3}, []byte("{}"), true),
			replies: outgoing{replies: []sigap.OutboundMessage{reply("a"), reply("b")}, payloads: [][]byte{[]byte("a"), []byte("b")}},
		},
	}
	claim := sigap.Claim{Now: now, OutboxLease: time.Minute}
	b := s.answerBatch(a, now, claim)
	var queries []string
	for _, st := range b.stmts {
		queries = append(queries, st.Query)
	}
	want := []string{senderWaitingQuery, insertInboundSeq, updateConversationVersion, outboxSending, insertOutboxID, insertOutboxID}
	if len(queries) != len(want) {
		t.Fatalf("%d statements, want %d", len(queries), len(want))
	}
	for i := range want {
		if queries[i] != want[i] {
			t.Errorf("statement %d: %q, want %q", i, queries[i], want[i])
		}
	}
	if got := b.stmts[b.replies[1]].Args[7:9]; got[0] != 1 || got[1] != ms(now.Add(time.Minute)) {
		t.Errorf("second reply stored with attempts and lease %v, want claimed", got)
	}

	row := func(v any) [][]any { return [][]any{{v}} }
	held := func() [][][]any {
		// nothing waiting; seq 7; version 4; nothing sent before; ids 10, 11
		return [][][]any{nil, row(int64(7)), row(int64(4)), row(nil), row(int64(10)), row(int64(11))}
	}
	for _, tc := range []struct {
		name   string
		change func(rows [][][]any)
		behind bool
		ok     bool
		after  bool
	}{
		{name: "all held", change: func([][][]any) {}, ok: true},
		{name: "sender waiting", change: func(r [][][]any) { r[b.waiting] = row(int64(1)) }},
		{name: "redelivery", change: func(r [][][]any) { r[b.inbound] = nil }},
		{name: "stale", change: func(r [][][]any) { r[b.conv] = nil }},
		{name: "a reply waiting", change: func(r [][][]any) { r[b.sending] = row(int64(0)) }},
		{name: "a reply waiting, behind", change: func(r [][][]any) { r[b.sending] = row(int64(0)) }, behind: true},
		{name: "replies being sent, behind", change: func(r [][][]any) { r[b.sending] = row(int64(1)) }, behind: true, ok: true, after: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b.behind = tc.behind
			rows := held()
			tc.change(rows)
			got, ok := b.read(rows)
			if ok != tc.ok {
				t.Fatalf("held %v, want %v", ok, tc.ok)
			}
			if ok && (len(got.ids) != 2 || got.ids[0] != 10 || got.ids[1] != 11 || got.behind != tc.after) {
				t.Errorf("read %+v, want ids 10, 11, behind %v", got, tc.after)
			}
		})
	}

	// Not claimed: no sending check, the replies stored unclaimed.
	b = s.answerBatch(a, now, sigap.Claim{Now: now})
	if b.sending != -1 || len(b.stmts) != 5 || b.stmts[b.replies[0]].Args[8] != int64(0) {
		t.Errorf("unclaimed batch: sending at %d, %d statements, lease %v", b.sending, len(b.stmts), b.stmts[b.replies[0]].Args[8])
	}
}
