package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/api"
	"github.com/sigap-id/sigap/internal/bot"
	"github.com/sigap-id/sigap/internal/content"
	"github.com/sigap-id/sigap/internal/store/pgtest"
	"github.com/sigap-id/sigap/internal/store/postgres"
	"github.com/sigap-id/sigap/internal/store/sqlite"
	"github.com/sigap-id/sigap/internal/store/sqlstore"
	"github.com/sigap-id/sigap/internal/web"
)

// clock is a clock that moves only when told to.
type clock struct{ ms atomic.Int64 }

func (c *clock) Now() time.Time      { return time.UnixMilli(c.ms.Load()).UTC() }
func (c *clock) Add(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// start is 10:00:10 WIB (03:00:10 UTC), 50 s before a rate window ends.
var start = time.Date(2026, 12, 2, 3, 0, 10, 0, time.UTC)

func offices() map[string]sigap.Office {
	wib, _ := time.LoadLocation("Asia/Jakarta")
	wita, _ := time.LoadLocation("Asia/Makassar")
	return map[string]sigap.Office{
		"jakpus":  {Code: "jakpus", Name: "Kanim Jakarta Pusat", TimeZone: wib},
		"mataram": {Code: "mataram", Name: "Kanim Mataram", TimeZone: wita},
	}
}

// env is a running API over a real store, with tokens and a bot reading
// the same store.
type env struct {
	url    string
	store  *sqlstore.Store
	clock  *clock
	tokens map[string]string // name → token
	bot    *bot.Engine
	opts   api.Options
}

// engines runs fn on SQLite and, with SIGAP_TEST_POSTGRES, on PostgreSQL.
func engines(t *testing.T, o api.Options, fn func(t *testing.T, e *env)) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, engine, o))
		})
	}
}

func newEnv(t *testing.T, engine string, o api.Options) *env {
	t.Helper()
	ctx := context.Background()
	c := &clock{}
	c.ms.Store(start.UnixMilli())
	quiet := slog.New(slog.DiscardHandler)
	var (
		s   *sqlstore.Store
		err error
	)
	switch engine {
	case "sqlite":
		s, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "sigap.db"), sqlite.Options{Migrate: true, Log: quiet, Now: c.Now})
	default:
		s, err = postgres.Open(ctx, pgtest.Schema(t), postgres.Options{Migrate: true, Log: quiet, Now: c.Now, MaxConns: 8})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e := &env{store: s, clock: c, tokens: map[string]string{}}
	for _, tok := range []sigap.APIToken{
		{Name: "jakpus-system", Offices: []string{"jakpus"}},
		{Name: "national", AllOffices: true},
	} {
		secret := sigap.NewAPIToken()
		if err := s.CreateAPIToken(ctx, tok, sigap.HashAPIToken(secret)); err != nil {
			t.Fatal(err)
		}
		e.tokens[tok.Name] = secret
	}
	offs := offices()
	o.Store, o.Now, o.Log = s, c.Now, quiet
	o.Offices = func(code string) (sigap.Office, bool) { o, ok := offs[code]; return o, ok }
	e.opts = o
	srv := httptest.NewServer((&web.Server{API: api.New(o), Log: quiet}).Handler())
	t.Cleanup(srv.Close)
	e.url = srv.URL
	cat, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	e.bot = bot.New(cat, bot.Deps{Applications: s, Directory: s, Queue: s, Offices: o.Offices}, c.Now)
	return e
}

// answer is an API response.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (a answer) fields() map[string]any {
	f, _ := a.body["fields"].(map[string]any)
	return f
}

// do sends a request with the named token ("" for none) and a body: a
// string as is, anything else as JSON.
func (e *env) do(t *testing.T, method, path, token, contentType string, body any) answer {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, e.url+path, r)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		secret, ok := e.tokens[token]
		if !ok {
			secret = token
		}
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("%s %s: answer %d is not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return a
}

func (e *env) putJSON(t *testing.T, path, token string, body any) answer {
	t.Helper()
	return e.do(t, "PUT", path, token, "application/json", body)
}

