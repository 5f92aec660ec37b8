// Package console is the staff console at /admin: server-rendered pages
// (html/template, embedded, no JavaScript build step; a little plain JS
// where a page updates itself), in Indonesian with English as a choice,
// for signed-in staff only.
//
// # Signing in
//
// Accounts (sigap.Account) have a role: national_admin (every office),
// office_admin (one office: its staff, texts, settings) or staff (one
// office: inbox, applications). Passwords are argon2id hashes
// (password.go). A session is a random 32-byte token in the HttpOnly,
// SameSite=Lax cookie sigap_session (Secure when Options.PublicURL is
// https); the store keeps only its SHA-256, so a session is revoked by
// deleting its row. It ends after Options.IdleTimeout without use and
// Options.MaxAge after sign-in. Failed sign-ins are counted per account and
// per client address (Options.LoginLimit, AddrLimit within LoginWindow);
// past either, sign-in answers 429.
//
// # CSRF
//
// Every form carries a hidden csrf_token, derived from the session token
// (or, on the sign-in form, from a pre-session cookie, sigap_login), and
// every POST, PUT, PATCH or DELETE without the right one is refused with 403.
// Pages get the token as View.CSRF; JavaScript sends it as the X-CSRF-Token
// header.
//
// # Adding pages
//
// A file of this package adds pages in an init function:
//
//	func init() { addPages(func(c *Console) {
//		c.Handle("GET /admin/content", c.contentPage)   // signed in, CSRF checked on writes
//		c.HandleAdmin("POST /admin/content/{office}", …) // national or office admins only
//		c.AddNav(NavContent, "/admin/content")           // fills the nav slot
//	}) }
//
// Another package passes the same kind of function in Options.Extensions.
// Handlers read the signed-in account with AccountFrom(r.Context()), check
// it may see an office with Account.MaySee (NotFound otherwise, so that
// guessing an URL tells nothing), render with c.Render(w, r, status, page,
// data), and record every change with c.Audit. Templates are the files
// templates/*.html: those starting with "_" are shared (the layout,
// _layout.html); every other file is a page named after it, which defines
// "main" (and may define "title" and "head"); it is run inside the
// layout with a View whose Data is what the handler passed. Words of the
// interface are registered with addWords (Indonesian, English) and read
// with {{.T "key"}}.
package console

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/content"
)

// Options are what the console needs.
type Options struct {
	Store sigap.Store
	// Offices are the offices of the offices file, in its order.
	Offices []sigap.Office
	Now     func() time.Time // default time.Now
	Log     *slog.Logger
	// PublicURL is the console's public base URL (SIGAP_PUBLIC_URL); the
	// session cookie is Secure when it starts with https://.
	PublicURL string
	// IdleTimeout ends a session unused for this long (default 8 hours);
	// MaxAge ends any session this long after sign-in (default 7 days).
	IdleTimeout time.Duration
	MaxAge      time.Duration
	// LoginLimit failed sign-ins per account, and AddrLimit per client
	// address, within LoginWindow make further sign-ins wait (defaults 5,
	// 30 and 15 minutes).
	LoginLimit  int
	AddrLimit   int
	LoginWindow time.Duration
	// ClientAddr returns a request's client address for throttling
	// (default: the connection's remote address, without its port). Behind
	// a proxy, set it to read the proxy's header.
	ClientAddr func(r *http.Request) string
	// Channel finds the channel an office names (sigap.Office.ChannelName),
	// to ask it how a staff reply would go out (Channel.Prepare: as it is
	// inside the 24-hour window, as the office's approved template outside
	// it, or not at all). Nil: replies outside the window are refused.
	Channel func(name string) (sigap.Channel, bool)
	// Content is the applicants' texts (default: content.Load()), for the
	// message that carries staff's reply to a ticket.
	Content *content.Catalog
	// Extensions add pages (see the package doc).
	Extensions []func(c *Console)
}

