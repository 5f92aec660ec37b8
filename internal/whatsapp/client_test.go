package whatsapp_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/graphtest"
	"github.com/sigap-id/sigap/internal/whatsapp"
)

const graphToken = "EAAtestTOKEN123"

func startGraph(t *testing.T, token string) *graphtest.Server {
	t.Helper()
	srv, err := graphtest.Start(token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func textMessage(t *testing.T, to, text string) whatsapp.Outgoing {
	t.Helper()
	m, err := whatsapp.Render(to, sigap.Reply{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestClientSendSuccess(t *testing.T) {
	srv := startGraph(t, graphToken)
	// A trailing slash on WHATSAPP_GRAPH_URL must not double the slash.
	c := whatsapp.NewClient(srv.URL+"/", "v23.0")

	tests := []struct {
		name   string
		to     string
		reply  sigap.Reply
		golden string
	}{
		{"text", budi, sigap.Reply{Text: "Permohonan 1234567890123456 atas nama B*** S******\nTahap: siap diambil sejak 12 Februari 2025."}, "text.json"},
		{"text to a business-scoped user id", "US.13491208655302741918", sigap.Reply{Text: "Halo! Ketik #menu untuk melihat layanan."}, "text_bsuid.json"},
		{"list", budi, sigap.Reply{Text: fallbackText, List: menuList()}, "list.json"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := whatsapp.Render(tt.to, tt.reply)
			if err != nil {
				t.Fatal(err)
			}
			wamid, err := c.Send(context.Background(), jakpusPhone, graphToken, m)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			reqs := srv.Requests()
			if len(reqs) != i+1 {
				t.Fatalf("stand-in saw %d requests, want %d", len(reqs), i+1)
			}
			got := reqs[i]
			if wamid == "" || wamid != got.WAMID {
				t.Errorf("Send returned wamid %q, the stand-in answered %q", wamid, got.WAMID)
			}
			if path, want := "/"+got.Version+"/"+got.PhoneNumberID+"/messages", "/v23.0/"+jakpusPhone+"/messages"; path != want {
				t.Errorf("path = %s, want %s", path, want)
			}
			if got.Token != graphToken {
				t.Errorf("bearer token = %q, want %q", got.Token, graphToken)
			}
			if got.To() != tt.to {
				t.Errorf("recipient = %q, want %q", got.To(), tt.to)
			}
			want := decodeJSON(t, readRender(t, tt.golden))
			if diff := cmp.Diff(want, decodeJSON(t, got.Raw)); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func readRender(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "render", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestClientSendWrongToken(t *testing.T) {
	srv := startGraph(t, graphToken)
	c := whatsapp.NewClient(srv.URL, "v23.0")
	_, err := c.Send(context.Background(), jakpusPhone, "EAAexpired", textMessage(t, budi, "halo"))
	var apiErr *whatsapp.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("Send error = %v (%T), want *APIError", err, err)
	}
	want := &whatsapp.APIError{
		HTTPStatus: http.StatusUnauthorized, Code: 190, Type: "OAuthException",
		Message: "(#190) Invalid OAuth access token - Cannot parse access token",
		Details: "Invalid OAuth access token - Cannot parse access token", TraceID: "AStandInTrace",
	}
	if diff := cmp.Diff(want, apiErr); diff != "" {
		t.Errorf("APIError mismatch (-want +got):\n%s", diff)
	}
	if !apiErr.Permanent() || !apiErr.NeedsOperator() {
		t.Errorf("190: Permanent=%v NeedsOperator=%v, want both true", apiErr.Permanent(), apiErr.NeedsOperator())
	}
	if len(srv.Sent()) != 0 {
		t.Error("stand-in sent a message with a wrong token")
	}
}

func TestClientSendFailures(t *testing.T) {
	tests := []struct {
		name          string
		fail          graphtest.Failure
		permanent     bool
		needsOperator bool
	}{
		{"130429 throughput", graphtest.Failure{HTTPStatus: 400, Code: 130429, Message: "Rate limit hit"}, false, false},
		{"131056 pair rate limit", graphtest.Failure{HTTPStatus: 400, Code: 131056, Message: "(Business Account, Consumer Account) pair rate limit hit"}, false, false},
		{"131000 something went wrong", graphtest.Failure{HTTPStatus: 500, Code: 131000, Message: "Something went wrong"}, false, false},
		{"131016 service unavailable", graphtest.Failure{HTTPStatus: 503, Code: 131016, Message: "Service unavailable"}, false, false},
		{"131047 outside the window", graphtest.Failure{HTTPStatus: 400, Code: 131047, Message: "Re-engagement message"}, true, false},
		{"131026 undeliverable", graphtest.Failure{HTTPStatus: 400, Code: 131026, Message: "Message undeliverable"}, true, false},
		{"100 invalid parameter", graphtest.Failure{HTTPStatus: 400, Code: 100, Message: "Invalid parameter"}, true, false},
		{"368 policy block", graphtest.Failure{HTTPStatus: 403, Code: 368, Message: "Temporarily blocked for policies violations"}, true, true},
		{"131031 account locked", graphtest.Failure{HTTPStatus: 403, Code: 131031, Message: "Account has been locked"}, true, true},
		{"5xx without a code", graphtest.Failure{HTTPStatus: 503, Code: 0, Message: "Service temporarily unavailable"}, false, false},
	}
	srv := startGraph(t, graphToken)
	c := whatsapp.NewClient(srv.URL, "v23.0")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.FailNext(1, tt.fail)
			_, err := c.Send(context.Background(), jakpusPhone, graphToken, textMessage(t, budi, "halo"))
			var apiErr *whatsapp.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("Send error = %v (%T), want *APIError", err, err)
			}
			if apiErr.HTTPStatus != tt.fail.HTTPStatus || apiErr.Code != tt.fail.Code {
				t.Errorf("APIError HTTP %d code %d, want HTTP %d code %d", apiErr.HTTPStatus, apiErr.Code, tt.fail.HTTPStatus, tt.fail.Code)
			}
			if apiErr.Details != tt.fail.Message || apiErr.Type != "OAuthException" || apiErr.TraceID == "" {
				t.Errorf("APIError details=%q type=%q trace=%q", apiErr.Details, apiErr.Type, apiErr.TraceID)
			}
			if !strings.Contains(apiErr.Error(), tt.fail.Message) {
				t.Errorf("Error() = %q, want the details in it", apiErr.Error())
			}
			if apiErr.Permanent() != tt.permanent || apiErr.NeedsOperator() != tt.needsOperator {
				t.Errorf("Permanent=%v NeedsOperator=%v, want %v %v", apiErr.Permanent(), apiErr.NeedsOperator(), tt.permanent, tt.needsOperator)
			}
			// The failure was used up: the next send goes through.
			if _, err := c.Send(context.Background(), jakpusPhone, graphToken, textMessage(t, budi, "lagi")); err != nil {
				t.Errorf("send after the failure: %v", err)
			}
		})
	}
}

// Classification per whatsapp.md §3.3, independent of any server.
func TestAPIErrorClassification(t *testing.T) {
	tests := []struct {
		code, status             int
		permanent, needsOperator bool
	}{
		// Retry with backoff.
		{130429, 400, false, false},
		{131056, 400, false, false},
		{131000, 500, false, false},
		{131000, 400, false, false},
		{131016, 503, false, false},
		{1, 400, false, false},
		{2, 503, false, false},
		{131057, 400, false, false},
		{4, 400, false, false},
		{80007, 400, false, false},
		{0, 500, false, false},
		{0, 502, false, false},
		{0, 503, false, false},
		// Final.
		{131047, 400, true, false},
		{470, 400, true, false},
		{131026, 400, true, false},
		{131051, 400, true, false},
		{100, 400, true, false},
		{131052, 400, true, false},
		{131053, 400, true, false},
		{132000, 400, true, false},
		{132001, 400, true, false},
		{132012, 400, true, false},
		{131048, 400, true, false},
		{131049, 400, true, false},
		// Final, and a person must act.
		{368, 403, true, true},
		{131031, 403, true, true},
		{130497, 403, true, true},
		{190, 401, true, true},
		{10, 403, true, true},
		{200, 403, true, true},
		{299, 403, true, true},
		// An answer Meta took but that could not be read: not retried blindly.
		{-1, 200, true, false},
	}
	for _, tt := range tests {
		e := &whatsapp.APIError{HTTPStatus: tt.status, Code: tt.code}
		if got := e.Permanent(); got != tt.permanent {
			t.Errorf("code %d HTTP %d: Permanent() = %v, want %v", tt.code, tt.status, got, tt.permanent)
		}
		if got := e.NeedsOperator(); got != tt.needsOperator {
			t.Errorf("code %d HTTP %d: NeedsOperator() = %v, want %v", tt.code, tt.status, got, tt.needsOperator)
		}
	}
}

func TestClientSendOddAnswers(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		wantCode  int
		permanent bool
	}{
		{"200 without a message id", 200, `{"messaging_product":"whatsapp","messages":[]}`, -1, true},
		{"200 that is not JSON", 200, `<html>ok</html>`, -1, true},
		{"200 carrying an error object", 200, `{"error":{"message":"(#131056) pair rate limit","type":"OAuthException","code":131056}}`, 131056, false},
		{"502 from a proxy, not JSON", 502, `<html><body>Bad Gateway</body></html>`, 0, false},
		{"404 from a wrong base URL, not JSON", 404, `404 page not found`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c := whatsapp.NewClient(srv.URL, "v23.0")
			wamid, err := c.Send(context.Background(), jakpusPhone, graphToken, textMessage(t, budi, "halo"))
			var apiErr *whatsapp.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("Send = %q, %v; want *APIError", wamid, err)
			}
			if apiErr.HTTPStatus != tt.status || apiErr.Code != tt.wantCode || apiErr.Permanent() != tt.permanent {
				t.Errorf("APIError HTTP %d code %d permanent %v, want HTTP %d code %d permanent %v",
					apiErr.HTTPStatus, apiErr.Code, apiErr.Permanent(), tt.status, tt.wantCode, tt.permanent)
			}
			if tt.wantCode == 0 && !strings.Contains(apiErr.Message, strings.TrimSpace(tt.body)) {
				t.Errorf("Message = %q, want the raw answer in it", apiErr.Message)
			}
		})
	}
}

// A Graph API that hangs longer than the client's timeout gives a transport
// error, not an *APIError, which the outbox retries.
func TestClientSendTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)

	c := whatsapp.NewClient(srv.URL, "v23.0")
	c.HTTP.Timeout = 50 * time.Millisecond
	start := time.Now()
	_, err := c.Send(context.Background(), jakpusPhone, graphToken, textMessage(t, budi, "halo"))
	if err == nil {
		t.Fatal("Send to a hung server succeeded")
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Send took %v, the timeout is 50ms", elapsed)
	}
	var apiErr *whatsapp.APIError
	if errors.As(err, &apiErr) {
		t.Errorf("Send error is an *APIError (%v); want a transport error", err)
	}
	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Errorf("Send error = %v, want a timeout", err)
	}
}

