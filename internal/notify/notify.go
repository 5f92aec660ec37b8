// Package notify tells applicants who opted in when their application
// reaches a stage that asks something of them or ends it (sigap.NotifyStages:
// ready, on_hold, awaiting_payment, cancelled).
//
// It does not hook into any write path: the import, the integration API and
// the staff console all just store applications. A Notifier on every
// replica polls the store for subscriptions whose application is at such a
// stage newer than the subscription's cursor (sigap.Notifications), words
// one message for each and queues it in the outbox in the same transaction
// that moves the cursor, conditionally, so that two replicas or a restart
// never tell a change twice. The outbox's sender then sends it within the
// office's budget, with the same retries and error classes as replies.
package notify

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/content"
	"github.com/sigap-id/sigap/internal/metrics"
)

// Store is what the notifier reads and writes: the due notifications, and
// each subscriber's conversation, for their language and their 24-hour
// window.
type Store interface {
	sigap.Notifications
	Conversation(ctx context.Context, office, user string) (sigap.Conversation, error)
}

// Outcomes, as sigap_notifications_total names them.
const (
	OutcomeText       = "text"        // free-form, inside the window
	OutcomeTemplate   = "template"    // the office's notifications.template
	OutcomeNoTemplate = "no_template" // outside the window without one: recorded failed
	OutcomeError      = "error"       // not stored; tried again at the next poll
)

// NoTemplateReason is what sigap outbox shows for a notification that fell
// outside the applicant's window at an office without a template.
const NoTemplateReason = "notification outside the 24-hour customer service window; the office has no notifications.template"

// Defaults.
const (
	DefaultPoll  = 5 * time.Second
	DefaultBatch = 100
	// windowMargin: a free-form message must reach the sender with this
	// much of the window left, or it is sent as the template, so that a
	// busy outbox does not carry it past the window's end.
	windowMargin = 5 * time.Minute
)

// Options configure a Notifier. Store, Offices and Content are required.
type Options struct {
	Store   Store
	Offices []sigap.Office
	// Lookup, if set, gives each office as it stands now (with the texts
	// staff changed in the console) at every poll; Offices says which.
	Lookup  func(code string) (sigap.Office, bool)
	Content *content.Catalog
	Log     *slog.Logger
	Metrics *metrics.Metrics
	// Now is the clock (the binary's one clock); default time.Now.
	Now func() time.Time
	// Poll is how often the store is asked; default DefaultPoll.
	Poll time.Duration
	// Batch bounds the notifications taken per office per poll; default
	// DefaultBatch. More wait for the next poll.
	Batch int
}

// Notifier polls for due notifications and queues them.
type Notifier struct {
	o    Options
	mu   sync.Mutex
	cats map[string]officeCatalog // by office code: its own texts over the national ones
}

// officeCatalog is an office's catalog and the texts it was built from, so
// that it is built again only when they change.
type officeCatalog struct {
	texts map[string]map[string]string
	cat   *content.Catalog
}

// New checks o and returns a notifier.
func New(o Options) (*Notifier, error) {
	if o.Store == nil || o.Content == nil {
		return nil, fmt.Errorf("notify: a store and content are required")
	}
	o.Log = cmp.Or(o.Log, slog.Default())
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Poll, o.Batch = cmp.Or(o.Poll, DefaultPoll), cmp.Or(o.Batch, DefaultBatch)
	n := &Notifier{o: o, cats: map[string]officeCatalog{}}
	for _, office := range o.Offices {
		if _, err := n.catalogOf(office); err != nil {
			return nil, fmt.Errorf("notify: office %s: %w", office.Code, err)
		}
	}
	return n, nil
}

