package main

import (
	"github.com/sigap-id/sigap/internal/content"
	"github.com/sigap-id/sigap/internal/notify"
)

// notifier builds the stage-change notifier: every replica runs one; the
// store makes sure each change is told once (see internal/notify). It
// words them with the texts staff changed in the console, as the bot does.
func (a *app) notifier() (*notify.Notifier, error) {
	cat, err := content.Load()
	if err != nil {
		return nil, err
	}
	return notify.New(notify.Options{Store: a.store, Offices: a.offices.List(), Lookup: a.liveOffices(cat).ByCode, Content: cat,
		Log: a.log, Metrics: a.metrics, Now: a.now})
}
