package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/importer"
)

// applicationIn is PUT /applications/{number}'s body: the CSV's columns.
type applicationIn struct {
	ApplicationNumber string `json:"application_number"`
	Office            string `json:"office"`
	ApplicantName     string `json:"applicant_name"`
	BirthDate         string `json:"birth_date"`
	PassportType      string `json:"passport_type"`
	Stage             string `json:"stage"`
	StageAt           string `json:"stage_at"`
	BillingCode       string `json:"billing_code"`
	BillingExpiresAt  string `json:"billing_expires_at"`
	Note              string `json:"note"`
}

// applicationOut is an application as the API shows it.
type applicationOut struct {
	applicationIn
	History []stageOut `json:"history,omitempty"`
}

type stageOut struct {
	Stage string `json:"stage"`
	At    string `json:"at"`
	Note  string `json:"note"`
}

func timeOut(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func showApplication(a sigap.Application) applicationIn {
	return applicationIn{
		ApplicationNumber: a.Number, Office: a.Office, ApplicantName: a.ApplicantName,
		BirthDate: a.BirthDate.Format("2006-01-02"), PassportType: string(a.PassportType),
		Stage: string(a.Stage), StageAt: timeOut(a.StageAt), BillingCode: a.BillingCode,
		BillingExpiresAt: timeOut(a.BillingExpiresAt), Note: a.Note,
	}
}

// pathNumber reads {number}: 16 digits.
func pathNumber(r *http.Request) (string, map[string]string) {
	n := r.PathValue("number")
	if !sigap.ValidApplicationNumber(n) {
		return n, map[string]string{"application_number": fmt.Sprintf("in the path is not %d digits", sigap.ApplicationNumberLen)}
	}
	return n, nil
}

// parseApplication reads a body into an application, naming every bad field.
func (a *API) parseApplication(in applicationIn, number string) (sigap.Application, map[string]string) {
	bad := map[string]string{}
	app := sigap.Application{Number: number, Office: strings.TrimSpace(in.Office), ApplicantName: strings.TrimSpace(in.ApplicantName),
		BillingCode: strings.TrimSpace(in.BillingCode), Note: strings.TrimSpace(in.Note)}
	if in.ApplicationNumber != "" && in.ApplicationNumber != number {
		bad["application_number"] = "differs from the number in the path"
	}
	if app.Office != "" {
		if _, ok := a.o.Offices(app.Office); !ok {
			bad["office"] = "is not an office in the offices file"
		}
	}
	var err error
	if in.BirthDate != "" {
		if app.BirthDate, err = time.Parse("2006-01-02", strings.TrimSpace(in.BirthDate)); err != nil {
			bad["birth_date"] = "want YYYY-MM-DD"
		}
	}
	app.PassportType = sigap.PassportType(strings.TrimSpace(in.PassportType))
	app.Stage = sigap.Stage(strings.TrimSpace(in.Stage))
	if in.StageAt != "" {
		if app.StageAt, err = time.Parse(time.RFC3339, strings.TrimSpace(in.StageAt)); err != nil {
			bad["stage_at"] = "want an RFC 3339 time such as 2026-01-02T09:00:00+07:00"
		}
	}
	if in.BillingExpiresAt != "" {
		if app.BillingExpiresAt, err = time.Parse(time.RFC3339, strings.TrimSpace(in.BillingExpiresAt)); err != nil {
			bad["billing_expires_at"] = "want an RFC 3339 time"
		}
	}
	var fe sigap.FieldErrors
	if errors.As(app.Validate(), &fe) {
		for _, f := range fe {
			if _, ok := bad[f.Field]; !ok {
				bad[f.Field] = f.Problem
			}
		}
	}
	app.StageAt, app.BillingExpiresAt = app.StageAt.UTC(), app.BillingExpiresAt.UTC()
	if app.BillingExpiresAt.Equal(time.Unix(0, 0).UTC()) {
		app.BillingExpiresAt = time.Time{}
	}
	return app, bad
}

// outOfScope is the 403 of a token that may not touch office.
func (a *API) outOfScope(r *http.Request, what string) reply {
	return reply{status: http.StatusForbidden, body: errBody(what+" is outside this token's offices", nil), outcome: "forbidden: " + what}
}

// putApplication: PUT /api/v1/applications/{number}.
func (a *API) putApplication(r *http.Request, tok sigap.APIToken) reply {
	number, bad := pathNumber(r)
	var in applicationIn
	if d := decode(nil, r, a.o.MaxBody, &in); d != nil {
		rep := a.decodeFailed(r, d)
		rep.app = number
		return rep
	}
	if bad != nil {
		return reply{status: http.StatusBadRequest, body: errBody("invalid fields", bad), outcome: "invalid number", app: number}
	}
	app, bad := a.parseApplication(in, number)
	if len(bad) > 0 {
		rep := reply{status: http.StatusBadRequest, body: errBody("invalid fields", bad), app: number, office: app.Office}
		rep.outcome = "invalid: " + fieldNames(bad)
		return rep
	}
	if !tok.Allows(app.Office) {
		rep := a.outOfScope(r, "office "+app.Office)
		rep.app, rep.office = number, app.Office
		return rep
	}
	// An application stored at an office outside the scope is not the
	// token's to change, nor to move.
	stored, err := a.o.Store.FindApplicationAnywhere(r.Context(), number)
	switch {
	case err == nil && !tok.Allows(stored.Office):
		rep := a.outOfScope(r, "application "+number)
		rep.app, rep.office = number, app.Office
		return rep
	case err != nil && !errors.Is(err, sigap.ErrNotFound):
		return a.fail(r, 0, err, nil)
	}
	res, err := a.o.Store.UpsertApplication(r.Context(), app)
	var move *sigap.OfficeMoveError
	switch {
	case errors.As(err, &move):
		rep := reply{status: http.StatusConflict, body: errBody("invalid fields", map[string]string{
			"office": fmt.Sprintf("the application is at office %s; the API does not move applications between offices", move.Stored)}),
			outcome: "conflict: stored at another office"}
		rep.app, rep.office = number, app.Office
		return rep
	case err != nil:
		rep := a.fail(r, 0, err, nil)
		rep.app, rep.office = number, app.Office
		return rep
	}
	status, result := http.StatusOK, "unchanged"
	switch res {
	case sigap.Inserted:
		status, result = http.StatusCreated, "created"
	case sigap.Updated:
		result = "updated"
	}
	stored, err = a.o.Store.FindApplicationAnywhere(r.Context(), number)
	if err != nil {
		stored = app
	}
	return reply{status: status, body: struct {
		Result      string        `json:"result"`
		Application applicationIn `json:"application"`
	}{result, showApplication(stored)}, app: number, office: app.Office, outcome: result}
}

// getApplication: GET /api/v1/applications/{number}.
func (a *API) getApplication(r *http.Request, tok sigap.APIToken) reply {
	number, bad := pathNumber(r)
	if bad != nil {
		return reply{status: http.StatusBadRequest, body: errBody("invalid fields", bad)}
	}
	app, err := a.o.Store.FindApplicationAnywhere(r.Context(), number)
	if err != nil {
		return a.fail(r, 0, fmt.Errorf("application %s: %w", number, unwrapKind(err)), nil)
	}
	if !tok.Allows(app.Office) {
		return a.outOfScope(r, "application "+number)
	}
	hist, err := a.o.Store.ApplicationHistory(r.Context(), number)
	if err != nil {
		return a.fail(r, 0, err, nil)
	}
	out := applicationOut{applicationIn: showApplication(app), History: []stageOut{}}
	for _, h := range hist {
		out.History = append(out.History, stageOut{Stage: string(h.Stage), At: timeOut(h.At), Note: h.Note})
	}
	return reply{status: http.StatusOK, body: out}
}

// unwrapKind keeps an error's kind and drops the store's words, which may
// name tables and offices.
func unwrapKind(err error) error {
	for _, kind := range []error{sigap.ErrNotFound, sigap.ErrInvalid, sigap.ErrUnavailable} {
		if errors.Is(err, kind) {
			return kind
		}
	}
	return err
}

// eventIn is POST /applications/{number}/events' body.
type eventIn struct {
	Stage            string `json:"stage"`
	At               string `json:"at"`
	Note             string `json:"note"`
	BillingCode      string `json:"billing_code"`
	BillingExpiresAt string `json:"billing_expires_at"`
}

// postEvent: POST /api/v1/applications/{number}/events.
func (a *API) postEvent(r *http.Request, tok sigap.APIToken) reply {
	number, bad := pathNumber(r)
	var in eventIn
	if d := decode(nil, r, a.o.MaxBody, &in); d != nil {
		rep := a.decodeFailed(r, d)
		rep.app = number
		return rep
	}
	if bad == nil {
		bad = map[string]string{}
	}
	ev := sigap.StageEvent{Stage: sigap.Stage(strings.TrimSpace(in.Stage)), Note: strings.TrimSpace(in.Note),
		BillingCode: strings.TrimSpace(in.BillingCode)}
	var err error
	if s := strings.TrimSpace(in.At); s != "" {
		if ev.At, err = time.Parse(time.RFC3339, s); err != nil {
			bad["at"] = "want an RFC 3339 time such as 2026-01-02T09:00:00+07:00"
		}
	}
	if s := strings.TrimSpace(in.BillingExpiresAt); s != "" {
		if ev.BillingExpiresAt, err = time.Parse(time.RFC3339, s); err != nil {
			bad["billing_expires_at"] = "want an RFC 3339 time"
		}
	}
	var fe sigap.FieldErrors
	if errors.As(ev.Validate(), &fe) {
		for _, f := range fe {
			if _, ok := bad[f.Field]; !ok {
				bad[f.Field] = f.Problem
			}
		}
	}
	if len(bad) > 0 {
		return reply{status: http.StatusBadRequest, body: errBody("invalid fields", bad), app: number, outcome: "invalid: " + fieldNames(bad)}
	}
	ev.At, ev.BillingExpiresAt = ev.At.UTC(), ev.BillingExpiresAt.UTC()
	if ev.BillingExpiresAt.Equal(time.Unix(0, 0).UTC()) {
		ev.BillingExpiresAt = time.Time{}
	}
	app, err := a.o.Store.FindApplicationAnywhere(r.Context(), number)
	if err != nil {
		rep := a.fail(r, 0, fmt.Errorf("application %s: %w", number, unwrapKind(err)), nil)
		rep.app = number
		return rep
	}
	if !tok.Allows(app.Office) {
		rep := a.outOfScope(r, "application "+number)
		rep.app = number
		return rep
	}
	res, err := a.addEvent(r.Context(), number, ev)
	if err != nil {
		rep := a.fail(r, 0, fmt.Errorf("application %s: %w", number, unwrapKind(err)), nil)
		rep.app, rep.office = number, app.Office
		return rep
	}
	now, err := a.o.Store.FindApplicationAnywhere(r.Context(), number)
	if err != nil {
		now = app
	}
	return reply{status: http.StatusOK, body: struct {
		Result      string        `json:"result"`
		Application applicationIn `json:"application"`
	}{res.String(), showApplication(now)}, app: number, office: app.Office, outcome: res.String()}
}

// addEvent applies ev, trying again when PostgreSQL reports that a
// concurrent writer got in between (ErrUnavailable from a conflict).
func (a *API) addEvent(ctx context.Context, number string, ev sigap.StageEvent) (sigap.EventResult, error) {
	var (
		res sigap.EventResult
		err error
	)
	for range 3 {
		if res, err = a.o.Store.AddStageEvent(ctx, number, ev); !errors.Is(err, sigap.ErrUnavailable) {
			break
		}
	}
	return res, err
}

// importOut is POST /imports' answer.
type importOut struct {
	Created   int             `json:"created"`
	Updated   int             `json:"updated"`
	Unchanged int             `json:"unchanged"`
	Errors    []lineErrorJSON `json:"errors"`
	// Error is set when the import stopped before the end of the body.
	Error string `json:"error,omitempty"`
}

type lineErrorJSON struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// postImport: POST /api/v1/imports, a CSV or NDJSON body.
func (a *API) postImport(r *http.Request, tok sigap.APIToken) reply {
	format := importer.CSV
	switch mediaType(r) {
	case "text/csv":
	case "application/x-ndjson":
		format = importer.NDJSON
	default:
		return reply{status: http.StatusUnsupportedMediaType, body: errBody("want Content-Type: text/csv or application/x-ndjson", nil),
			outcome: "unsupported media type"}
	}
	body := http.MaxBytesReader(nil, r.Body, a.o.MaxImport)
	var apps sigap.Applications = scopedApps{Applications: a.o.Store, tok: tok}
	if many, ok := a.o.Store.(sigap.BatchApplications); ok {
		// The importer's fast path: a batch a transaction.
		apps = scopedBatch{scopedApps{Applications: a.o.Store, tok: tok}, many}
	}
	known := func(code string) bool { _, ok := a.o.Offices(code); return ok }
	rep, err := importer.Import(r.Context(), body, apps, importer.Options{Format: format, KnownOffice: known})
	out := importOut{Created: rep.Inserted, Updated: rep.Updated, Unchanged: rep.Unchanged, Errors: []lineErrorJSON{}}
	for _, e := range rep.Errors {
		out.Errors = append(out.Errors, lineErrorJSON{Line: e.Line, Error: e.Err.Error()})
	}
	outcome := fmt.Sprintf("%d created, %d updated, %d unchanged, %d errors", out.Created, out.Updated, out.Unchanged, len(out.Errors))
	status := http.StatusOK
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
	case errors.As(err, &tooLarge):
		status, out.Error = http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes; the rows counted were stored, the rest not read", a.o.MaxImport)
	case strings.HasPrefix(err.Error(), "header") || strings.HasPrefix(err.Error(), "the file is empty"):
		status, out.Error = http.StatusBadRequest, err.Error()
	default:
		status = a.fail(r, 0, err, nil).status
		out.Error = fmt.Sprintf("stopped: %s; the rows counted were stored, the rest not read", http.StatusText(status))
	}
	if out.Error != "" {
		outcome += "; " + out.Error
	}
	return reply{status: status, body: out, outcome: outcome}
}

