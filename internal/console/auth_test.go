package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
)

func TestPasswordHash(t *testing.T) {
	cheapTime, cheapMemory := argonTime, argonMemory
	argonTime, argonMemory = 2, 19*1024 // the program's parameters
	defer func() { argonTime, argonMemory = cheapTime, cheapMemory }()
	h, err := HashPassword("rahasia-123")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q: want PHC form with its parameters", h)
	}
	h2, _ := HashPassword("rahasia-123")
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, tt := range []struct {
		pw   string
		want bool
	}{{"rahasia-123", true}, {"rahasia-124", false}, {"", false}} {
		if ok, err := VerifyPassword(h, tt.pw); ok != tt.want || err != nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tt.pw, ok, err, tt.want)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$" + strings.Repeat("A", 43)} {
		if ok, err := VerifyPassword(bad, "x"); ok || err == nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want an error", bad, ok, err)
		}
	}
	if _, err := HashPassword("short"); err == nil {
		t.Error("a 5-character password was hashed")
	}
	p, err := GeneratePassword()
	if err != nil || len(p) != 20 || CheckPasswordRules(p) != nil {
		t.Errorf("GeneratePassword = %q, %v", p, err)
	}
}

// TestSignIn: the contract's names and answers for signing in.
func TestSignIn(t *testing.T) {
	e := newEnv(t)
	e.account("siti@kanim.go.id", sigap.RoleStaff, "jakpus")
	b := e.browser()

	if r := b.get("/admin"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/login" {
		t.Fatalf("GET /admin without a session: %d %q; want 303 to /admin/login", r.status, r.header.Get("Location"))
	}
	if r := b.get("/admin/inbox"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/login" {
		t.Errorf("GET /admin/inbox without a session: %d %q; want 303 to /admin/login", r.status, r.header.Get("Location"))
	}
	if r := b.post("/admin/logout", url.Values{"csrf_token": {"x"}}); r.status != http.StatusUnauthorized {
		t.Errorf("POST without a session: %d, want 401", r.status)
	}
	page := b.get("/admin/login")
	for _, want := range []string{`action="/admin/login"`, `name="email"`, `name="password"`, `type="hidden" name="csrf_token"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("sign-in page lacks %s", want)
		}
	}
	// No token, a wrong token, a token without its cookie: 403.
	if r := b.post("/admin/login", url.Values{"email": {"siti@kanim.go.id"}, "password": {"rahasia-123"}, "csrf_token": {""}}); r.status != http.StatusForbidden {
		t.Errorf("sign in without csrf_token: %d, want 403", r.status)
	}
	if r := b.post("/admin/login", url.Values{"email": {"siti@kanim.go.id"}, "password": {"rahasia-123"}, "csrf_token": {"0123"}}); r.status != http.StatusForbidden {
		t.Errorf("sign in with a wrong csrf_token: %d, want 403", r.status)
	}
	stranger := e.browser()
	stranger.csrf = b.csrf
	if r := stranger.post("/admin/login", url.Values{"email": {"siti@kanim.go.id"}, "password": {"rahasia-123"}}); r.status != http.StatusForbidden {
		t.Errorf("sign in with another browser's csrf_token: %d, want 403", r.status)
	}
	// Wrong password and unknown account read the same.
	b.get("/admin/login")
	wrong := b.post("/admin/login", url.Values{"email": {"siti@kanim.go.id"}, "password": {"salah-salah-1"}})
	unknown := b.post("/admin/login", url.Values{"email": {"nobody@kanim.go.id"}, "password": {"salah-salah-1"}})
	if wrong.status != http.StatusUnauthorized || unknown.status != http.StatusUnauthorized {
		t.Fatalf("wrong password %d, unknown account %d; want 401 both", wrong.status, unknown.status)
	}
	norm := func(s string) string {
		s = strings.ReplaceAll(s, "siti@kanim.go.id", "EMAIL")
		return strings.ReplaceAll(s, "nobody@kanim.go.id", "EMAIL")
	}
	if norm(wrong.body) != norm(unknown.body) {
		t.Errorf("wrong password and unknown account answer differently")
	}
	if !strings.Contains(wrong.body, "Email atau kata sandi salah.") {
		t.Errorf("401 page does not say what is wrong:\n%s", wrong.body)
	}
	// The right password: a session cookie as the contract says.
	r := b.post("/admin/login", url.Values{"email": {"Siti@Kanim.go.id"}, "password": {"rahasia-123"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/inbox" {
		t.Fatalf("sign in: %d %q; want 303 to /admin/inbox", r.status, r.header.Get("Location"))
	}
	var set *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "sigap_session" {
			set = c
		}
	}
	if set == nil || !set.HttpOnly || set.SameSite != http.SameSiteLaxMode || set.Secure || len(set.Value) < 40 {
		t.Fatalf("session cookie %+v: want sigap_session, HttpOnly, SameSite=Lax, not Secure over http", set)
	}
	if _, err := e.store.SessionByToken(context.Background(), set.Value); err == nil {
		t.Error("the store keeps the session token itself, want only its hash")
	}
	if _, err := e.store.SessionByToken(context.Background(), tokenHash(set.Value)); err != nil {
		t.Errorf("the store lacks the session's hash: %v", err)
	}
	if r := b.get("/admin"); r.header.Get("Location") != "/admin/inbox" {
		t.Errorf("GET /admin signed in: %q, want /admin/inbox", r.header.Get("Location"))
	}
	if r := b.get("/admin/inbox"); r.status != http.StatusOK || !strings.Contains(r.body, "siti@kanim.go.id") {
		t.Errorf("inbox signed in: %d", r.status)
	}
	// Sign out: the session is gone from the store.
	if r := b.post("/admin/logout", nil); r.status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", r.status)
	}
	if _, err := e.store.SessionByToken(context.Background(), tokenHash(set.Value)); err == nil {
		t.Error("session still stored after sign out")
	}
	if r := b.get("/admin/inbox"); r.status != http.StatusSeeOther {
		t.Errorf("inbox after sign out: %d, want 303", r.status)
	}
}

func TestSecureCookieWithHTTPSPublicURL(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.PublicURL = "https://sigap.example.go.id" })
	e.account("siti@kanim.go.id", sigap.RoleStaff, "jakpus")
	b := e.browser()
	b.get("/admin/login")
	// The jar would not send a Secure cookie over http: post by hand.
	form := url.Values{"email": {"siti@kanim.go.id"}, "password": {"rahasia-123"}, "csrf_token": {b.csrf}}
	req := httptest.NewRequest(http.MethodPost, "/admin/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	pre := httptest.NewRecorder()
	e.con.ServeHTTP(pre, httptest.NewRequest(http.MethodGet, "/admin/login", nil))
	var preCookie *http.Cookie
	for _, c := range pre.Result().Cookies() {
		if c.Name == loginCookie {
			preCookie = c
		}
	}
	if preCookie == nil || !preCookie.Secure {
		t.Fatalf("pre-session cookie %+v: want Secure", preCookie)
	}
	req.AddCookie(&http.Cookie{Name: loginCookie, Value: preCookie.Value})
	form.Set("csrf_token", csrfFor(preCookie.Value))
	req = httptest.NewRequest(http.MethodPost, "/admin/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: loginCookie, Value: preCookie.Value})
	rec := httptest.NewRecorder()
	e.con.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", rec.Code)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie && !c.Secure {
			t.Errorf("session cookie not Secure with an https public URL")
		}
	}
}

// TestSignInThrottled: past the limit of failures for an account, or
// from an address, sign-in answers 429, even with the right password,
// until the window has passed.
func TestSignInThrottled(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.LoginLimit, o.AddrLimit = 3, 5 })
	e.account("siti@kanim.go.id", sigap.RoleStaff, "jakpus")
	e.account("budi@kanim.go.id", sigap.RoleStaff, "jakpus")
	b := e.browser()
	b.get("/admin/login")
	try := func(email, pw string) int {
		return b.post("/admin/login", url.Values{"email": {email}, "password": {pw}}).status
	}
	for range 3 {
		if s := try("siti@kanim.go.id", "salah-salah-1"); s != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d, want 401", s)
		}
	}
	r := b.post("/admin/login", url.Values{"email": {"siti@kanim.go.id"}, "password": {"rahasia-123"}})
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Tunggu 15 menit") {
		t.Fatalf("right password after 3 failures: %d, want 429 with a clear page", r.status)
	}
	// Another account from the same address: 2 more failures reach the
	// address's limit of 5.
	for range 2 {
		try("budi@kanim.go.id", "salah-salah-1")
	}
	if s := try("budi@kanim.go.id", "rahasia-123"); s != http.StatusTooManyRequests {
		t.Errorf("address past its limit: %d, want 429", s)
	}
	e.clock.Add(16 * time.Minute)
	if s := try("siti@kanim.go.id", "rahasia-123"); s != http.StatusSeeOther {
		t.Errorf("after the window: %d, want 303 (signed in)", s)
	}
}

// TestSessionExpires: a session unused for the idle time, or older than
// its maximum age, signs nobody in.
func TestSessionExpires(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.IdleTimeout, o.MaxAge = time.Hour, 3*time.Hour })
	e.account("siti@kanim.go.id", sigap.RoleStaff, "jakpus")
	b := e.browser()
	b.login("siti@kanim.go.id")
	e.clock.Add(50 * time.Minute)
	if r := b.get("/admin/inbox"); r.status != http.StatusOK {
		t.Fatalf("after 50 minutes: %d, want 200", r.status)
	}
	e.clock.Add(50 * time.Minute) // 50 minutes idle again: kept alive
	if r := b.get("/admin/inbox"); r.status != http.StatusOK {
		t.Fatalf("used again within the idle time: %d, want 200", r.status)
	}
	e.clock.Add(61 * time.Minute)
	if r := b.get("/admin/inbox"); r.status != http.StatusSeeOther {
		t.Errorf("after 61 idle minutes: %d, want 303 to sign in", r.status)
	}
	b.login("siti@kanim.go.id")
	for range 4 {
		e.clock.Add(50 * time.Minute)
		b.get("/admin/inbox")
	}
	if r := b.get("/admin/inbox"); r.status != http.StatusSeeOther {
		t.Errorf("past the maximum age: %d, want 303 to sign in", r.status)
	}
}

// TestWritesNeedCSRF: every write of a signed-in account without its
// session's csrf_token is refused with 403 and changes nothing.
func TestWritesNeedCSRF(t *testing.T) {
	e := newEnv(t)
	a := e.account("siti@kanim.go.id", sigap.RoleOfficeAdmin, "jakpus")
	b := e.browser()
	b.login("siti@kanim.go.id")
	other := e.browser()
	e.account("budi@kanim.go.id", sigap.RoleStaff, "jakpus")
	other.login("budi@kanim.go.id")
	for _, path := range []string{"/admin/lang", "/admin/office", "/admin/logout"} {
		for _, tok := range []string{"", "00", other.csrf} {
			r := b.post(path, url.Values{"csrf_token": {tok}, "lang": {"en"}, "office": {"jakpus"}})
			if r.status != http.StatusForbidden {
				t.Errorf("POST %s with csrf_token %q: %d, want 403", path, tok, r.status)
			}
		}
	}
	if got, _ := e.store.AccountByID(context.Background(), a.ID); got.Lang != "" {
		t.Errorf("language changed to %q by a refused write", got.Lang)
	}
	// The header works for scripts.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/admin/lang", strings.NewReader("lang=en"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", b.csrf)
	if r := b.do(req); r.status != http.StatusSeeOther {
		t.Errorf("POST with X-CSRF-Token: %d, want 303", r.status)
	}
	if r := b.get("/admin/inbox"); !strings.Contains(r.body, `lang="en"`) {
		t.Error("language not switched to English")
	}
}

// TestAuditPage: admins read the audit log (national: all, office admin:
// its office's); staff may not.
func TestAuditPage(t *testing.T) {
	e := newEnv(t)
	e.account("admin@kanim.go.id", sigap.RoleNationalAdmin, "")
	e.account("kepala@jaksel.go.id", sigap.RoleOfficeAdmin, "jaksel")
	e.account("siti@kanim.go.id", sigap.RoleStaff, "jakpus")
	ctx := context.Background()
	for _, en := range []sigap.AuditEntry{
		{Actor: "siti@kanim.go.id", Office: "jakpus", Action: "ticket.reply", Subject: "AAA-111", After: []byte(`{"reply":"<b>x</b>"}`)},
		{Actor: "x@jaksel.go.id", Office: "jaksel", Action: "chat.handback", Subject: "6281200000002"},
	} {
		if err := e.store.RecordAudit(ctx, en); err != nil {
			t.Fatal(err)
		}
	}
	national := e.browser()
	national.login("admin@kanim.go.id")
	r := national.get("/admin/audit")
	if r.status != http.StatusOK || !strings.Contains(r.body, "AAA-111") || !strings.Contains(r.body, "6281200000002") {
		t.Errorf("national admin's audit page: %d, want both entries", r.status)
	}
	if strings.Contains(r.body, "<b>x</b>") {
		t.Error("audit page shows stored HTML unescaped")
	}
	office := e.browser()
	office.login("kepala@jaksel.go.id")
	r = office.get("/admin/audit")
	if r.status != http.StatusOK || strings.Contains(r.body, "AAA-111") || !strings.Contains(r.body, "6281200000002") {
		t.Errorf("office admin's audit page: %d, want its office's entry only", r.status)
	}
	staff := e.browser()
	staff.login("siti@kanim.go.id")
	if r := staff.get("/admin/audit"); r.status != http.StatusForbidden {
		t.Errorf("staff's audit page: %d, want 403", r.status)
	}
	if strings.Contains(staff.get("/admin/inbox").body, `href="/admin/audit"`) {
		t.Error("staff's navigation links the audit page")
	}
}