func TestClientSendTransportErrors(t *testing.T) {
	srv := startGraph(t, graphToken)
	c := whatsapp.NewClient(srv.URL, "v23.0")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Send(ctx, jakpusPhone, graphToken, textMessage(t, budi, "halo"))
	var apiErr *whatsapp.APIError
	if !errors.Is(err, context.Canceled) || errors.As(err, &apiErr) {
		t.Errorf("Send with a cancelled context = %v, want context.Canceled and no *APIError", err)
	}

	// Nothing listens on a closed server's port.
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	c = whatsapp.NewClient(closed.URL, "v23.0")
	_, err = c.Send(context.Background(), jakpusPhone, graphToken, textMessage(t, budi, "halo"))
	if err == nil || errors.As(err, &apiErr) {
		t.Errorf("Send to a closed port = %v, want a transport error", err)
	}
	if len(srv.Requests()) != 0 {
		t.Errorf("stand-in saw %d requests", len(srv.Requests()))
	}
}

func TestChannelSend(t *testing.T) {
	srv := startGraph(t, "") // accepts any token and records it
	ch := &whatsapp.Channel{Client: whatsapp.NewClient(srv.URL, "v23.0"), Token: "EAAdefault", Log: discardLog()}

	broken := smallList()
	broken.Sections[0].Rows = rows(11)
	tests := []struct {
		name      string
		office    sigap.Office
		msg       sigap.OutboundMessage
		wantToken string
		wantType  string
	}{
		{"office without its own token", sigap.Office{Code: "jakpus", ChannelConfig: &whatsapp.Config{PhoneNumberID: jakpusPhone}},
			sigap.OutboundMessage{To: budi, Reply: sigap.Reply{Text: "halo"}}, "EAAdefault", "text"},
		{"office with its own token", sigap.Office{Code: "surabaya", ChannelConfig: &whatsapp.Config{PhoneNumberID: sbyPhone, AccessToken: "EAAsurabaya"}},
			sigap.OutboundMessage{To: budi, Reply: sigap.Reply{Text: "halo"}}, "EAAsurabaya", "text"},
		{"list", sigap.Office{Code: "jakpus", ChannelConfig: &whatsapp.Config{PhoneNumberID: jakpusPhone}},
			sigap.OutboundMessage{To: budi, Reply: sigap.Reply{Text: fallbackText, List: menuList()}}, "EAAdefault", "interactive"},
		{"broken list goes out as its text", sigap.Office{Code: "jakpus", ChannelConfig: &whatsapp.Config{PhoneNumberID: jakpusPhone}},
			sigap.OutboundMessage{To: budi, Reply: sigap.Reply{Text: fallbackText, List: &broken}}, "EAAdefault", "text"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wamid, err := ch.Send(context.Background(), tt.office, tt.msg)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := srv.Requests()[i]
			if wamid != got.WAMID {
				t.Errorf("wamid = %q, stand-in answered %q", wamid, got.WAMID)
			}
			want := tt.office.ChannelConfig.(*whatsapp.Config).PhoneNumberID
			if got.PhoneNumberID != want || got.Token != tt.wantToken {
				t.Errorf("sent from %s with token %q, want %s with %q", got.PhoneNumberID, got.Token, want, tt.wantToken)
			}
			if typ := got.Body["type"]; typ != tt.wantType {
				t.Errorf("type = %v, want %s", typ, tt.wantType)
			}
		})
	}
}

// A reply from the outbox names itself in biz_opaque_callback_data, which
// Meta echoes in its statuses; a send without an outbox row carries none.
func TestChannelSendCallbackData(t *testing.T) {
	srv := startGraph(t, "")
	ch := &whatsapp.Channel{Client: whatsapp.NewClient(srv.URL, "v23.0"), Token: "EAAdefault", Log: discardLog()}
	office := sigap.Office{Code: "jakpus", ChannelConfig: &whatsapp.Config{PhoneNumberID: jakpusPhone}}
	for i, tt := range []struct {
		id   int64
		want any
	}{{4711, "sigap:jakpus:4711"}, {0, nil}} {
		if _, err := ch.Send(context.Background(), office, sigap.OutboundMessage{ID: tt.id, To: budi, Reply: sigap.Reply{Text: "halo"}}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if got := srv.Requests()[i].Body["biz_opaque_callback_data"]; got != tt.want {
			t.Errorf("reply %d: biz_opaque_callback_data = %v, want %v", tt.id, got, tt.want)
		}
	}
}
