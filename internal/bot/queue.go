package bot

import (
	"errors"

	"github.com/sigap-id/sigap"
)

// pickup answers #antrian: how to collect, headed by the queue number the
// office published today (through the integration API), with when it was
// set. A number from an earlier day is not shown: it would send the
// applicant to a queue that has moved on.
func (t *turn) pickup() ([]sigap.Reply, error) {
	r, err := t.text(intentPickup, t.data())
	if err != nil || t.e.deps.Queue == nil {
		return t.one(r, err)
	}
	q, err := t.e.deps.Queue.QueueNumber(t.ctx, t.office.Code)
	if errors.Is(err, sigap.ErrNotFound) || err == nil && !q.ShownAt(t.now, t.loc) {
		return t.one(r, nil)
	}
	if err != nil {
		return nil, err
	}
	d := t.data()
	d.QueueNumber = q.Number
	if d.QueueSetAt, err = t.dateTime(q.SetAt); err != nil {
		return nil, err
	}
	head, err := t.text("pickup_queue", d)
	if err != nil {
		return nil, err
	}
	r.Text = head.Text + "\n\n" + r.Text
	return t.one(r, nil)
}