// scopedApps refuses, as a row's error, an application at an office
// outside the token's scope (named in the row, or stored).
type scopedApps struct {
	sigap.Applications
	tok sigap.APIToken
}

func (s scopedApps) UpsertApplication(ctx context.Context, app sigap.Application, opts ...sigap.UpsertOption) (sigap.UpsertResult, error) {
	if err := s.outside(app); err != nil {
		return sigap.Unchanged, err
	}
	res, err := s.Applications.UpsertApplication(ctx, app, opts...)
	return res, s.scoped(err)
}

// outside is the row error of an application whose office is outside the
// token's scope, or nil.
func (s scopedApps) outside(app sigap.Application) error {
	if s.tok.Allows(app.Office) {
		return nil
	}
	return sigap.FieldErrors{{Field: "office", Problem: fmt.Sprintf("%q is outside this token's offices", app.Office)}}
}

// scoped words a refusal to move an application stored at an office
// outside the scope without naming that office.
func (s scopedApps) scoped(err error) error {
	var move *sigap.OfficeMoveError
	if errors.As(err, &move) && !s.tok.Allows(move.Stored) {
		return sigap.FieldErrors{{Field: "application_number", Problem: "is an application at an office outside this token's offices"}}
	}
	return err
}

// scopedBatch is scopedApps over a store that upserts a batch at once.
type scopedBatch struct {
	scopedApps
	many sigap.BatchApplications
}

