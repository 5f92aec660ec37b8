package outbox

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sigap-id/sigap"
)

// reply is the reply with outbox id id to recipient to.
func reply(id int64, to string) sigap.OutboundMessage {
	return sigap.OutboundMessage{ID: id, Office: "jakpus", To: to}
}

// ids writes replies as "id,id" ("-" for none).
func ids(msgs []sigap.OutboundMessage) string {
	if len(msgs) == 0 {
		return "-"
	}
	var b []string
	for _, m := range msgs {
		b = append(b, fmt.Sprint(m.ID))
	}
	return strings.Join(b, ",")
}

// dispatched writes what dispatch returned and what the queues then hold.
func dispatched(q *queues) string {
	start, back := q.dispatch()
	return fmt.Sprintf("start %s back %s held %d running %d want %d", ids(start), ids(back), q.held, q.running, q.want())
}

// nextOf writes what next returned for the recipient.
func nextOf(q *queues, to string) string {
	m, ok, wake := q.next("jakpus/" + to)
	if !ok {
		return fmt.Sprintf("end wake=%v", wake)
	}
	return fmt.Sprintf("next %d", m.ID)
}

// TestQueues plays out the sender's decisions, each case a sequence of
// events and what the queues said at each.
func TestQueues(t *testing.T) {
	for _, tt := range []struct {
		name    string
		workers int
		play    func(q *queues) []string
		want    []string
	}{
		{
			name: "one worker per recipient; a recipient's later replies wait behind its first", workers: 4,
			play: func(q *queues) []string {
				q.add([]sigap.OutboundMessage{reply(1, "a"), reply(2, "b"), reply(3, "a")}, false)
				return []string{dispatched(q), nextOf(q, "a"), nextOf(q, "a"), nextOf(q, "b")}
			},
			want: []string{"start 1,2 back - held 1 running 2 want 1", "next 3", "end wake=false", "end wake=false"},
		},
		{
			name: "no more started than there are workers; the rest stay ready", workers: 2,
			play: func(q *queues) []string {
				q.add([]sigap.OutboundMessage{reply(1, "a"), reply(2, "b"), reply(3, "c")}, false)
				first := dispatched(q)
				room := fmt.Sprintf("room %v", q.hasRoom())
				nextOf(q, "a")
				q.finished()
				return []string{first, room, dispatched(q)}
			},
			want: []string{"start 1,2 back - held 1 running 2 want -1", "room false", "start 3 back - held 0 running 2 want 0"},
		},
		{
			name: "a reply claimed behind a send that ended with all sent goes", workers: 4,
			play: func(q *queues) []string {
				q.add([]sigap.OutboundMessage{reply(1, "a")}, false)
				q.dispatch()
				nextOf(q, "a")
				q.finished()
				q.add([]sigap.OutboundMessage{reply(2, "a")}, true)
				return []string{dispatched(q)}
			},
			want: []string{"start 2 back - held 0 running 1 want 3"},
		},
		{
			name: "a reply claimed behind a send that left one for a retry is given back", workers: 4,
			play: func(q *queues) []string {
				q.add([]sigap.OutboundMessage{reply(1, "a"), reply(2, "a")}, false)
				q.dispatch()
				rest := "dropped " + ids(q.drop("jakpus/a"))
				q.finished()
				q.add([]sigap.OutboundMessage{reply(3, "a")}, true)
				return []string{rest, dispatched(q)}
			},
			want: []string{"dropped 2", "start - back 3 held 0 running 0 want 4"},
		},
		{
			name: "a reply claimed behind a recipient this sender does not know is given back", workers: 4,
			play: func(q *queues) []string {
				q.add([]sigap.OutboundMessage{reply(1, "a")}, true)
				return []string{dispatched(q)}
			},
			want: []string{"start - back 1 held 0 running 0 want 4"},
		},
		{
			name: "a reply claimed behind a send on its way waits behind it", workers: 4,
			play: func(q *queues) []string {
				q.add([]sigap.OutboundMessage{reply(1, "a")}, false)
				q.dispatch()
				q.add([]sigap.OutboundMessage{reply(2, "a")}, true)
				return []string{dispatched(q), nextOf(q, "a")}
			},
			want: []string{"start - back - held 1 running 1 want 2", "next 2"},
		},
		{
			name: "a reply stored unclaimed while its recipient is sent to is claimed by marking the last one sent", workers: 4,
			play: func(q *queues) []string {
				q.add([]sigap.OutboundMessage{reply(1, "a")}, false)
				q.dispatch()
				claim := fmt.Sprintf("claim %v", q.queued("jakpus/a"))
				chain := fmt.Sprintf("chain %v", q.chain("jakpus/a"))
				q.chained("jakpus/a", reply(5, "a"))
				return []string{claim, chain, nextOf(q, "a"), fmt.Sprintf("chain %v", q.chain("jakpus/a")), nextOf(q, "a")}
			},
			// The chained reply may have more behind it: marking it sent
			// claims again; the turn then ends without a wake.
			want: []string{"claim false", "chain true", "next 5", "chain true", "end wake=false"},
		},
		{
			name: "no chain while the worker holds the recipient's next reply", workers: 4,
			play: func(q *queues) []string {
				q.add([]sigap.OutboundMessage{reply(1, "a"), reply(2, "a")}, false)
				q.dispatch()
				q.queued("jakpus/a")
				return []string{fmt.Sprintf("chain %v", q.chain("jakpus/a")), nextOf(q, "a"), fmt.Sprintf("chain %v", q.chain("jakpus/a"))}
			},
			want: []string{"chain false", "next 2", "chain true"},
		},
		{
			name: "a reply stored too late for the chain wakes the claim when the turn ends", workers: 4,
			play: func(q *queues) []string {
				q.add([]sigap.OutboundMessage{reply(1, "a")}, false)
				q.dispatch()
				chain := fmt.Sprintf("chain %v", q.chain("jakpus/a")) // asked before the reply was stored
				q.queued("jakpus/a")
				return []string{chain, nextOf(q, "a")}
			},
			want: []string{"chain false", "end wake=true"},
		},
		{
			name: "a reply stored for a recipient nobody sends to is claimed from the outbox", workers: 4,
			play: func(q *queues) []string {
				return []string{fmt.Sprintf("claim %v sending %v", q.queued("jakpus/a"), q.sending("jakpus/a"))}
			},
			want: []string{"claim true sending false"},
		},
		{
			name: "chained replies go in the order of their ids", workers: 4,
			play: func(q *queues) []string {
				q.add([]sigap.OutboundMessage{reply(1, "a")}, false)
				q.add([]sigap.OutboundMessage{reply(7, "a")}, true)
				q.dispatch()
				q.chained("jakpus/a", reply(4, "a"))
				return []string{nextOf(q, "a"), nextOf(q, "a"), nextOf(q, "a")}
			},
			// Marking 4 sent claimed it, so more may wait behind: the turn's
			// end asks for a claim.
			want: []string{"next 4", "next 7", "end wake=true"},
		},
		{
			name: "at shutdown the ready replies are taken back", workers: 1,
			play: func(q *queues) []string {
				q.add([]sigap.OutboundMessage{reply(1, "a"), reply(2, "b"), reply(3, "c")}, false)
				q.dispatch()
				return []string{"took " + ids(q.takeReady()), fmt.Sprintf("held %d", q.held)}
			},
			want: []string{"took 2,3", "held 0"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.play(newQueues(tt.workers))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}
