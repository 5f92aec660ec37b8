package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/sigap-id/sigap"
)

// Cookie names. sigap_session is named by the product contract.
const (
	sessionCookie = "sigap_session"
	loginCookie   = "sigap_login"  // pre-session: ties the sign-in form's CSRF token to this browser
	langCookie    = "sigap_lang"   // the interface language before sign-in
	officeCookie  = "sigap_office" // the office chosen in the header's switcher
)

// maxFormBytes bounds a console form.
const maxFormBytes = 64 << 10

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (c *Console) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/admin", MaxAge: maxAge, HttpOnly: true,
		Secure: c.secure, SameSite: http.SameSiteLaxMode}
}

// session returns the request's valid session token and its account.
func (c *Console) session(r *http.Request) (string, sigap.Session, sigap.Account, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || len(ck.Value) == 0 || len(ck.Value) > 100 {
		return "", sigap.Session{}, sigap.Account{}, sigap.ErrNotFound
	}
	h := tokenHash(ck.Value)
	se, err := c.store.SessionByToken(r.Context(), h)
	if err != nil {
		return "", se, sigap.Account{}, err
	}
	now := c.now()
	if !se.Valid(now, c.opt.IdleTimeout) {
		if err := c.store.DeleteSession(r.Context(), h); err != nil {
			c.log.Warn("delete expired session", "err", err)
		}
		return "", se, sigap.Account{}, sigap.ErrNotFound
	}
	a, err := c.store.AccountByID(r.Context(), se.AccountID)
	if err != nil {
		return "", se, a, err
	}
	// One write a minute at most per session keeps the idle time.
	if now.Sub(se.LastSeenAt) >= c.opt.IdleTimeout/480 {
		if err := c.store.TouchSession(r.Context(), h, now); err != nil {
			c.log.Warn("touch session", "err", err)
		}
	}
	return ck.Value, se, a, nil
}

// signedIn lets through requests with a valid session (and, for a write,
// the session's CSRF token), with the account in the context.
func (c *Console) signedIn(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _, a, err := c.session(r)
		if err != nil {
			if !errors.Is(err, sigap.ErrNotFound) {
				c.log.Error("console session", "err", err)
				http.Error(w, "database unavailable", http.StatusServiceUnavailable)
				return
			}
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
				return
			}
			c.renderStatus(w, r, http.StatusUnauthorized, "error.session")
			return
		}
		ctx := context.WithValue(context.WithValue(r.Context(), accountKey, a), sessionKey, tok)
		r = r.WithContext(ctx)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if !c.csrfOK(r, tok) {
				c.renderStatus(w, r, http.StatusForbidden, "error.csrf")
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// csrfOK checks a write's csrf_token (form field or X-CSRF-Token header).
func (c *Console) csrfOK(r *http.Request, token string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		if err := r.ParseMultipartForm(maxFormBytes); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			return false
		}
		got = r.PostFormValue("csrf_token")
	}
	want := csrfFor(token)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	if _, _, _, err := c.session(r); err != nil {
		http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/admin/inbox", http.StatusSeeOther)
}

type loginData struct {
	Email   string
	Problem string // a words key
}

// preSession returns the browser's pre-session token, setting a new one if
// it has none.
func (c *Console) preSession(w http.ResponseWriter, r *http.Request) (string, error) {
	if ck, err := r.Cookie(loginCookie); err == nil && len(ck.Value) >= 40 && len(ck.Value) <= 100 {
		return ck.Value, nil
	}
	tok, err := newToken()
	if err != nil {
		return "", err
	}
	http.SetCookie(w, c.cookie(loginCookie, tok, 3600*12))
	return tok, nil
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, _, _, err := c.session(r); err == nil {
		http.Redirect(w, r, "/admin/inbox", http.StatusSeeOther)
		return
	}
	c.showLogin(w, r, http.StatusOK, loginData{})
}

