package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/web"
)

// TestSimulatorForTheConsole: with Allowed, a request talks only to the
// offices it may, and sees them as Lookup gives them (the console's
// changes); Phone renders just those, posting to the console's endpoint
// with its token; outside a demo, /simulator leads to the console's page.
func TestSimulatorForTheConsole(t *testing.T) {
	var got sigap.Office
	sim := &web.Simulator{
		Offices: []sigap.Office{{Code: "jakpus", Name: "Jakarta Pusat"}, {Code: "mataram", Name: "Mataram"}},
		Lookup: func(code string) (sigap.Office, bool) {
			return sigap.Office{Code: code, Name: "Live " + code}, true
		},
		Allowed: func(r *http.Request) func(string) bool {
			return func(code string) bool { return code == r.Header.Get("X-Office") }
		},
		Chat: func(_ context.Context, o sigap.Office, _ sigap.InboundMessage) ([]sigap.Reply, error) {
			got = o
			return nil, nil
		},
	}
	post := func(office string) int {
		req := httptest.NewRequest(http.MethodPost, "/admin/simulator/messages", strings.NewReader(`{"office":"`+office+`","from":"t1","text":"halo"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Office", "jakpus")
		rec := httptest.NewRecorder()
		sim.ServeMessage(rec, req)
		return rec.Code
	}
	if code := post("jakpus"); code != http.StatusOK || got.Name != "Live jakpus" {
		t.Errorf("own office: %d, bot got %+v", code, got)
	}
	if code := post("mataram"); code != http.StatusBadRequest {
		t.Errorf("another office: %d, want 400", code)
	}
	req := httptest.NewRequest(http.MethodGet, "/admin/simulator", nil)
	req.Header.Set("X-Office", "jakpus")
	phone, err := sim.Phone(req, "/admin/simulator/messages", "tok<en>", "id")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`value="jakpus"`, `data-name="Live jakpus"`, `data-endpoint="/admin/simulator/messages"`, `data-csrf="tok&lt;en&gt;"`, `id="office-name"`} {
		if !strings.Contains(string(phone), want) {
			t.Errorf("phone lacks %s", want)
		}
	}
	if strings.Contains(string(phone), "mataram") {
		t.Error("phone offers another office")
	}

	srv := &web.Server{Ready: func(context.Context) error { return nil }, Receivers: map[string]http.Handler{"/webhooks/whatsapp": http.NotFoundHandler()},
		Console: http.NotFoundHandler(), Log: slog.New(slog.DiscardHandler)}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/simulator", nil))
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/simulator" {
		t.Errorf("/simulator outside a demo: %d %s, want 303 to /admin/simulator", rec.Code, rec.Header().Get("Location"))
	}
}
