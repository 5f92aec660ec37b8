// Package tally counts what the bot answers, for the dashboard and the
// console's "not understood" page: messages by service and day, and the
// texts it could not place. Counting costs a map update in memory per
// message; a replica writes its counts every few seconds in one
// transaction (Run), so the counts cost the database nothing per message.
//
// An unplaced text is stored normalised (the bot's reading: lower case,
// words only), with runs of five or more digits replaced by "#" (phone
// numbers and the like), and never with its sender. Texts not seen for
// Retain (30 days) are deleted, and day counts after 400 days. A message
// answered again after a failure may be counted twice; counts are a
// guide, not a ledger.
package tally

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/bot"
)

// Defaults.
const (
	Retain      = 30 * 24 * time.Hour
	RetainDays  = 400
	FlushEvery  = 5 * time.Second
	MaxTextLen  = 300 // runes of a stored text
	maxPending  = 10000
	unknownName = "unknown"
)

// Recorder gathers counts in memory and writes them.
type Recorder struct {
	Store sigap.UnplacedMessages
	Now   func() time.Time
	Log   *slog.Logger

	mu       sync.Mutex
	intents  map[sigap.IntentDay]int64 // Count zero in the key
	unplaced map[[2]string]*sigap.UnplacedMessage
}

// Observe is bot.Deps.Observe: it counts one answered service, and the
// text when the bot could not place it.
func (r *Recorder) Observe(office sigap.Office, intent, text string) {
	now := r.now()
	loc := office.TimeZone
	if loc == nil {
		loc = time.UTC
	}
	day := now.In(loc).Format(time.DateOnly)
	norm := ""
	if intent == unknownName {
		norm = Normalize(text)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.intents == nil {
		r.intents, r.unplaced = map[sigap.IntentDay]int64{}, map[[2]string]*sigap.UnplacedMessage{}
	}
	if len(r.intents)+len(r.unplaced) >= maxPending {
		return // the database has been away for long: drop rather than grow
	}
	r.intents[sigap.IntentDay{Office: office.Code, Day: day, Intent: intent}]++
	if norm == "" {
		return
	}
	k := [2]string{office.Code, norm}
	if u := r.unplaced[k]; u != nil {
		u.Count++
		u.LastSeen = now
		return
	}
	r.unplaced[k] = &sigap.UnplacedMessage{Office: office.Code, Text: norm, Count: 1, FirstSeen: now, LastSeen: now}
}

func (r *Recorder) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Flush writes what was counted since the last flush; on failure the
// counts are kept for the next one.
func (r *Recorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	var t sigap.UsageCounts
	for k, n := range r.intents {
		k.Count = n
		t.Intents = append(t.Intents, k)
	}
	for _, u := range r.unplaced {
		t.Unplaced = append(t.Unplaced, *u)
	}
	r.intents, r.unplaced = nil, nil
	r.mu.Unlock()
	if err := r.Store.AddUsage(ctx, t); err != nil {
		r.restore(t)
		return err
	}
	return nil
}

// restore puts counts that could not be written back.
func (r *Recorder) restore(t sigap.UsageCounts) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.intents == nil {
		r.intents, r.unplaced = map[sigap.IntentDay]int64{}, map[[2]string]*sigap.UnplacedMessage{}
	}
	for _, d := range t.Intents {
		n := d.Count
		d.Count = 0
		r.intents[d] += n
	}
	for _, u := range t.Unplaced {
		k := [2]string{u.Office, u.Text}
		if cur := r.unplaced[k]; cur != nil {
			cur.Count += u.Count
			cur.FirstSeen = u.FirstSeen
			continue
		}
		u := u
		r.unplaced[k] = &u
	}
}

// Prune deletes unplaced texts not seen for Retain and old day counts.
func (r *Recorder) Prune(ctx context.Context) (int64, error) {
	now := r.now()
	return r.Store.PruneUsage(ctx, now.Add(-Retain), now.AddDate(0, 0, -RetainDays).Format(time.DateOnly))
}

// Run flushes every FlushEvery and prunes every hour until ctx ends, then
// flushes once more.
func (r *Recorder) Run(ctx context.Context) {
	log := r.Log
	if log == nil {
		log = slog.Default()
	}
	tick := time.NewTicker(FlushEvery)
	defer tick.Stop()
	var lastPrune time.Time
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := r.Flush(fctx); err != nil {
				log.Warn("cannot write the last counts of services and unplaced messages", "err", err)
			}
			cancel()
			return
		case <-tick.C:
		}
		if err := r.Flush(ctx); err != nil {
			log.Warn("cannot write the counts of services and unplaced messages; kept for the next try", "err", err)
		}
		if now := r.now(); now.Sub(lastPrune) >= time.Hour {
			lastPrune = now
			if n, err := r.Prune(ctx); err != nil {
				log.Warn("cannot prune old unplaced messages", "err", err)
			} else if n > 0 {
				log.Info("pruned old unplaced messages and day counts", "rows", n)
			}
		}
	}
}

// Normalize is a text as stored: the bot's reading, digits masked, cut
// to MaxTextLen runes.
func Normalize(text string) string {
	words := strings.Fields(bot.NormalizeText(text))
	for i, w := range words {
		if digits(w) >= 5 {
			words[i] = "#"
		}
	}
	s := strings.Join(words, " ")
	if utf8.RuneCountInString(s) > MaxTextLen {
		s = string([]rune(s)[:MaxTextLen])
	}
	return s
}

func digits(w string) int {
	n := 0
	for _, r := range w {
		if unicode.IsDigit(r) {
			n++
		}
	}
	return n
}
