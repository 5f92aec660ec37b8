package bot

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sigap-id/sigap"
)

// Rate-limit windows: look-ups per hour, failures per day (both a sender's),
// and an application number's wrong birth dates from everyone, which also
// lock the number for as long.
const (
	lookupWindow  = time.Hour
	failureWindow = 24 * time.Hour
	numberWindow  = 24 * time.Hour
)

// finalStages need nothing more from anyone: no #notif offer.
var finalStages = []sigap.Stage{sigap.StageCollected, sigap.StageShipped, sigap.StageRejected, sigap.StageCancelled}

// startStatus answers an application number: it asks for the birth date
// first unless the office does not, whether or not the number exists, so
// that the question tells a stranger nothing.
func (t *turn) startStatus(conv *sigap.Conversation, number string) ([]sigap.Reply, error) {
	if r, err := t.limited(conv, false); r != nil || err != nil {
		return r, err
	}
	if !t.office.VerifyBirthDate {
		return t.lookup(conv, number, nil)
	}
	conv.Awaiting, conv.AwaitingNumber, conv.AwaitingSince = awaitBirthDate, number, t.now
	d := t.data()
	d.Number = number
	return t.one(t.text("birth_date.prompt", d))
}

// limited returns the "try again later" answer when the sender has used up
// today's failures or this hour's look-ups. With hit, the look-up about to
// be made is counted.
func (t *turn) limited(conv *sigap.Conversation, hit bool) ([]sigap.Reply, error) {
	max := t.office.Limits.OrDefaults()
	if conv.Failures.In(t.now, failureWindow) >= max.FailuresPerDay {
		return t.limitReply("limit.failures", max.FailuresPerDay, failureWindow)
	}
	n := conv.Lookups.In(t.now, lookupWindow)
	if hit {
		conv.Lookups.Add(t.now, lookupWindow)
		n++
	}
	if hit && n > max.LookupsPerHour || !hit && n >= max.LookupsPerHour {
		return t.limitReply("limit.lookups", max.LookupsPerHour, lookupWindow)
	}
	return nil, nil
}

func (t *turn) limitReply(key string, max int, window time.Duration) ([]sigap.Reply, error) {
	_, end := sigap.LimitWindow(t.now, window)
	until, err := t.dateTime(end)
	if err != nil {
		return nil, err
	}
	d := t.data()
	d.Max, d.Until = max, until
	return t.one(t.text(key, d))
}

// lookup answers about application number. birth is the birth date the
// applicant gave, or nil when the office does not ask for it. An unknown
// number, another office's number, a wrong birth date and a locked number
// get the same reply, and count as a failure against the sender's daily
// limit.
func (t *turn) lookup(conv *sigap.Conversation, number string, birth *time.Time) ([]sigap.Reply, error) {
	if r, err := t.limited(conv, true); r != nil || err != nil {
		return r, err
	}
	app, err := t.e.deps.Applications.FindApplication(t.ctx, t.office.Code, number)
	switch {
	case errors.Is(err, sigap.ErrNotFound):
		if r, err := t.elsewhere(number, birth); r != nil || err != nil {
			return r, err
		}
		return t.notFound(conv, number, birth != nil)
	case err != nil:
		return nil, fmt.Errorf("find application: %w", err)
	case birth != nil:
		ok, err := t.birthDateHolds(app, *birth, t.office.Limits)
		if err != nil {
			return nil, err
		}
		if !ok {
			return t.notFound(conv, number, true)
		}
	}
	t.remember(conv, app.Number)
	if t.subscribes(conv) && t.e.deps.Subscriptions != nil {
		if err := t.e.deps.Subscriptions.Subscribe(t.ctx, t.office.Code, t.user, app.Number, t.now); err != nil {
			return nil, fmt.Errorf("subscribe: %w", err)
		}
	}
	return t.status(app, t.subscribes(conv))
}

