package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/sigap-id/sigap"
)

type pageTemplate struct{ t *template.Template }

// parsePages reads the shared templates (files starting with "_") and, for
// every other file, a page: the shared ones and that file.
func parsePages(fsys fs.FS) (map[string]*pageTemplate, error) {
	names, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	base := template.New("").Funcs(template.FuncMap{
		"inc": func(i int) int { return i + 1 },
	})
	var shared []string
	for _, n := range names {
		if strings.HasPrefix(path.Base(n), "_") {
			shared = append(shared, n)
		}
	}
	if _, err := base.ParseFS(fsys, shared...); err != nil {
		return nil, fmt.Errorf("console templates: %w", err)
	}
	pages := map[string]*pageTemplate{}
	for _, n := range names {
		if strings.HasPrefix(path.Base(n), "_") {
			continue
		}
		t, err := base.Clone()
		if err == nil {
			_, err = t.ParseFS(fsys, n)
		}
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", n, err)
		}
		pages[strings.TrimSuffix(path.Base(n), ".html")] = &pageTemplate{t}
	}
	return pages, nil
}

// View is what every page's template is run with.
type View struct {
	Account  sigap.Account
	SignedIn bool
	CSRF     string // the csrf_token of every form
	Lang     string // "id" or "en"
	Path     string // the request's path and query, for "back" fields
	Page     string
	Nav      []NavItem
	// Offices are the offices the account may see; Office the one chosen
	// in the switcher ("" for all of them).
	Offices []sigap.Office
	Office  string
	// Waiting, when not 0, is shown in the page title: chats and tickets
	// waiting for staff.
	Waiting int
	Data    any
	now     time.Time
	loc     *time.Location
}

// T returns the interface words for key in the view's language; with
// args, they fill its %s, %d… verbs.
func (v View) T(key string, args ...any) string {
	s := word(v.Lang, key)
	if len(args) > 0 && strings.Contains(s, "%") {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Time shows a time in the console's time zone (the first office's, WIB by
// default).
func (v View) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(v.loc).Format("02-01-2006 15:04")
}

// Ago says how long ago t was, in the view's language: "5 mnt", "3 jam",
// "2 hari".
func (v View) Ago(t time.Time) string { return v.Dur(v.now.Sub(t)) }

// Dur says a duration briefly.
func (v View) Dur(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return v.T("dur.now")
	case d < time.Hour:
		return v.T("dur.min", int(d/time.Minute))
	case d < 48*time.Hour:
		return v.T("dur.hour", int(d/time.Hour))
	}
	return v.T("dur.day", int(d/(24*time.Hour)))
}

// OfficeName returns an office's name (its code if unknown).
func (v View) OfficeName(code string) string {
	for _, o := range v.Offices {
		if o.Code == code {
			return o.Name
		}
	}
	return code
}

// Now is the time the page was made.
func (v View) Now() time.Time { return v.now }

// zone is the time zone the console shows times in: the first office's
// (WIB when it names none).
func (c *Console) zone() *time.Location {
	if len(c.offices) > 0 && c.offices[0].TimeZone != nil {
		return c.offices[0].TimeZone
	}
	return time.FixedZone("WIB", 7*3600)
}

// view builds the View of a request.
func (c *Console) view(r *http.Request, page string, data any) View {
	a, signedIn := AccountFrom(r.Context())
	v := View{Account: a, SignedIn: signedIn, CSRF: CSRFToken(r.Context()), Path: r.URL.RequestURI(), Page: page,
		Data: data, now: c.now(), loc: c.zone()}
	v.Lang = "id"
	if ck, err := r.Cookie(langCookie); err == nil && (ck.Value == "en" || ck.Value == "id") {
		v.Lang = ck.Value
	}
	if signedIn {
		if a.Lang == "en" || a.Lang == "id" {
			v.Lang = a.Lang
		}
		v.Offices = c.Offices(a)
		v.Office = c.chosenOffice(r, a)
		for _, n := range c.nav {
			if !n.AdminOnly || a.IsAdmin() {
				v.Nav = append(v.Nav, n)
			}
		}
	}
	return v
}

// Render runs page (a template file's name without .html) inside the
// layout with data, and writes it with status.
func (c *Console) Render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	c.RenderView(w, r, status, c.view(r, page, data))
}

// RenderView is Render with a View the handler completed (Waiting, say).
func (c *Console) RenderView(w http.ResponseWriter, r *http.Request, status int, v View) {
	p, ok := c.pages[v.Page]
	if !ok {
		c.log.Error("console: no such page template", "page", v.Page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := p.t.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.log.Error("console: render", "page", v.Page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// View returns the View a handler may complete and pass to RenderView.
func (c *Console) View(r *http.Request, page string, data any) View { return c.view(r, page, data) }

// Partial runs one named template of page (not the layout) with v, for a
// part of a page that updates itself.
func (c *Console) Partial(w http.ResponseWriter, v View, name string) {
	p, ok := c.pages[v.Page]
	if !ok {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := p.t.ExecuteTemplate(&buf, name, v); err != nil {
		c.log.Error("console: render", "page", v.Page, "part", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// message is the data of the "message" page: a title and a sentence.
type message struct{ Title, Text string }

// renderStatus shows a short page for status with the words of key
// (key + ".title" and key).
func (c *Console) renderStatus(w http.ResponseWriter, r *http.Request, status int, key string) {
	c.Render(w, r, status, "message", message{Title: key + ".title", Text: key})
}

// NotFound answers 404 with the console's page. Asking for another
// office's chat or ticket gets this too, so that guessing tells nothing.
func (c *Console) NotFound(w http.ResponseWriter, r *http.Request) {
	c.renderStatus(w, r, http.StatusNotFound, "error.not_found")
}

// Forbidden answers 403.
func (c *Console) Forbidden(w http.ResponseWriter, r *http.Request) {
	c.renderStatus(w, r, http.StatusForbidden, "error.forbidden")
}

// BadRequest answers 400 with a sentence (words key) saying what is wrong.
func (c *Console) BadRequest(w http.ResponseWriter, r *http.Request, key string) {
	c.Render(w, r, http.StatusBadRequest, "message", message{Title: "error.bad_request.title", Text: key})
}

// Unavailable answers 503 for a failure of the store, logged.
func (c *Console) Unavailable(w http.ResponseWriter, r *http.Request, err error) {
	c.log.Error("console", "path", r.URL.Path, "err", err)
	c.renderStatus(w, r, http.StatusServiceUnavailable, "error.unavailable")
}
