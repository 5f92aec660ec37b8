package bot

import (
	"time"

	"github.com/sigap-id/sigap"
)

// privacy answers #privasi: what is kept, why, for how long, who sees it
// and how to ask for a copy or erasure (UU 27/2022). The periods are those
// the store applies (Deps.Retention), so the notice cannot say otherwise.
func (t *turn) privacy() ([]sigap.Reply, error) {
	p := t.e.deps.Retention.OrDefaults()
	d := t.data()
	for _, k := range []struct {
		into *string
		keep time.Duration
	}{
		{&d.KeepText, p.MessageText},
		{&d.KeepReplies, p.Replies},
		{&d.KeepConversations, p.Conversations},
		{&d.KeepTickets, p.Tickets},
		{&d.KeepApplications, p.Applications},
	} {
		words, err := t.period(k.keep)
		if err != nil {
			return nil, err
		}
		*k.into = words
	}
	return t.one(t.text("privacy.notice", d))
}

// period puts a retention period in words: whole years ("1 tahun"),
// whole days from two on ("90 hari"), else hours, rounded up ("24 jam").
func (t *turn) period(d time.Duration) (string, error) {
	const day, year = 24 * time.Hour, 365 * 24 * time.Hour
	data := t.data()
	key := "privacy.hours"
	switch {
	case d >= year && d%year == 0:
		key, data.Count = "privacy.years", int(d/year)
	case d >= 2*day && d%day == 0:
		key, data.Count = "privacy.days", int(d/day)
	default:
		data.Count = int((d + time.Hour - 1) / time.Hour)
	}
	return t.setup.cat.Text(t.lang, key, data)
}