// Console is the staff console, an http.Handler for /admin and /admin/.
type Console struct {
	opt     Options
	store   sigap.Store
	now     func() time.Time
	log     *slog.Logger
	offices []sigap.Office
	byCode  map[string]sigap.Office
	secure  bool
	mux     *http.ServeMux
	pages   map[string]*pageTemplate
	nav     []NavItem
	// dummyHash is checked against when an email has no account, so that a
	// wrong email takes as long as a wrong password.
	dummyHash string
}

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pageSets are the page groups of this package's files (see addPages).
var pageSets []func(c *Console)

// addPages adds a group of pages; call it from an init function.
func addPages(f func(c *Console)) { pageSets = append(pageSets, f) }

// New builds the console.
func New(opt Options) (*Console, error) {
	if opt.Store == nil {
		return nil, fmt.Errorf("console: no store")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.IdleTimeout <= 0 {
		opt.IdleTimeout = 8 * time.Hour
	}
	if opt.MaxAge <= 0 {
		opt.MaxAge = 7 * 24 * time.Hour
	}
	if opt.LoginLimit <= 0 {
		opt.LoginLimit = 5
	}
	if opt.AddrLimit <= 0 {
		opt.AddrLimit = 30
	}
	if opt.LoginWindow <= 0 {
		opt.LoginWindow = 15 * time.Minute
	}
	if opt.ClientAddr == nil {
		opt.ClientAddr = remoteHost
	}
	if opt.Content == nil {
		cat, err := content.Load()
		if err != nil {
			return nil, err
		}
		opt.Content = cat
	}
	c := &Console{
		opt: opt, store: opt.Store, now: opt.Now, log: opt.Log, offices: opt.Offices,
		byCode: map[string]sigap.Office{}, secure: strings.HasPrefix(strings.ToLower(opt.PublicURL), "https://"),
		mux: http.NewServeMux(),
	}
	for _, o := range opt.Offices {
		c.byCode[o.Code] = o
	}
	var err error
	if c.pages, err = parsePages(templateFiles); err != nil {
		return nil, err
	}
	pw, err := GeneratePassword()
	if err != nil {
		return nil, err
	}
	if c.dummyHash, err = HashPassword(pw); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(staticFiles, "static")
	c.mux.Handle("GET /admin/static/", http.StripPrefix("/admin/static/", cacheStatic(http.FileServerFS(static))))
	c.mux.HandleFunc("GET /admin/login", c.loginPage)
	c.mux.HandleFunc("POST /admin/login", c.login)
	c.mux.HandleFunc("GET /admin", c.home)
	c.mux.HandleFunc("GET /admin/{$}", c.home)
	c.Handle("POST /admin/logout", http.HandlerFunc(c.logout))
	c.Handle("POST /admin/lang", http.HandlerFunc(c.setLang))
	c.Handle("POST /admin/office", http.HandlerFunc(c.setOffice))
	// Anything else under /admin: signed in first, then not found.
	c.Handle("/admin/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { c.NotFound(w, r) }))
	for _, f := range pageSets {
		f(c)
	}
	for _, f := range opt.Extensions {
		f(c)
	}
	slices.SortStableFunc(c.nav, func(a, b NavItem) int { return a.Order - b.Order })
	return c, nil
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Pages are the console's own: no framing, no scripts or styles from
	// elsewhere, nothing cached (they show personal data).
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	if !strings.HasPrefix(r.URL.Path, "/admin/static/") {
		h.Set("Cache-Control", "no-store")
	}
	c.mux.ServeHTTP(w, r)
}

// Handle registers a page or action for signed-in accounts: without a
// session a GET goes to the sign-in page and anything else gets 401; a
// write (any method but GET and HEAD) without the session's csrf_token gets
// 403.
func (c *Console) Handle(pattern string, h http.Handler) {
	c.mux.Handle(pattern, c.signedIn(h))
}

// HandleFunc is Handle for a function.
func (c *Console) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	c.Handle(pattern, http.HandlerFunc(h))
}

// HandleAdmin is Handle for national and office admins only (403 for
// staff). Which offices an admin may change is still the handler's to
// check (Account.MayAdmin).
func (c *Console) HandleAdmin(pattern string, h http.Handler) {
	c.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a, _ := AccountFrom(r.Context()); !a.IsAdmin() {
			c.Forbidden(w, r)
			return
		}
		h.ServeHTTP(w, r)
	}))
}

