// Package api is the integration API under /api/v1: the upstream passport
// system pushes applications, their stage changes and each office's pickup
// queue number, with a token per integration scoped to offices (sigap
// token). Its OpenAPI 3 document, openapi.json, is served at
// /api/v1/openapi.json and tested against the routes.
//
// Every request but the document's shows a token (Authorization: Bearer),
// is counted against the token's rate limit in the database (so replicas
// share it), and answers JSON; an error is {"error": "...", "fields":
// {"FIELD": "what is wrong"}}. Every authenticated write is recorded
// (sigap.APIWrite): which token, what, the outcome, when.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/web"
)

// Store is what the API reads and writes.
type Store interface {
	sigap.Applications
	sigap.ApplicationDirectory
	sigap.Integration
}

// Defaults of Options.
const (
	DefaultRateLimit  = 600 // requests a token may make per RateWindow
	DefaultRateWindow = time.Minute
	DefaultMaxBody    = 64 << 10 // bytes of a JSON request
	DefaultMaxImport  = 64 << 20 // bytes of an import (about 500,000 rows)
	maxTokenLen       = 256      // a header longer than this is no token of ours
)

// Options configure the API.
type Options struct {
	Store Store
	// Offices finds an office by code: rows and queue numbers must name one.
	Offices func(code string) (sigap.Office, bool)
	// Now is the clock (rate-limit windows, the record, queue numbers).
	Now func() time.Time
	Log *slog.Logger
	// RateLimit requests per RateWindow per token (SIGAP_API_RATE_LIMIT).
	RateLimit  int
	RateWindow time.Duration
	// MaxBody bounds a JSON request's body, MaxImport an import's (413 beyond).
	MaxBody, MaxImport int64
}

// API is the integration API's http.Handler.
type API struct {
	o   Options
	mux *http.ServeMux
}

// route is one operation; the OpenAPI document must describe exactly these
// (TestDocumentMatchesRoutes).
type route struct {
	method, path string // path as the document writes it: /api/v1/applications/{number}
	public       bool   // no token needed
	write        bool   // recorded
	handle       func(a *API, r *http.Request, tok sigap.APIToken) reply
}

var routes = []route{
	{method: "GET", path: "/api/v1/openapi.json", public: true},
	{method: "PUT", path: "/api/v1/applications/{number}", write: true, handle: (*API).putApplication},
	{method: "GET", path: "/api/v1/applications/{number}", handle: (*API).getApplication},
	{method: "POST", path: "/api/v1/applications/{number}/events", write: true, handle: (*API).postEvent},
	{method: "POST", path: "/api/v1/imports", write: true, handle: (*API).postImport},
	{method: "PUT", path: "/api/v1/offices/{office}/queue", write: true, handle: (*API).putQueue},
}

// New returns the API. Options.Store and Offices are required.
func New(o Options) *API {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.RateLimit <= 0 {
		o.RateLimit = DefaultRateLimit
	}
	if o.RateWindow <= 0 {
		o.RateWindow = DefaultRateWindow
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.MaxImport <= 0 {
		o.MaxImport = DefaultMaxImport
	}
	a := &API{o: o, mux: http.NewServeMux()}
	for _, rt := range routes {
		pattern := rt.method + " " + rt.path
		if rt.public {
			a.mux.HandleFunc(pattern, serveDocument)
			continue
		}
		a.mux.Handle(pattern, a.authenticated(rt))
	}
	return a
}

// ServeHTTP answers a path or method the API does not have in JSON too.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := a.mux.Handler(r); pattern != "" {
		a.mux.ServeHTTP(w, r)
		return
	}
	var allow []string
	for _, m := range []string{"GET", "PUT", "POST", "DELETE", "PATCH"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := a.mux.Handler(probe); p != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		writeJSON(w, http.StatusNotFound, errBody("no such path in the API; see /api/v1/openapi.json", nil))
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeJSON(w, http.StatusMethodNotAllowed, errBody(fmt.Sprintf("method %s not allowed here; allowed: %s", r.Method, strings.Join(allow, ", ")), nil))
}

// reply is what a handler answers, and what the record of a write keeps.
type reply struct {
	status int
	body   any
	// office and app are what the request was about; outcome is the
	// record's words for what happened.
	office, app, outcome string
}

// fail is an error reply: its status from the error's kind, unless given.
func (a *API) fail(r *http.Request, status int, err error, fields map[string]string) reply {
	if status == 0 {
		status = web.StatusFor(err)
	}
	msg := err.Error()
	if status >= 500 {
		// The cause goes to the log, not to the caller.
		a.o.Log.Error("api: request failed", "method", r.Method, "path", r.Pattern, "err", err)
		msg = http.StatusText(status)
	}
	return reply{status: status, body: errBody(msg, fields), outcome: msg}
}

type errorBody struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields,omitempty"`
}

func errBody(msg string, fields map[string]string) errorBody {
	return errorBody{Error: msg, Fields: fields}
}

// authenticated runs a route for a valid token within its rate limit, and
// records a write.
func (a *API) authenticated(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, err := a.token(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sigap"`)
			if errors.Is(err, sigap.ErrNotFound) {
				writeJSON(w, http.StatusUnauthorized, errBody("a valid token is required: Authorization: Bearer TOKEN (sigap token create)", nil))
				return
			}
			a.o.Log.Error("api: authenticate", "err", err)
			writeJSON(w, web.StatusFor(err), errBody(http.StatusText(web.StatusFor(err)), nil))
			return
		}
		now := a.o.Now()
		ok, wait, err := a.o.Store.TakeAPIRequest(r.Context(), tok.Name, a.o.RateLimit, a.o.RateWindow, now)
		if err != nil {
			a.o.Log.Error("api: rate limit", "token", tok.Name, "err", err)
			writeJSON(w, web.StatusFor(err), errBody(http.StatusText(web.StatusFor(err)), nil))
			return
		}
		if !ok {
			// Not recorded: a flood would otherwise write a row a request.
			secs := int((wait + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
			writeJSON(w, http.StatusTooManyRequests, errBody(fmt.Sprintf("rate limit of %d requests per %v reached; retry after %d s",
				a.o.RateLimit, a.o.RateWindow, max(secs, 1)), nil))
			return
		}
		rep := rt.handle(a, r, tok)
		writeJSON(w, rep.status, rep.body)
		a.o.Log.Debug("api", "token", tok.Name, "method", r.Method, "route", rt.path, "status", rep.status)
		if !rt.write {
			return
		}
		outcome := rep.outcome
		if len(outcome) > 500 {
			outcome = outcome[:500]
		}
		rec := sigap.APIWrite{At: now, Token: tok.Name, Method: r.Method, Path: r.URL.Path, Office: rep.office,
			Application: rep.app, Status: rep.status, Outcome: outcome}
		// The answer is written; the record must not be lost to a caller
		// that hangs up.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
		defer cancel()
		if err := a.o.Store.RecordAPIWrite(ctx, rec); err != nil {
			a.o.Log.Error("api: record write", "token", tok.Name, "route", rt.path, "status", rep.status, "err", err)
		}
	})
}

// token finds the request's valid token; ErrNotFound when it shows none.
func (a *API) token(r *http.Request) (sigap.APIToken, error) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" || len(tok) > maxTokenLen {
		return sigap.APIToken{}, fmt.Errorf("no bearer token: %w", sigap.ErrNotFound)
	}
	return a.o.Store.AuthenticateAPIToken(r.Context(), sigap.HashAPIToken(tok), a.o.Now())
}