func (c *Console) showLogin(w http.ResponseWriter, r *http.Request, status int, d loginData) {
	tok, err := c.preSession(w, r)
	if err != nil {
		http.Error(w, "no randomness", http.StatusInternalServerError)
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), sessionKey, tok))
	c.Render(w, r, status, "login", d)
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	ck, err := r.Cookie(loginCookie)
	if err != nil || !c.csrfOK(r, ck.Value) {
		c.renderStatus(w, r, http.StatusForbidden, "error.csrf_login")
		return
	}
	ctx := r.Context()
	now := c.now()
	since := now.Add(-c.opt.LoginWindow)
	emailIn := r.PostFormValue("email")
	password := r.PostFormValue("password")
	email, emailErr := sigap.NormalizeEmail(emailIn)
	if emailErr != nil {
		email = strings.ToLower(strings.TrimSpace(emailIn))
		if len(email) > sigap.MaxEmailLen {
			email = email[:sigap.MaxEmailLen]
		}
	}
	acctKey, addrKey := "email:"+email, "addr:"+c.opt.ClientAddr(r)
	d := loginData{Email: emailIn}
	for _, k := range []struct {
		key   string
		limit int
	}{{acctKey, c.opt.LoginLimit}, {addrKey, c.opt.AddrLimit}} {
		n, err := c.store.LoginFailures(ctx, k.key, since)
		if err != nil {
			c.log.Error("login throttle", "err", err)
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		if n >= k.limit {
			c.log.Warn("console sign-in throttled", "by", strings.SplitN(k.key, ":", 2)[0])
			w.Header().Set("Retry-After", "900")
			d.Problem = "login.throttled"
			c.showLogin(w, r, http.StatusTooManyRequests, d)
			return
		}
	}
	var acct sigap.Account
	known := false
	if emailErr == nil {
		acct, err = c.store.AccountByEmail(ctx, email)
		switch {
		case err == nil:
			known = true
		case !errors.Is(err, sigap.ErrNotFound):
			c.log.Error("console sign-in", "err", err)
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
	}
	hash := c.dummyHash
	if known {
		hash = acct.PasswordHash
	}
	ok, err := VerifyPassword(hash, password)
	if err != nil {
		c.log.Error("console sign-in: stored hash unreadable", "account", acct.ID)
	}
	if !ok || !known {
		if err := c.store.RecordLoginFailure(ctx, []string{acctKey, addrKey}, now, now.Add(-c.opt.LoginWindow)); err != nil {
			c.log.Error("login throttle", "err", err)
		}
		d.Problem = "login.wrong"
		c.showLogin(w, r, http.StatusUnauthorized, d)
		return
	}
	tok, err := newToken()
	if err != nil {
		http.Error(w, "no randomness", http.StatusInternalServerError)
		return
	}
	se := sigap.Session{TokenHash: tokenHash(tok), AccountID: acct.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(c.opt.MaxAge)}
	if err := c.store.CreateSession(ctx, se); err != nil {
		c.log.Error("console sign-in", "err", err)
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	if err := c.store.ClearLoginFailures(ctx, acctKey); err != nil {
		c.log.Warn("login throttle", "err", err)
	}
	c.log.Info("console sign-in", "account", acct.ID, "role", acct.Role)
	http.SetCookie(w, c.cookie(sessionCookie, tok, int(c.opt.MaxAge.Seconds())))
	http.SetCookie(w, c.cookie(loginCookie, "", -1))
	http.Redirect(w, r, "/admin/inbox", http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	tok, _ := r.Context().Value(sessionKey).(string)
	if err := c.store.DeleteSession(r.Context(), tokenHash(tok)); err != nil {
		c.log.Error("sign out", "err", err)
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	http.SetCookie(w, c.cookie(sessionCookie, "", -1))
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
}

// back returns where to go after an action: the form's "back" field when
// it is a console path, else fallback.
func back(r *http.Request, fallback string) string {
	b := r.PostFormValue("back")
	if u, err := url.Parse(b); err == nil && u.Scheme == "" && u.Host == "" && strings.HasPrefix(u.Path, "/admin") &&
		!strings.HasPrefix(b, "//") && !strings.Contains(b, "\\") {
		return b
	}
	return fallback
}

func (c *Console) setLang(w http.ResponseWriter, r *http.Request) {
	lang := r.PostFormValue("lang")
	if lang != "id" && lang != "en" {
		c.renderStatus(w, r, http.StatusBadRequest, "error.bad_request")
		return
	}
	a, _ := AccountFrom(r.Context())
	if err := c.store.SetAccountLang(r.Context(), a.ID, lang); err != nil {
		c.log.Error("set console language", "err", err)
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	http.SetCookie(w, c.cookie(langCookie, lang, 365*24*3600))
	http.Redirect(w, r, back(r, "/admin/inbox"), http.StatusSeeOther)
}

// chosenOffice is the office chosen in the header's switcher, if the
// account may see it; "" means all the account's offices.
func (c *Console) chosenOffice(r *http.Request, a sigap.Account) string {
	ck, err := r.Cookie(officeCookie)
	if err != nil {
		return ""
	}
	if _, ok := c.byCode[ck.Value]; !ok || !a.MaySee(ck.Value) {
		return ""
	}
	return ck.Value
}

func (c *Console) setOffice(w http.ResponseWriter, r *http.Request) {
	code := r.PostFormValue("office")
	a, _ := AccountFrom(r.Context())
	if code == "" {
		http.SetCookie(w, c.cookie(officeCookie, "", -1))
	} else {
		if _, ok := c.byCode[code]; !ok || !a.MaySee(code) {
			c.NotFound(w, r)
			return
		}
		http.SetCookie(w, c.cookie(officeCookie, code, 365*24*3600))
	}
	http.Redirect(w, r, back(r, "/admin/inbox"), http.StatusSeeOther)
}
