package console

// The pages of the content, "not understood", dashboard and simulator
// (issue 19), added to the console through Options.Extensions with what
// they need besides the store: Extras.

import (
	"context"
	"net/http"
	"strings"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/bot"
	"github.com/sigap-id/sigap/internal/content"
	"github.com/sigap-id/sigap/internal/live"
	"github.com/sigap-id/sigap/internal/web"
)

// Extras are what the content, "not understood", dashboard and simulator
// pages need.
type Extras struct {
	// Catalog is the national content.
	Catalog *content.Catalog
	// Live finds offices as the bot sees them (with the changes made
	// here), and is refreshed after each change so that this replica uses
	// it at once (the others within a second).
	Live *live.Offices
	// Engine tells where a text would go now (Place).
	Engine *bot.Engine
	// Simulator is the chat with an office as a test sender; nil leaves
	// the simulator page out.
	Simulator *web.Simulator
}

// Pages returns the extension that adds the pages (Options.Extensions).
func (x Extras) Pages() func(c *Console) {
	return func(c *Console) {
		p := &extraPages{c: c, x: x}
		p.contentRoutes()
		p.unknownRoutes()
		p.dashboardRoutes()
		if x.Simulator != nil {
			p.simulatorRoutes()
		}
	}
}

type extraPages struct {
	c *Console
	x Extras
}

// office returns the office a request's {office} names, as the bot sees
// it, when the account may see it; otherwise it answers 404 (guessing an
// URL tells nothing) and returns false.
func (p *extraPages) office(w http.ResponseWriter, r *http.Request) (sigap.Office, bool) {
	code := r.PathValue("office")
	if code == "" {
		code = r.FormValue("office")
	}
	a, _ := AccountFrom(r.Context())
	if _, known := p.c.Office(code); !known || !a.MaySee(code) {
		p.c.NotFound(w, r)
		return sigap.Office{}, false
	}
	o, ok := p.x.Live.ByCode(code)
	if !ok {
		p.c.NotFound(w, r)
		return sigap.Office{}, false
	}
	return o, true
}

// adminOffice is office for a change: 403 for an account that may see the
// office but not run it.
func (p *extraPages) adminOffice(w http.ResponseWriter, r *http.Request) (sigap.Office, bool) {
	o, ok := p.office(w, r)
	if !ok {
		return o, false
	}
	if a, _ := AccountFrom(r.Context()); !a.MayAdmin(o.Code) {
		p.c.Forbidden(w, r)
		return o, false
	}
	return o, true
}

// refresh makes a change live on this replica now.
func (p *extraPages) refresh(ctx context.Context) {
	if err := p.x.Live.Refresh(ctx); err != nil {
		p.c.Log().Warn("console: content changed but not reloaded yet; it will be within a second", "err", err)
	}
}

// scope is the office code the lists of a page cover: the one chosen in
// the header, the account's own, or "" for a national admin's every
// office.
func (p *extraPages) scope(r *http.Request) string {
	a, _ := AccountFrom(r.Context())
	codes := p.c.OfficeCodes(r)
	if a.Role == sigap.RoleNationalAdmin && len(codes) != 1 {
		return ""
	}
	if len(codes) == 0 {
		return a.Office
	}
	return codes[0]
}

// formValue returns a form field, trimmed, at most n bytes (longer: "").
func formValue(r *http.Request, name string, n int) (string, bool) {
	v := r.PostFormValue(name)
	if len(v) > n {
		return "", false
	}
	return strings.TrimSpace(v), true
}