// NavItem is an entry of the console's navigation.
type NavItem struct {
	Key   string // its words: "nav." + Key
	Href  string
	Order int
	// AdminOnly: shown to national and office admins only.
	AdminOnly bool
}

// The navigation's slots, in order. Pages fill them with AddNav.
const (
	NavInbox         = "inbox"
	NavApplications  = "applications"
	NavContent       = "content"
	NavNotUnderstood = "not_understood"
	NavDashboard     = "dashboard"
	NavSimulator     = "simulator"
	NavAudit         = "audit"
)

var navOrder = map[string]int{NavInbox: 10, NavApplications: 20, NavContent: 30, NavNotUnderstood: 40,
	NavDashboard: 50, NavSimulator: 60, NavAccounts: 85, NavAudit: 90}

// AddNav puts a page in the navigation, in its slot's place.
func (c *Console) AddNav(key, href string) {
	order, ok := navOrder[key]
	if !ok {
		order = 80
	}
	c.nav = append(c.nav, NavItem{Key: key, Href: href, Order: order, AdminOnly: key == NavAudit || key == NavAccounts})
}

// Office returns the office with that code.
func (c *Console) Office(code string) (sigap.Office, bool) {
	o, ok := c.byCode[code]
	return o, ok
}

// Offices returns the offices the account may see, in the offices file's
// order.
func (c *Console) Offices(a sigap.Account) []sigap.Office {
	var out []sigap.Office
	for _, o := range c.offices {
		if a.MaySee(o.Code) {
			out = append(out, o)
		}
	}
	return out
}

// OfficeCodes returns the codes of the offices the account may see, or of
// just the one chosen in the header's switcher (when it may see it).
func (c *Console) OfficeCodes(r *http.Request) []string {
	a, _ := AccountFrom(r.Context())
	chosen := c.chosenOffice(r, a)
	var out []string
	for _, o := range c.Offices(a) {
		if chosen == "" || o.Code == chosen {
			out = append(out, o.Code)
		}
	}
	return out
}

// Now is the console's clock.
func (c *Console) Now() time.Time { return c.now() }

// Store is the console's store.
func (c *Console) Store() sigap.Store { return c.store }

// Log is the console's logger.
func (c *Console) Log() *slog.Logger { return c.log }

// Audit records a change made by the signed-in account: action (such as
// "ticket.reply"), the office it concerns, what it was done to, and the
// thing before and after (marshalled to JSON; nil for none). A failure to
// record is returned: the caller's change is made, so it reports it.
func (c *Console) Audit(r *http.Request, action, office, subject string, before, after any) error {
	a, _ := AccountFrom(r.Context())
	e := sigap.AuditEntry{At: c.now(), AccountID: a.ID, Actor: a.Email, Office: office, Action: action, Subject: subject}
	var err error
	if before != nil {
		if e.Before, err = json.Marshal(before); err != nil {
			return fmt.Errorf("audit %s: %w", action, err)
		}
	}
	if after != nil {
		if e.After, err = json.Marshal(after); err != nil {
			return fmt.Errorf("audit %s: %w", action, err)
		}
	}
	if err := c.store.RecordAudit(r.Context(), e); err != nil {
		c.log.Error("audit not recorded", "action", action, "office", office, "err", err)
		return err
	}
	return nil
}

type ctxKey int

const (
	accountKey ctxKey = iota
	sessionKey
)

// AccountFrom returns the signed-in account of a request that passed
// Handle.
func AccountFrom(ctx context.Context) (sigap.Account, bool) {
	a, ok := ctx.Value(accountKey).(sigap.Account)
	return a, ok
}

// CSRFToken returns the request's CSRF token, for a form's csrf_token.
func CSRFToken(ctx context.Context) string {
	tok, _ := ctx.Value(sessionKey).(string)
	if tok == "" {
		return ""
	}
	return csrfFor(tok)
}

// csrfFor derives the CSRF token of a session (or pre-session) token: only
// who holds the cookie can know it, and the server stores nothing more.
func csrfFor(token string) string {
	sum := sha256.Sum256([]byte("sigap csrf\x00" + token))
	return hex.EncodeToString(sum[:20])
}

// tokenHash is what the store keeps of a session token.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
