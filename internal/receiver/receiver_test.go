package receiver_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/receiver"
)

// channel is a sigap.Channel that receives at path (none if empty).
type channel struct{ path string }

func (channel) Split(r sigap.Reply) []sigap.Reply { return []sigap.Reply{r} }
func (channel) Prepare(_ sigap.Office, m sigap.OutboundMessage, _ time.Time) (sigap.OutboundMessage, error) {
	return m, nil
}
func (channel) Budget(sigap.Office) (string, int) { return "", 1 }
func (channel) Send(context.Context, sigap.Office, sigap.OutboundMessage) (string, error) {
	return "", nil
}
func (channel) Classify(error, int) sigap.SendFailure                              { return sigap.SendFailure{} }
func (channel) Ready(sigap.Office) error                                           { return nil }
func (channel) MarkRead(context.Context, sigap.Office, sigap.InboundMessage) error { return nil }

// receiving is a channel with a receiver that names the office it found.
type receiving struct{ channel }

func (c receiving) ReceivePath() string { return c.path }
func (c receiving) Receiver(w receiver.Wiring) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		o, _ := w.Offices("addr")
		_, _ = io.WriteString(rw, c.path+" "+o.Code)
	})
}

// TestRoutes: each channel offering Receiver is mounted at its path, made
// of its own wiring; a channel without one is not; two at one path, or a
// path outside /webhooks/, are refused.
func TestRoutes(t *testing.T) {
	wiring := func(name string) receiver.Wiring {
		return receiver.Wiring{Offices: func(string) (sigap.Office, bool) { return sigap.Office{Code: "office-of-" + name}, true }}
	}
	routes, err := receiver.Routes(map[string]sigap.Channel{
		"cloud_api": receiving{channel{"/webhooks/whatsapp"}},
		"test":      receiving{channel{"/webhooks/test"}},
		"plain":     channel{},
	}, wiring)
	if err != nil {
		t.Fatal(err)
	}
	if len(routes) != 2 {
		t.Errorf("routes %v, want two", routes)
	}
	for path, want := range map[string]string{"/webhooks/whatsapp": "/webhooks/whatsapp office-of-cloud_api", "/webhooks/test": "/webhooks/test office-of-test"} {
		rec := httptest.NewRecorder()
		routes[path].ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, nil))
		if rec.Body.String() != want {
			t.Errorf("%s answered %q, want %q", path, rec.Body.String(), want)
		}
	}
	for _, tc := range []struct {
		name     string
		channels map[string]sigap.Channel
		want     string
	}{
		{"same path", map[string]sigap.Channel{"a": receiving{channel{"/webhooks/x"}}, "b": receiving{channel{"/webhooks/x"}}}, `channels "a" and "b" both receive at /webhooks/x`},
		{"outside", map[string]sigap.Channel{"a": receiving{channel{"/admin/x"}}}, `channel "a" receives at "/admin/x"`},
		{"the prefix alone", map[string]sigap.Channel{"a": receiving{channel{"/webhooks/"}}}, `channel "a" receives at "/webhooks/"`},
	} {
		if _, err := receiver.Routes(tc.channels, wiring); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
