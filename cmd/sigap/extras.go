package main

// The staff console's content changes, laid over the offices file on
// every replica (internal/live), and the counts of services and unplaced
// messages (internal/tally) that the dashboard and "not understood" read.

import (
	"context"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/bot"
	"github.com/sigap-id/sigap/internal/console"
	"github.com/sigap-id/sigap/internal/content"
	"github.com/sigap-id/sigap/internal/live"
	"github.com/sigap-id/sigap/internal/tally"
	"github.com/sigap-id/sigap/internal/web"
)

type extras struct {
	live       *live.Offices
	tally      *tally.Recorder // set by serve; nil counts nothing
	cat        *content.Catalog
	bot        *bot.Engine
	consoleExt []func(*console.Console)
}

// addConsolePages adds the content, "not understood", dashboard and
// simulator pages to the console serve builds next. The console's
// simulator is its own: signed-in staff, their offices only.
func (a *app) addConsolePages(chat func(context.Context, sigap.Office, sigap.InboundMessage) ([]sigap.Reply, error), hints []web.Hint) {
	sim := &web.Simulator{Offices: a.offices.List(), Lookup: a.live.ByCode, Chat: chat, Hints: hints, Log: a.log}
	a.consoleExt = append(a.consoleExt, console.Extras{Catalog: a.cat, Live: a.live, Engine: a.bot, Simulator: sim}.Pages())
}

// liveOffices returns the offices with the console's changes, made once.
func (a *app) liveOffices(cat *content.Catalog) *live.Offices {
	if a.live != nil {
		return a.live
	}
	a.cat = cat
	a.live = live.New(live.Options{Base: a.offices.ByCode, List: a.offices.List, Store: a.store, Check: cat.CheckText, Now: a.now, Log: a.log})
	if err := a.live.Refresh(context.Background()); err != nil {
		// The database answered a moment ago; the next message retries.
		a.log.Warn("cannot read the console's content changes yet", "err", err)
	}
	return a.live
}

// startTally makes the recorder the bot reports to; serve runs it.
func (a *app) startTally() *tally.Recorder {
	a.tally = &tally.Recorder{Store: a.store, Now: a.now, Log: a.log}
	return a.tally
}

// observe is the bot's Deps.Observe: nil without a recorder.
func (a *app) observe() func(sigap.Office, string, string) {
	if a.tally == nil {
		return nil
	}
	return a.tally.Observe
}