// birthDateHolds reports whether birth is app's birth date and the number
// is not locked. A wrong birth date counts against the number whoever sent
// it (see sigap.LookupGuard), up to limits.FailuresPerNumber within
// numberWindow; the one that reaches it locks the number for numberWindow,
// and until then no birth date holds, not even the right one. Offices that
// do not ask for the birth date never come here: they have no guess to
// count, and their number is all an asker needs.
func (t *turn) birthDateHolds(app sigap.Application, birth time.Time, limits sigap.OfficeLimits) (bool, error) {
	guard := t.e.deps.Guard
	if guard == nil {
		return false, errors.New("no look-up guard")
	}
	locked, err := guard.NumberLocked(t.ctx, app.Office, app.Number, t.now)
	if err != nil {
		return false, fmt.Errorf("number locked: %w", err)
	}
	if locked {
		return false, nil
	}
	if app.SameBirthDate(birth.Date()) {
		return true, nil
	}
	f := sigap.NumberFailure{Office: app.Office, Number: app.Number, MessageID: t.msg.ID, At: t.now}
	lim := sigap.NumberLimit{Max: limits.OrDefaults().FailuresPerNumber, Window: numberWindow}
	if _, err := guard.CountNumberFailure(t.ctx, f, lim); err != nil {
		return false, fmt.Errorf("count number failure: %w", err)
	}
	return false, nil
}

// remember keeps number first among the sender's looked-up applications.
func (t *turn) remember(conv *sigap.Conversation, number string) {
	nums := slices.DeleteFunc(conv.Numbers, func(n string) bool { return n == number })
	conv.Numbers = append([]string{number}, nums...)
	if len(conv.Numbers) > sigap.MaxConversationNumbers {
		conv.Numbers = conv.Numbers[:sigap.MaxConversationNumbers]
	}
}

func (t *turn) notFound(conv *sigap.Conversation, number string, askedBirthDate bool) ([]sigap.Reply, error) {
	conv.Failures.Add(t.now, failureWindow)
	d := t.data()
	d.Number, d.AskedBirthDate = number, askedBirthDate
	return t.one(t.text("not_found", d))
}

// elsewhere names the office handling number, for an office that chose to
// (name_handling_office), once the birth date matches where it is asked.
func (t *turn) elsewhere(number string, birth *time.Time) ([]sigap.Reply, error) {
	dir := t.e.deps.Directory
	if !t.office.NameHandlingOffice || dir == nil || t.e.deps.Offices == nil {
		return nil, nil
	}
	app, err := dir.FindApplicationAnywhere(t.ctx, number)
	if errors.Is(err, sigap.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find application elsewhere: %w", err)
	}
	other, ok := t.e.deps.Offices(app.Office)
	if !ok || app.Office == t.office.Code {
		return nil, nil
	}
	if birth != nil {
		// Naming the office would confirm the birth date: the guess
		// counts against the number at its own office, by its limits.
		if ok, err := t.birthDateHolds(app, *birth, other.Limits); !ok || err != nil {
			return nil, err
		}
	}
	d := t.data()
	d.Number, d.OtherOffice, d.OtherNumber = number, other.Name, other.DisplayNumber
	return t.one(t.text("other_office", d))
}

// status words an application's stage: where it is, since when, what
// comes next and what the applicant must do.
func (t *turn) status(app sigap.Application, notifying bool) ([]sigap.Reply, error) {
	stageAt := app.StageAt.In(t.loc)
	y, m, day := stageAt.Date()
	collectBy := time.Date(y, m, day+30, 0, 0, 0, 0, t.loc)
	d := t.data()
	d.Number = app.Number
	d.Name = sigap.MaskedName(app.ApplicantName)
	d.Since = t.setup.cat.Date(t.lang, stageAt)
	d.Note = strings.TrimSpace(app.Note)
	d.BillingCode = app.BillingCode
	d.CollectBy = t.setup.cat.Date(t.lang, collectBy)
	d.CollectOverdue = !t.now.Before(collectBy.AddDate(0, 0, 1))
	d.NotifyHint = !notifying && !slices.Contains(finalStages, app.Stage)
	if !app.BillingExpiresAt.IsZero() {
		d.BillingExpired = !t.now.Before(app.BillingExpiresAt)
		var err error
		if d.BillingDeadline, err = t.dateTime(app.BillingExpiresAt); err != nil {
			return nil, err
		}
	}
	prefix := "stage." + string(app.Stage) + "."
	for _, f := range []struct {
		part string
		dst  *string
	}{{"name", &d.Stage}, {"next", &d.Next}, {"todo", &d.Todo}} {
		s, err := t.setup.cat.Text(t.lang, prefix+f.part, d)
		if err != nil {
			return nil, fmt.Errorf("application %s: %w", app.Number, err)
		}
		*f.dst = s
	}
	return t.one(t.text("status", d))
}