// Run polls every Poll until ctx ends.
func (n *Notifier) Run(ctx context.Context) {
	t := time.NewTicker(n.o.Poll)
	defer t.Stop()
	for {
		if _, err := n.Once(ctx); err != nil && ctx.Err() == nil {
			n.o.Log.Warn("notifications: poll failed; trying again at the next", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once queues the notifications due now at every office outside its quiet
// hours, and reports how many this notifier told (another replica may
// have told some first). The first error stops the office it came from;
// the other offices still go.
func (n *Notifier) Once(ctx context.Context) (int, error) {
	told := 0
	var first error
	for _, office := range n.o.Offices {
		if ctx.Err() != nil {
			return told, ctx.Err()
		}
		if n.o.Lookup != nil {
			if now, ok := n.o.Lookup(office.Code); ok {
				office = now
			}
		}
		k, err := n.office(ctx, office)
		told += k
		if err != nil && first == nil {
			first = fmt.Errorf("office %s: %w", office.Code, err)
		}
	}
	return told, first
}

// office tells what is due at one office, unless it is in its quiet hours:
// then it waits, and is told at the first poll after they end.
func (n *Notifier) office(ctx context.Context, office sigap.Office) (int, error) {
	now := n.o.Now()
	if quiet, _ := office.Notifications.Quiet.Quiet(now, office.TimeZone); quiet {
		return 0, nil
	}
	due, err := n.o.Store.DueNotifications(ctx, office.Code, n.o.Batch)
	if err != nil {
		return 0, err
	}
	told := 0
	for _, d := range due {
		ok, err := n.tell(ctx, office, d, now)
		if err != nil {
			n.o.Metrics.Notification(office.Code, OutcomeError)
			return told, err
		}
		if ok {
			told++
		}
	}
	return told, nil
}

// tell words d and queues it, moving its cursor; false if another
// notifier told it first or it is no longer due.
func (n *Notifier) tell(ctx context.Context, office sigap.Office, d sigap.DueNotification, now time.Time) (bool, error) {
	app := d.Application
	if strings.HasPrefix(d.User, sigap.TestSenderPrefix) {
		// The simulator's test senders have no WhatsApp to send to.
		return n.o.Store.Notify(ctx, d, nil, "")
	}
	conv, err := n.o.Store.Conversation(ctx, office.Code, d.User)
	if err != nil {
		return false, fmt.Errorf("conversation: %w", err)
	}
	var windowEnds time.Time
	if !conv.LastInboundAt.IsZero() {
		windowEnds = conv.LastInboundAt.Add(sigap.CustomerServiceWindow)
	}
	lang := cmp.Or(conv.Lang, content.DefaultLang)
	msg := sigap.OutboundMessage{Office: office.Code, To: d.User, WindowEndsAt: windowEnds}
	text, err := n.words(office, lang, app, now)
	if err != nil {
		return false, err
	}
	msg.Reply.Text = text
	outcome, reason := OutcomeText, ""
	inside := !windowEnds.IsZero() && now.Add(windowMargin).Before(windowEnds)
	switch t := office.Notifications.Template; {
	case inside:
	case t != nil:
		outcome = OutcomeTemplate
		tmpl := *t
		if tmpl.Params, err = n.params(office, t, lang, app, now); err != nil {
			return false, err
		}
		msg.Reply.Template = &tmpl
	default:
		outcome, reason = OutcomeNoTemplate, NoTemplateReason
	}
	ok, err := n.o.Store.Notify(ctx, d, &msg, reason)
	if err != nil || !ok {
		return ok, err
	}
	n.o.Metrics.Notification(office.Code, outcome)
	// Never the number whole, nor the recipient: the number's last digits
	// and the outcome are enough to follow one.
	attrs := []any{"office", office.Code, "application", "…" + last(app.Number, 4), "stage", app.Stage, "as", outcome}
	if reason != "" {
		n.o.Log.Warn("notification not sent: recorded failed in the outbox (sigap outbox)", append(attrs, "reason", reason)...)
	} else {
		n.o.Log.Info("notification queued", attrs...)
	}
	return true, nil
}

func last(s string, k int) string {
	if len(s) <= k {
		return s
	}
	return s[len(s)-k:]
}

// data is what the notification's texts show, as the status answer has
// it: the stage in words, since when, what comes next, what to do.
func (n *Notifier) data(office sigap.Office, lang string, app sigap.Application, now time.Time) (content.Data, error) {
	cat := n.catalog(office)
	loc := office.TimeZone
	if loc == nil {
		loc = time.UTC
	}
	d := content.Data{Office: cmp.Or(office.Name, office.Code), Hours: office.Hours, Address: office.Address, Phone: office.Phone}
	stageAt := app.StageAt.In(loc)
	y, m, day := stageAt.Date()
	collectBy := time.Date(y, m, day+30, 0, 0, 0, 0, loc)
	d.Number = app.Number
	d.Name = sigap.MaskedName(app.ApplicantName)
	d.Since = cat.Date(lang, stageAt)
	d.Note = strings.TrimSpace(app.Note)
	d.BillingCode = app.BillingCode
	d.CollectBy = cat.Date(lang, collectBy)
	d.CollectOverdue = !now.Before(collectBy.AddDate(0, 0, 1))
	if !app.BillingExpiresAt.IsZero() {
		d.BillingExpired = !now.Before(app.BillingExpiresAt)
		at := app.BillingExpiresAt.In(loc)
		dt := d
		dt.Date = cat.Date(lang, at)
		dt.Hour, dt.Minute, dt.Zone = fmt.Sprintf("%02d", at.Hour()), fmt.Sprintf("%02d", at.Minute()), at.Format("MST")
		s, err := cat.Text(lang, "datetime", dt)
		if err != nil {
			return d, err
		}
		d.BillingDeadline = s
	}
	prefix := "stage." + string(app.Stage) + "."
	for _, f := range []struct {
		part string
		dst  *string
	}{{"name", &d.Stage}, {"next", &d.Next}, {"todo", &d.Todo}} {
		s, err := cat.Text(lang, prefix+f.part, d)
		if err != nil {
			return d, fmt.Errorf("application stage %s: %w", app.Stage, err)
		}
		*f.dst = s
	}
	return d, nil
}

// words is the free-form notification.
func (n *Notifier) words(office sigap.Office, lang string, app sigap.Application, now time.Time) (string, error) {
	d, err := n.data(office, lang, app, now)
	if err != nil {
		return "", err
	}
	return n.catalog(office).Text(lang, "notification", d)
}

// params are the template's parameter values, in the language of the
// template where the content has it (en_US: en), else the applicant's.
func (n *Notifier) params(office sigap.Office, t *sigap.Template, lang string, app sigap.Application, now time.Time) ([]string, error) {
	if len(t.Params) == 0 {
		return nil, nil
	}
	tl, _, _ := strings.Cut(t.Language, "_")
	for _, l := range n.o.Content.Langs() {
		if l == tl {
			lang = tl
		}
	}
	d, err := n.data(office, lang, app, now)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(t.Params))
	for i, p := range t.Params {
		switch p {
		case "number":
			out[i] = app.Number
		case "number_masked":
			out[i] = strings.Repeat("*", max(0, len(app.Number)-4)) + last(app.Number, 4)
		case "name_masked":
			out[i] = d.Name
		case "stage":
			out[i] = d.Stage
		case "since":
			out[i] = d.Since
		case "office":
			out[i] = d.Office
		default: // the offices file is checked at start
			return nil, fmt.Errorf("notifications.template.params: unknown value %q", p)
		}
		// The Cloud API refuses an empty parameter.
		out[i] = cmp.Or(out[i], "-")
	}
	return out, nil
}

// catalog is office's catalog: the national one when its texts cannot be
// laid over it (checked when they were saved, so only if the national
// content changed under them).
func (n *Notifier) catalog(office sigap.Office) *content.Catalog {
	cat, err := n.catalogOf(office)
	if err != nil {
		n.o.Log.Warn("notifications: the office's own texts do not fit the national ones; using the national texts",
			"office", office.Code, "err", err)
		return n.o.Content
	}
	return cat
}

func (n *Notifier) catalogOf(office sigap.Office) (*content.Catalog, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if c, ok := n.cats[office.Code]; ok && maps.EqualFunc(c.texts, office.Texts, maps.Equal) {
		return c.cat, nil
	}
	cat, err := n.o.Content.WithTexts(office.Texts)
	if err != nil {
		return nil, err
	}
	n.cats[office.Code] = officeCatalog{texts: office.Texts, cat: cat}
	return cat, nil
}
