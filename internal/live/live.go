// Package live lays the staff console's content changes (texts, keywords,
// synonyms, stored in the database) over the offices file's, on every
// replica: each replica reads the shared version number at most once per
// Every (a second by default) as messages come, and reloads the changes
// only when it moved. A change made on this replica is seen at once
// (Refresh).
package live

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sigap-id/sigap"
)

// Checker says why a text override cannot replace a text (content's
// CheckText): one that stopped being valid (the national content changed
// under it) is left out, so that it cannot stop the office's answers.
type Checker func(lang, key, src string) error

// Offices finds offices with their console changes.
type Offices struct {
	base  func(code string) (sigap.Office, bool)
	list  func() []sigap.Office
	store sigap.ContentOverrides
	check Checker
	every time.Duration
	now   func() time.Time
	log   *slog.Logger

	snap    atomic.Pointer[snapshot]
	checked atomic.Int64 // unix ms of the last version read
	mu      sync.Mutex   // one reload at a time
}

type snapshot struct {
	version int64
	byCode  map[string][]sigap.ContentOverride
	// applied are the offices with changes, laid over once per reload
	// rather than once per message.
	applied map[string]sigap.Office
}

// Options configure Offices; Base, List and Store are required.
type Options struct {
	Base  func(code string) (sigap.Office, bool)
	List  func() []sigap.Office
	Store sigap.ContentOverrides
	Check Checker
	Every time.Duration // default 1s
	Now   func() time.Time
	Log   *slog.Logger
}

// New returns offices with their changes; call Refresh once before use to
// start with what is stored.
func New(o Options) *Offices {
	if o.Every <= 0 {
		o.Every = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	l := &Offices{base: o.Base, list: o.List, store: o.Store, check: o.Check, every: o.Every, now: o.Now, log: o.Log}
	l.snap.Store(&snapshot{version: -1})
	return l
}

// ByCode returns the office with its console changes.
func (l *Offices) ByCode(code string) (sigap.Office, bool) {
	office, ok := l.base(code)
	if !ok {
		return office, false
	}
	l.maybeRefresh()
	if o, ok := l.snap.Load().applied[code]; ok {
		return o, true
	}
	return office, true
}

// List returns every office with its changes.
func (l *Offices) List() []sigap.Office {
	l.maybeRefresh()
	s := l.snap.Load()
	var out []sigap.Office
	for _, o := range l.list() {
		if a, ok := s.applied[o.Code]; ok {
			o = a
		}
		out = append(out, o)
	}
	return out
}

// Overrides returns an office's stored changes (as of the last reload).
func (l *Offices) Overrides(code string) []sigap.ContentOverride {
	l.maybeRefresh()
	return slices.Clone(l.snap.Load().byCode[code])
}

// Version is the version of the changes in use.
func (l *Offices) Version() int64 { return l.snap.Load().version }

// maybeRefresh reads the version when the last read is older than every.
// One caller reads; the others go on with what they have.
func (l *Offices) maybeRefresh() {
	now := l.now().UnixMilli()
	last := l.checked.Load()
	if now-last < l.every.Milliseconds() || !l.checked.CompareAndSwap(last, now) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := l.refresh(ctx, false); err != nil {
		l.log.Warn("cannot read the console's content changes; using the ones loaded before", "err", err)
	}
}

// Refresh reloads the changes now: after a change made on this replica.
func (l *Offices) Refresh(ctx context.Context) error {
	l.checked.Store(l.now().UnixMilli())
	return l.refresh(ctx, true)
}

func (l *Offices) refresh(ctx context.Context, force bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !force {
		v, err := l.store.ContentVersion(ctx)
		if err != nil {
			return err
		}
		if v == l.snap.Load().version {
			return nil
		}
	}
	all, v, err := l.store.ContentOverrides(ctx)
	if err != nil {
		return err
	}
	s := &snapshot{version: v, byCode: map[string][]sigap.ContentOverride{}, applied: map[string]sigap.Office{}}
	for _, o := range all {
		s.byCode[o.Office] = append(s.byCode[o.Office], o)
	}
	for code, changes := range s.byCode {
		if base, ok := l.base(code); ok {
			s.applied[code] = l.apply(base, changes)
		}
	}
	l.snap.Store(s)
	return nil
}

// apply lays changes over office: texts replace, keywords and synonyms add.
func (l *Offices) apply(office sigap.Office, changes []sigap.ContentOverride) sigap.Office {
	if len(changes) == 0 {
		return office
	}
	texts := map[string]map[string]string{}
	for lang, m := range office.Texts {
		texts[lang] = maps.Clone(m)
	}
	keywords := map[string][]string{}
	for intent, ws := range office.Keywords {
		keywords[intent] = slices.Clone(ws)
	}
	synonyms := map[string][]string{}
	for intent, ws := range office.Synonyms {
		synonyms[intent] = slices.Clone(ws)
	}
	for _, c := range changes {
		switch c.Kind {
		case sigap.OverrideText:
			if l.check != nil {
				if err := l.check(c.Lang, c.Item, c.Value); err != nil {
					l.log.Warn("a console text no longer fits the content; the office's default is used", "office", office.Code,
						"lang", c.Lang, "text", c.Item, "err", err)
					continue
				}
			}
			if texts[c.Lang] == nil {
				texts[c.Lang] = map[string]string{}
			}
			texts[c.Lang][c.Item] = c.Value
		case sigap.OverrideKeyword:
			keywords[c.Item] = append(keywords[c.Item], c.Value)
		case sigap.OverrideSynonym:
			synonyms[c.Item] = append(synonyms[c.Item], c.Value)
		}
	}
	office.Texts, office.Keywords, office.Synonyms = texts, keywords, synonyms
	return office
}