func (s scopedBatch) UpsertApplications(ctx context.Context, apps []sigap.Application, opts ...sigap.UpsertOption) ([]sigap.UpsertOutcome, error) {
	out := make([]sigap.UpsertOutcome, len(apps))
	in := make([]sigap.Application, 0, len(apps))
	at := make([]int, 0, len(apps))
	for i, app := range apps {
		if err := s.outside(app); err != nil {
			out[i] = sigap.UpsertOutcome{Result: sigap.Unchanged, Err: err}
			continue
		}
		in, at = append(in, app), append(at, i)
	}
	if len(in) == 0 {
		return out, nil
	}
	got, err := s.many.UpsertApplications(ctx, in, opts...)
	if err != nil {
		return nil, err
	}
	if len(got) != len(in) {
		return nil, fmt.Errorf("the store answered %d rows of %d", len(got), len(in))
	}
	for k, o := range got {
		o.Err = s.scoped(o.Err)
		out[at[k]] = o
	}
	return out, nil
}

// queueIn is PUT /offices/{office}/queue's body.
type queueIn struct {
	Number string `json:"number"`
}

// putQueue: PUT /api/v1/offices/{office}/queue.
func (a *API) putQueue(r *http.Request, tok sigap.APIToken) reply {
	code := r.PathValue("office")
	var in queueIn
	if d := decode(nil, r, a.o.MaxBody, &in); d != nil {
		rep := a.decodeFailed(r, d)
		rep.office = code
		return rep
	}
	if _, ok := a.o.Offices(code); !ok {
		return reply{status: http.StatusNotFound, body: errBody("no such office: "+code, nil), outcome: "no such office"}
	}
	if !tok.Allows(code) {
		rep := a.outOfScope(r, "office "+code)
		rep.office = code
		return rep
	}
	q := sigap.QueueNumber{Office: code, Number: strings.TrimSpace(in.Number), SetAt: a.o.Now()}
	if err := sigap.CheckQueueNumber(q.Number); err != nil {
		msg := strings.TrimPrefix(err.Error(), sigap.ErrInvalid.Error()+": ")
		return reply{status: http.StatusBadRequest, body: errBody("invalid fields", map[string]string{"number": msg}),
			office: code, outcome: "invalid: number"}
	}
	if err := a.o.Store.SetQueueNumber(r.Context(), q); err != nil {
		rep := a.fail(r, 0, err, nil)
		rep.office = code
		return rep
	}
	return reply{status: http.StatusOK, body: struct {
		Office string `json:"office"`
		Number string `json:"number"`
		SetAt  string `json:"set_at"`
	}{code, q.Number, timeOut(q.SetAt)}, office: code, outcome: "queue " + q.Number}
}

func fieldNames(bad map[string]string) string {
	var names []string
	for _, f := range append(append([]string{}, sigap.ApplicationFields...), "at", "number") {
		if _, ok := bad[f]; ok {
			names = append(names, f)
		}
	}
	for f := range bad {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+f+" ") {
			names = append(names, f)
		}
	}
	return strings.Join(names, ", ")
}
