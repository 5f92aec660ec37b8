package console

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/store/sqlite"
	"github.com/sigap-id/sigap/internal/store/sqlstore"
)

// testClock is a clock that moves only when told to.
type testClock struct{ ms atomic.Int64 }

func (c *testClock) Now() time.Time      { return time.UnixMilli(c.ms.Load()).UTC() }
func (c *testClock) Add(d time.Duration) { c.ms.Add(d.Milliseconds()) }

var testOffices = []sigap.Office{
	{Code: "jakpus", Name: "Kanim Jakarta Pusat", Hours: "Senin-Jumat 08.00-16.00 WIB"},
	{Code: "jaksel", Name: "Kanim Jakarta Selatan"},
}

type env struct {
	t     *testing.T
	store *sqlstore.Store
	con   *Console
	srv   *httptest.Server
	clock *testClock
}

// newEnv starts the console on a new SQLite store behind a real HTTP
// server on loopback.
func newEnv(t *testing.T, mod ...func(*Options)) *env {
	t.Helper()
	clock := &testClock{}
	clock.ms.Store(time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC).UnixMilli())
	log := slog.New(slog.DiscardHandler)
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), sqlite.Options{Migrate: true, Log: log, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	opt := Options{Store: st, Offices: testOffices, Now: clock.Now, Log: log}
	for _, m := range mod {
		m(&opt)
	}
	con, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(con)
	t.Cleanup(srv.Close)
	return &env{t: t, store: st, con: con, srv: srv, clock: clock}
}

// account creates an account with password "rahasia-123".
func (e *env) account(email string, role sigap.Role, office string) sigap.Account {
	e.t.Helper()
	h, err := HashPassword("rahasia-123")
	if err != nil {
		e.t.Fatal(err)
	}
	a, _, err := e.store.PutAccount(context.Background(), sigap.Account{Email: email, Role: role, Office: office, PasswordHash: h})
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// browser is a client with its own cookies that follows no redirect.
type browser struct {
	e    *env
	http *http.Client
	csrf string // the last page's csrf_token
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)

type resp struct {
	status int
	body   string
	header http.Header
}

func (b *browser) do(req *http.Request) resp {
	b.e.t.Helper()
	res, err := b.http.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return resp{res.StatusCode, string(body), res.Header}
}

func (b *browser) get(path string) resp {
	b.e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	return b.do(req)
}

// post sends form; its csrf_token is the last page's unless form has one.
func (b *browser) post(path string, form url.Values) resp {
	b.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf_token"]; !ok {
		form.Set("csrf_token", b.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// login signs in (the sign-in page first, for its token) and fails the
// test unless it worked.
func (b *browser) login(email string) { b.e.t.Helper(); b.loginWith(email, "rahasia-123") }

// loginWith signs in with that password.
func (b *browser) loginWith(email, password string) {
	b.e.t.Helper()
	b.get("/admin/login")
	r := b.post("/admin/login", url.Values{"email": {email}, "password": {password}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/inbox" {
		b.e.t.Fatalf("sign in as %s: %d %s\n%s", email, r.status, r.header.Get("Location"), r.body)
	}
	b.get("/admin/inbox")
}

func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.e.srv.URL + "/admin")
	for _, c := range b.http.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestMain makes password hashing cheap for the tests that only need
// accounts (TestPasswordHash checks the real parameters): argon2id at
// 19 MiB is slow under the race detector.
func TestMain(m *testing.M) {
	argonTime, argonMemory = 1, 64
	os.Exit(m.Run())
}