func (e *env) postJSON(t *testing.T, path, token string, body any) answer {
	t.Helper()
	return e.do(t, "POST", path, token, "application/json", body)
}

const number = "1060202611000007"

func budi() map[string]any {
	return map[string]any{
		"office": "jakpus", "applicant_name": "Budi Santoso", "birth_date": "1990-08-17",
		"passport_type": "electronic", "stage": "registered", "stage_at": "2026-12-01T09:05:00+07:00",
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func want(t *testing.T, what string, got answer, status int) {
	t.Helper()
	if got.status != status {
		t.Errorf("%s: %d %s, want %d", what, got.status, got.raw, status)
	}
}

// TestAuthentication: every operation but the document needs a valid
// token (401, with WWW-Authenticate, in the API's JSON error); a revoked
// token stops at once.
func TestAuthentication(t *testing.T) {
	engines(t, api.Options{}, func(t *testing.T, e *env) {
		doc := e.do(t, "GET", "/api/v1/openapi.json", "", "", nil)
		want(t, "document without a token", doc, 200)
		if doc.body["openapi"] == nil {
			t.Errorf("the document has no openapi field: %.200s", doc.raw)
		}
		for _, tok := range []string{"", "sigap_" + strings.Repeat("0", 64), "Basic abc", strings.Repeat("x", 300)} {
			got := e.do(t, "GET", "/api/v1/applications/"+number, tok, "", nil)
			want(t, fmt.Sprintf("token %.20q", tok), got, 401)
			if got.header.Get("WWW-Authenticate") == "" || got.body["error"] == nil {
				t.Errorf("401 without WWW-Authenticate or error: %v %s", got.header, got.raw)
			}
		}
		put := e.putJSON(t, "/api/v1/applications/"+number, "", budi())
		want(t, "PUT without a token", put, 401)
		if _, err := e.store.FindApplicationAnywhere(context.Background(), number); err == nil {
			t.Error("a PUT without a token stored the application")
		}
		want(t, "valid token", e.do(t, "GET", "/api/v1/applications/"+number, "national", "", nil), 404)
		if err := e.store.RevokeAPIToken(context.Background(), "national", e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		want(t, "revoked token", e.do(t, "GET", "/api/v1/applications/"+number, "national", "", nil), 401)
		want(t, "unknown path", e.do(t, "GET", "/api/v1/nothing", "jakpus-system", "", nil), 404)
		got := e.do(t, "DELETE", "/api/v1/applications/"+number, "jakpus-system", "", nil)
		want(t, "DELETE", got, 405)
		if got.header.Get("Allow") != "GET, PUT" {
			t.Errorf("Allow: %q, want GET, PUT", got.header.Get("Allow"))
		}
	})
}

// TestScope: a token scoped to jakpus is refused (403) for anything at
// mataram: writing an application there, reading or changing one stored
// there, moving one there, its queue number; in an import, such rows are
// line errors and the rest load.
func TestScope(t *testing.T) {
	engines(t, api.Options{}, func(t *testing.T, e *env) {
		const other = "5200202611000001"
		at := "/api/v1/applications/"
		want(t, "national writes mataram", e.putJSON(t, at+other, "national", with(budi(), "office", "mataram")), 201)
		want(t, "jakpus token writes mataram", e.putJSON(t, at+number, "jakpus-system", with(budi(), "office", "mataram")), 403)
		want(t, "jakpus token overwrites mataram's application", e.putJSON(t, at+other, "jakpus-system", budi()), 403)
		want(t, "jakpus token reads mataram's", e.do(t, "GET", at+other, "jakpus-system", "", nil), 403)
		want(t, "jakpus token changes mataram's stage", e.postJSON(t, at+other+"/events", "jakpus-system",
			map[string]any{"stage": "paid", "at": "2026-12-01T10:00:00+07:00"}), 403)
		want(t, "jakpus token sets mataram's queue", e.putJSON(t, "/api/v1/offices/mataram/queue", "jakpus-system", map[string]any{"number": "B-1"}), 403)
		stored, err := e.store.FindApplicationAnywhere(context.Background(), other)
		if err != nil || stored.Stage != sigap.StageRegistered || stored.ApplicantName != "Budi Santoso" {
			t.Errorf("mataram's application changed: %+v %v", stored, err)
		}
		csv := "application_number,office,applicant_name,birth_date,passport_type,stage,stage_at\n" +
			number + ",jakpus,Siti Aminah,1985-03-02,ordinary,registered,2026-12-01T10:00:00+07:00\n" +
			"5200202611000002,mataram,Ani,1985-03-02,ordinary,registered,2026-12-01T10:00:00+07:00\n" +
			other + ",jakpus,Ani,1985-03-02,ordinary,registered,2026-12-01T10:00:00+07:00\n"
		got := e.do(t, "POST", "/api/v1/imports", "jakpus-system", "text/csv", csv)
		want(t, "import", got, 200)
		if got.body["created"] != 1.0 || len(got.body["errors"].([]any)) != 2 {
			t.Errorf("import of one row in scope and two out: %s", got.raw)
		}
		for i, line := range []float64{3, 4} {
			le := got.body["errors"].([]any)[i].(map[string]any)
			if le["line"] != line || !strings.Contains(le["error"].(string), "outside this token's offices") || line == 4 && strings.Contains(le["error"].(string), "mataram") {
				t.Errorf("error %d: %v, want line %v outside the token's offices", i, le, line)
			}
		}
	})
}

// TestValidation: each bad field is named with what is wrong; unknown
// fields are refused by name; the wrong media type is 415 and a body over
// the limit 413; nothing is stored.
func TestValidation(t *testing.T) {
	engines(t, api.Options{MaxBody: 2048}, func(t *testing.T, e *env) {
		path := "/api/v1/applications/" + number
		bad := with(budi(), "application_number", "1111111111111111", "office", "nowhere", "applicant_name", " ",
			"birth_date", "17-08-1990", "passport_type", "paper", "stage", "lost", "stage_at", "yesterday",
			"billing_code", "12345", "billing_expires_at", "soon", "note", "a\x00b")
		got := e.putJSON(t, path, "national", bad)
		want(t, "bad fields", got, 400)
		var named []string
		for f := range got.fields() {
			named = append(named, f)
		}
		wantNamed := []string{"applicant_name", "application_number", "billing_code", "billing_expires_at", "birth_date", "note", "office", "passport_type", "stage", "stage_at"}
		if d := cmp.Diff(wantNamed, sorted(named)); d != "" {
			t.Errorf("fields named (-want +got):\n%s\n%s", d, got.raw)
		}
		got = e.putJSON(t, path, "national", with(budi(), "nama", "Budi"))
		want(t, "unknown field", got, 400)
		if got.fields()["nama"] == nil {
			t.Errorf("unknown field not named: %s", got.raw)
		}
		got = e.putJSON(t, path, "national", with(budi(), "note", 5))
		if got.status != 400 || got.fields()["note"] != "want a string" {
			t.Errorf("a number for note: %d %s", got.status, got.raw)
		}
		want(t, "missing fields", e.putJSON(t, path, "national", map[string]any{}), 400)
		want(t, "not JSON", e.do(t, "PUT", path, "national", "application/json", "{"), 400)
		want(t, "two objects", e.do(t, "PUT", path, "national", "application/json", "{} {}"), 400)
		want(t, "form body", e.do(t, "PUT", path, "national", "application/x-www-form-urlencoded", "office=jakpus"), 415)
		want(t, "no content type", e.do(t, "PUT", path, "national", "", "{}"), 415)
		want(t, "over the limit", e.putJSON(t, path, "national", with(budi(), "note", strings.Repeat("x", 3000))), 413)
		want(t, "bad number in the path", e.putJSON(t, "/api/v1/applications/12345", "national", budi()), 400)
		got = e.postJSON(t, path+"/events", "national", map[string]any{"stage": "paid", "at": "now", "billing_code": "1"})
		want(t, "bad event", got, 400)
		if f := got.fields(); f["at"] == nil || f["billing_code"] == nil {
			t.Errorf("bad event's fields: %s", got.raw)
		}
		got = e.putJSON(t, "/api/v1/offices/jakpus/queue", "national", map[string]any{"number": "<script>"})
		if got.status != 400 || got.fields()["number"] == nil {
			t.Errorf("bad queue number: %d %s", got.status, got.raw)
		}
		want(t, "queue of no office", e.putJSON(t, "/api/v1/offices/nowhere/queue", "national", map[string]any{"number": "A-1"}), 404)
		if _, err := e.store.FindApplicationAnywhere(context.Background(), number); err == nil {
			t.Error("a refused request stored the application")
		}
		if got := e.putJSON(t, path, "national", with(budi(), "application_number", number)); got.status != 201 {
			t.Errorf("application_number equal to the path's: %d %s", got.status, got.raw)
		}
	})
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestApplicationsAreIdempotent: PUT creates (201), the same body again
// changes nothing (200 unchanged), a newer stage updates (200), an older
// one only adds to the history; GET shows the fields and the history.
func TestApplicationsAreIdempotent(t *testing.T) {
	engines(t, api.Options{}, func(t *testing.T, e *env) {
		path := "/api/v1/applications/" + number
		steps := []struct {
			body   map[string]any
			status int
			result string
			stage  string
		}{
			{budi(), 201, "created", "registered"},
			{budi(), 200, "unchanged", "registered"},
			{with(budi(), "stage", "awaiting_payment", "stage_at", "2026-12-01T10:00:00+07:00", "billing_code", "820261201000007",
				"billing_expires_at", "2026-12-01T12:00:00+07:00"), 200, "updated", "awaiting_payment"},
			{with(budi(), "stage", "registered", "stage_at", "2026-11-30T09:05:00+07:00"), 200, "unchanged", "awaiting_payment"},
		}
		for i, st := range steps {
			got := e.putJSON(t, path, "jakpus-system", st.body)
			want(t, fmt.Sprintf("step %d", i), got, st.status)
			app, _ := got.body["application"].(map[string]any)
			if got.body["result"] != st.result || app["stage"] != st.stage {
				t.Errorf("step %d: %s, want %s and stage %s", i, got.raw, st.result, st.stage)
			}
		}
		got := e.do(t, "GET", path, "jakpus-system", "", nil)
		want(t, "GET", got, 200)
		if got.body["applicant_name"] != "Budi Santoso" || got.body["billing_code"] != "820261201000007" ||
			got.body["stage_at"] != "2026-12-01T03:00:00Z" || got.body["birth_date"] != "1990-08-17" {
			t.Errorf("GET: %s", got.raw)
		}
		var stages []string
		for _, h := range got.body["history"].([]any) {
			stages = append(stages, h.(map[string]any)["stage"].(string))
		}
		if d := cmp.Diff([]string{"registered", "registered", "awaiting_payment"}, stages); d != "" {
			t.Errorf("history oldest first (-want +got):\n%s", d)
		}
	})
}

// TestStageEvents: events apply in time order whatever order they arrive
// in, the same event twice is "known", and the bot answers with the new
// stage at once.
func TestStageEvents(t *testing.T) {
	engines(t, api.Options{}, func(t *testing.T, e *env) {
		path := "/api/v1/applications/" + number
		want(t, "create", e.putJSON(t, path, "jakpus-system", budi()), 201)
		ev := func(stage, at string, extra ...any) map[string]any {
			return with(map[string]any{"stage": stage, "at": at}, extra...)
		}
		steps := []struct {
			ev     map[string]any
			result string
			stage  string
		}{
			{ev("awaiting_payment", "2026-12-01T10:00:00+07:00", "billing_code", "820261201000007", "billing_expires_at", "2026-12-01T12:00:00+07:00"), "applied", "awaiting_payment"},
			{ev("interviewed", "2026-12-02T09:00:00+07:00"), "applied", "interviewed"},
			{ev("paid", "2026-12-01T10:30:00+07:00"), "history", "interviewed"}, // late
			{ev("interviewed", "2026-12-02T09:00:00+07:00"), "known", "interviewed"},
			{ev("paid", "2026-12-01T03:30:00Z"), "known", "interviewed"}, // the same moment, another offset
			{ev("ready", "2026-12-02T10:00:00+07:00", "note", "Ambil di loket 3"), "applied", "ready"},
		}
		for i, st := range steps {
			got := e.postJSON(t, path+"/events", "jakpus-system", st.ev)
			want(t, fmt.Sprintf("event %d", i), got, 200)
			app, _ := got.body["application"].(map[string]any)
			if got.body["result"] != st.result || app["stage"] != st.stage {
				t.Errorf("event %d: %s, want %s and stage %s", i, got.raw, st.result, st.stage)
			}
		}
		got := e.do(t, "GET", path, "jakpus-system", "", nil)
		var hist []string
		for _, h := range got.body["history"].([]any) {
			hist = append(hist, h.(map[string]any)["stage"].(string)+"@"+h.(map[string]any)["at"].(string))
		}
		wantHist := []string{"registered@2026-12-01T02:05:00Z", "awaiting_payment@2026-12-01T03:00:00Z", "paid@2026-12-01T03:30:00Z",
			"interviewed@2026-12-02T02:00:00Z", "ready@2026-12-02T03:00:00Z"}
		if d := cmp.Diff(wantHist, hist); d != "" {
			t.Errorf("history (-want +got):\n%s", d)
		}
		if got.body["note"] != "Ambil di loket 3" || got.body["billing_code"] != "" {
			t.Errorf("after ready: %s", got.raw)
		}
		want(t, "event for no application", e.postJSON(t, "/api/v1/applications/9999999999999999/events", "national", ev("paid", "2026-12-01T10:00:00+07:00")), 404)

		// The bot reads the stage the API just wrote.
		office := offices()["jakpus"]
		replies, _, err := e.bot.Handle(context.Background(), office, sigap.Conversation{Office: "jakpus", User: "6281100000001"},
			sigap.InboundMessage{ID: "m1", Kind: sigap.KindText, Text: number, At: e.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if len(replies) == 0 || !strings.Contains(replies[0].Text, "Siap diambil") && !strings.Contains(strings.ToLower(replies[0].Text), "siap") {
			t.Errorf("the bot's answer does not show the ready stage:\n%v", replies)
		}
	})
}

// TestRateLimit: a token gets RateLimit requests a window, shared by two
// API instances on one database (two replicas); the next gets 429 with
// Retry-After, the rest of the window; another token is not limited; the
// next window starts again.
func TestRateLimit(t *testing.T) {
	engines(t, api.Options{RateLimit: 3}, func(t *testing.T, e *env) {
		second := httptest.NewServer((&web.Server{API: api.New(e.opts), Log: slog.New(slog.DiscardHandler)}).Handler())
		defer second.Close()
		first := e.url
		path := "/api/v1/applications/" + number
		for i := range 3 {
			if i == 1 {
				e.url = second.URL
			}
			want(t, fmt.Sprintf("request %d", i+1), e.do(t, "GET", path, "jakpus-system", "", nil), 404)
		}
		e.url = first
		got := e.do(t, "GET", path, "jakpus-system", "", nil)
		want(t, "over the limit", got, 429)
		if got.header.Get("Retry-After") != "50" {
			t.Errorf("Retry-After %q, want 50 (seconds to the window's end)", got.header.Get("Retry-After"))
		}
		want(t, "another token", e.do(t, "GET", path, "national", "", nil), 404)
		e.clock.Add(50 * time.Second)
		want(t, "next window", e.do(t, "GET", path, "jakpus-system", "", nil), 404)
	})
}

// TestImport: a CSV import answers its counts and line-numbered errors,
// loads good rows around bad ones, and changes nothing the second time.
func TestImport(t *testing.T) {
	engines(t, api.Options{}, func(t *testing.T, e *env) {
		csv := "application_number,office,applicant_name,birth_date,passport_type,stage,stage_at,note\n" +
			"1060202611000007,jakpus,Budi Santoso,1990-08-17,electronic,registered,2026-12-01T09:05:00+07:00,\n" +
			"1060202611000014,jakpus,Siti Aminah,1985-03-02,ordinary,on_hold,2026-12-01T10:00:00+07:00,\"Akta\nbelum ada\"\n" +
			"106020261100002,jakpus,Ani,1985-03-02,ordinary,registered,2026-12-01T10:00:00+07:00,\n" +
			"5200202611000001,mataram,Ani,1985-03-02,paper,registered,2026-12-01T10:00:00+07:00,\n"
		got := e.do(t, "POST", "/api/v1/imports", "national", "text/csv; charset=utf-8", csv)
		want(t, "import", got, 200)
		if got.body["created"] != 2.0 || got.body["updated"] != 0.0 || got.body["unchanged"] != 0.0 {
			t.Errorf("import: %s", got.raw)
		}
		var lines []float64
		for _, le := range got.body["errors"].([]any) {
			lines = append(lines, le.(map[string]any)["line"].(float64))
		}
		if d := cmp.Diff([]float64{5, 6}, lines); d != "" {
			t.Errorf("error lines, counted from 1 as in the body (-want +got):\n%s\n%s", d, got.raw)
		}
		got = e.do(t, "POST", "/api/v1/imports", "national", "text/csv", csv)
		if got.body["created"] != 0.0 || got.body["unchanged"] != 2.0 {
			t.Errorf("the same import again: %s", got.raw)
		}
		ndjson := `{"application_number": "1060202611000007", "office": "jakpus", "applicant_name": "Budi Santoso", "birth_date": "1990-08-17", "passport_type": "electronic", "stage": "paid", "stage_at": "2026-12-01T11:00:00+07:00"}` + "\n" +
			`{"application_number": "1060202611000021", "office": "jakpus", "applicant_name": "Rina", "birth_date": "1991-01-02", "passport_type": "ordinary", "stage": "registered", "stage_at": "2026-12-01T11:00:00+07:00"}` + "\n" +
			`{"application_number": "1060202611000028", "office": "jakpus"` + "\n" +
			`{"application_number": "1060202611000014", "office": "jakpus", "applicant_name": "Siti Aminah", "birth_date": "1985-03-02", "passport_type": "ordinary", "stage": "on_hold", "stage_at": "2026-12-01T10:00:00+07:00", "note": "Akta\nbelum ada"}` + "\n"
		got = e.do(t, "POST", "/api/v1/imports", "national", "application/x-ndjson", ndjson)
		want(t, "NDJSON import", got, 200)
		if got.body["created"] != 1.0 || got.body["updated"] != 1.0 || got.body["unchanged"] != 1.0 ||
			len(got.body["errors"].([]any)) != 1 || got.body["errors"].([]any)[0].(map[string]any)["line"] != 3.0 {
			t.Errorf("NDJSON import: %s", got.raw)
		}
		want(t, "JSON body", e.postJSON(t, "/api/v1/imports", "national", budi()), 415)
		got = e.do(t, "POST", "/api/v1/imports", "national", "text/csv", "name,office\nx,y\n")
		if got.status != 400 || !strings.Contains(got.body["error"].(string), "missing column") {
			t.Errorf("a CSV without the columns: %d %s", got.status, got.raw)
		}
	})
}

// TestImportLimit: an import over MaxImport is 413 and says so.
func TestImportLimit(t *testing.T) {
	engines(t, api.Options{MaxImport: 4096}, func(t *testing.T, e *env) {
		var b strings.Builder
		b.WriteString("application_number,office,applicant_name,birth_date,passport_type,stage,stage_at\n")
		for i := range 100 {
			fmt.Fprintf(&b, "10602026110%05d,jakpus,Budi Santoso,1990-08-17,electronic,registered,2026-12-01T09:05:00+07:00\n", i)
		}
		got := e.do(t, "POST", "/api/v1/imports", "national", "text/csv", b.String())
		want(t, "import over the limit", got, 413)
		if got.body["error"] == nil {
			t.Errorf("413 without an error: %s", got.raw)
		}
	})
}

// TestQueueNumber: the queue number set through the API heads the #antrian
// answer with the time it was set, that day in the office's time zone; the
// next day it is not shown.
func TestQueueNumber(t *testing.T) {
	engines(t, api.Options{}, func(t *testing.T, e *env) {
		got := e.putJSON(t, "/api/v1/offices/jakpus/queue", "jakpus-system", map[string]any{"number": "A-123"})
		want(t, "set", got, 200)
		if got.body["number"] != "A-123" || got.body["set_at"] != "2026-12-02T03:00:10Z" {
			t.Errorf("set: %s", got.raw)
		}
		antrian := func() string {
			t.Helper()
			replies, _, err := e.bot.Handle(context.Background(), offices()["jakpus"], sigap.Conversation{Office: "jakpus", User: "6281100000002"},
				sigap.InboundMessage{ID: "q", Kind: sigap.KindText, Text: "#antrian", At: e.clock.Now()})
			if err != nil || len(replies) != 1 {
				t.Fatalf("#antrian: %v %v", replies, err)
			}
			return replies[0].Text
		}
		text := antrian()
		if !strings.Contains(text, "A-123") || !strings.Contains(text, "2 Desember 2026 pukul 10.00 WIB") || !strings.Contains(text, "Pengambilan paspor") {
			t.Errorf("#antrian the day it was set:\n%s", text)
		}
		// Late that evening, still the same day in Jakarta.
		e.clock.Add(13 * time.Hour)
		if !strings.Contains(antrian(), "A-123") {
			t.Errorf("#antrian at 23:00 WIB the same day does not show the number")
		}
		// 00:00 WIB the next day.
		e.clock.Add(time.Hour)
		if text := antrian(); strings.Contains(text, "A-123") || !strings.Contains(text, "Pengambilan paspor") {
			t.Errorf("#antrian the next day:\n%s", text)
		}
		// mataram has none.
		replies, _, _ := e.bot.Handle(context.Background(), offices()["mataram"], sigap.Conversation{Office: "mataram", User: "6281100000002"},
			sigap.InboundMessage{ID: "q2", Kind: sigap.KindText, Text: "#antrian", At: e.clock.Now()})
		if len(replies) != 1 || strings.Contains(replies[0].Text, "A-123") {
			t.Errorf("mataram's #antrian: %v", replies)
		}
	})
}

// TestWritesAreRecorded: every authenticated write is recorded with its
// token, method, path, what it was about, status and outcome; reads and
// requests without a valid token are not.
func TestWritesAreRecorded(t *testing.T) {
	engines(t, api.Options{}, func(t *testing.T, e *env) {
		path := "/api/v1/applications/" + number
		e.putJSON(t, path, "jakpus-system", budi())
		e.do(t, "GET", path, "jakpus-system", "", nil)
		e.putJSON(t, path, "jakpus-system", with(budi(), "office", "mataram"))
		e.postJSON(t, path+"/events", "national", map[string]any{"stage": "paid", "at": "2026-12-01T10:00:00+07:00"})
		e.putJSON(t, "/api/v1/offices/jakpus/queue", "national", map[string]any{"number": "A-7"})
		e.putJSON(t, path, "", budi())
		got, err := e.store.APIWrites(context.Background(), 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []sigap.APIWrite{
			{At: start, Token: "national", Method: "PUT", Path: "/api/v1/offices/jakpus/queue", Office: "jakpus", Status: 200, Outcome: "queue A-7"},
			{At: start, Token: "national", Method: "POST", Path: path + "/events", Office: "jakpus", Application: number, Status: 200, Outcome: "applied"},
			{At: start, Token: "jakpus-system", Method: "PUT", Path: path, Office: "mataram", Application: number, Status: 403, Outcome: "forbidden: office mataram"},
			{At: start, Token: "jakpus-system", Method: "PUT", Path: path, Office: "jakpus", Application: number, Status: 201, Outcome: "created"},
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("writes recorded (-want +got):\n%s", d)
		}
	})
}
