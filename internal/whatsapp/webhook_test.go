package whatsapp_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/whatsapp"
)

// fakeInbox records what the webhook stores. The embedded interface covers
// the methods the webhook does not call.
type fakeInbox struct {
	sigap.Inbox
	mu        sync.Mutex
	saved     []sigap.Delivery
	duplicate bool // every message was seen before
	err       error
}

func (f *fakeInbox) SaveDelivery(_ context.Context, d sigap.Delivery) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, f.err
	}
	f.saved = append(f.saved, d)
	if f.duplicate {
		return 0, nil
	}
	return len(d.Messages), nil
}

const verifyToken = "sigap-verify-7f3a"

func TestWebhookHandshake(t *testing.T) {
	tests := []struct {
		name       string
		configured string // the webhook's VerifyToken
		method     string
		query      url.Values
		wantStatus int
		wantBody   string
	}{
		{"right token", verifyToken, http.MethodGet,
			url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {verifyToken}, "hub.challenge": {"1158201444"}},
			http.StatusOK, "1158201444"},
		{"challenge echoed raw", verifyToken, http.MethodGet,
			url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {verifyToken}, "hub.challenge": {"abc <def>&"}},
			http.StatusOK, "abc <def>&"},
		{"wrong token", verifyToken, http.MethodGet,
			url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"guess"}, "hub.challenge": {"1158201444"}},
			http.StatusForbidden, ""},
		{"token prefix", verifyToken, http.MethodGet,
			url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {verifyToken[:5]}, "hub.challenge": {"1"}},
			http.StatusForbidden, ""},
		{"no token sent", verifyToken, http.MethodGet,
			url.Values{"hub.mode": {"subscribe"}, "hub.challenge": {"1158201444"}},
			http.StatusForbidden, ""},
		{"wrong mode", verifyToken, http.MethodGet,
			url.Values{"hub.mode": {"unsubscribe"}, "hub.verify_token": {verifyToken}, "hub.challenge": {"1158201444"}},
			http.StatusForbidden, ""},
		{"no mode", verifyToken, http.MethodGet,
			url.Values{"hub.verify_token": {verifyToken}, "hub.challenge": {"1158201444"}},
			http.StatusForbidden, ""},
		{"no token configured, none sent", "", http.MethodGet,
			url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {""}, "hub.challenge": {"1158201444"}},
			http.StatusForbidden, ""},
		{"no token configured, one sent", "", http.MethodGet,
			url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {verifyToken}, "hub.challenge": {"1158201444"}},
			http.StatusForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &whatsapp.Webhook{VerifyToken: tt.configured, AppSecret: testSecret, Offices: testOffices, Inbox: &fakeInbox{}, Log: discardLog()}
			req := httptest.NewRequest(tt.method, "/webhooks/whatsapp?"+tt.query.Encode(), nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %q)", rec.Code, tt.wantStatus, rec.Body.String())
			}
			if tt.wantStatus != http.StatusOK {
				if bytes.Contains(rec.Body.Bytes(), []byte("1158201444")) {
					t.Errorf("refused handshake echoed the challenge: %q", rec.Body.String())
				}
				return
			}
			if got := rec.Body.String(); got != tt.wantBody {
				t.Errorf("body = %q, want the raw challenge %q", got, tt.wantBody)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type = %q, want text/plain", ct)
			}
		})
	}
}

func TestWebhookMethods(t *testing.T) {
	h := &whatsapp.Webhook{VerifyToken: verifyToken, AppSecret: testSecret, Offices: testOffices, Inbox: &fakeInbox{}, Log: discardLog()}
	for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, "/webhooks/whatsapp", nil))
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s: status = %d, want 405", method, rec.Code)
		}
		if allow := rec.Header().Get("Allow"); allow != "GET, POST" {
			t.Errorf("%s: Allow = %q, want \"GET, POST\"", method, allow)
		}
	}
}

func TestWebhookDeliver(t *testing.T) {
	text := readDelivery(t, "text.json")
	batch := readDelivery(t, "batch.json")
	statuses := readDelivery(t, "statuses.json")
	unowned := readDelivery(t, "unowned.json")
	wrongObject := readDelivery(t, "wrong_object.json")
	invalid := readDelivery(t, "invalid.json")
	tooBig := bytes.Repeat([]byte(" "), whatsapp.MaxBodyBytes+1)
	textID := "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDkA"

	tests := []struct {
		name         string
		secret       string // the webhook's AppSecret
		body         []byte
		signature    string
		inboxErr     error
		duplicate    bool // the inbox has seen every message
		wantStatus   int
		wantSaved    []string // wamids of the messages stored
		wantStatuses int      // statuses stored
		wantWoken    int      // Received's argument; 0: not called
	}{
		{name: "no app secret configured", secret: "", body: text, signature: whatsapp.Sign("", text),
			wantStatus: http.StatusForbidden},
		{name: "good delivery", secret: testSecret, body: text, signature: whatsapp.Sign(testSecret, text),
			wantStatus: http.StatusOK, wantSaved: []string{textID}, wantWoken: 1},
		{name: "batch stored in one call", secret: testSecret, body: batch, signature: whatsapp.Sign(testSecret, batch),
			wantStatus: http.StatusOK, wantSaved: []string{"wamid.batch.jakpus.1", "wamid.batch.jakpus.2", "wamid.batch.sby.1", "wamid.batch.sby.2"},
			wantStatuses: 1, wantWoken: 4},
		{name: "redelivery: stored before, nobody woken", secret: testSecret, body: text, signature: whatsapp.Sign(testSecret, text),
			duplicate: true, wantStatus: http.StatusOK, wantSaved: []string{textID}},
		{name: "statuses only: acknowledged, no message, nobody woken", secret: testSecret, body: statuses,
			signature: whatsapp.Sign(testSecret, statuses), wantStatus: http.StatusOK, wantStatuses: 3},
		{name: "unowned phone number: acknowledged, nothing stored", secret: testSecret, body: unowned,
			signature: whatsapp.Sign(testSecret, unowned), wantStatus: http.StatusOK},
		{name: "missing signature", secret: testSecret, body: text, wantStatus: http.StatusUnauthorized},
		{name: "wrong secret", secret: testSecret, body: text, signature: whatsapp.Sign("other", text), wantStatus: http.StatusUnauthorized},
		{name: "signature of another body", secret: testSecret, body: text, signature: whatsapp.Sign(testSecret, statuses),
			wantStatus: http.StatusUnauthorized},
		{name: "signed but not WhatsApp", secret: testSecret, body: wrongObject, signature: whatsapp.Sign(testSecret, wrongObject),
			wantStatus: http.StatusBadRequest},
		{name: "signed but not JSON", secret: testSecret, body: invalid, signature: whatsapp.Sign(testSecret, invalid),
			wantStatus: http.StatusBadRequest},
		{name: "malformed signature", secret: testSecret, body: text, signature: "sha256=00", wantStatus: http.StatusUnauthorized},
		{name: "too large", secret: testSecret, body: tooBig, signature: fakeSignature, wantStatus: http.StatusRequestEntityTooLarge},
		{name: "store down: not acknowledged", secret: testSecret, body: text, signature: whatsapp.Sign(testSecret, text),
			inboxErr: errors.New("database is locked"), wantStatus: http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inbox := &fakeInbox{err: tt.inboxErr, duplicate: tt.duplicate}
			woken := 0
			h := &whatsapp.Webhook{
				AppSecret: tt.secret, VerifyToken: verifyToken, Offices: testOffices, Inbox: inbox,
				Received: func(n int) { woken += n }, Log: discardLog(),
			}
			req := httptest.NewRequest(http.MethodPost, "/webhooks/whatsapp", bytes.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			if tt.signature != "" {
				req.Header.Set("X-Hub-Signature-256", tt.signature)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %q)", rec.Code, tt.wantStatus, rec.Body.String())
			}
			var saved []string
			statuses := 0
			for _, d := range inbox.saved {
				for _, m := range d.Messages {
					saved = append(saved, m.ID)
				}
				statuses += len(d.Statuses)
			}
			if diff := cmp.Diff(tt.wantSaved, saved); diff != "" {
				t.Errorf("stored wamids (-want +got):\n%s", diff)
			}
			if statuses != tt.wantStatuses {
				t.Errorf("stored %d statuses, want %d", statuses, tt.wantStatuses)
			}
			if len(inbox.saved) > 1 {
				t.Errorf("inbox called %d times, want at most once per delivery", len(inbox.saved))
			}
			if woken != tt.wantWoken {
				t.Errorf("Received(%d), want %d", woken, tt.wantWoken)
			}
		})
	}
}

// fakeSignature is well formed but signs nothing.
var fakeSignature = "sha256=" + strings.Repeat("0", 64)

// bodyNotRead fails the test if the webhook reads the body.
type bodyNotRead struct{ t *testing.T }

func (b bodyNotRead) Read([]byte) (int, error) {
	b.t.Error("the body was read before the signature header was checked")
	return 0, io.EOF
}

func TestWebhookRefusesUnsignedBeforeReading(t *testing.T) {
	for _, sig := range []string{"", "sha256=00", "md5=" + strings.Repeat("0", 64), "sha256=" + strings.Repeat("z", 64)} {
		h := &whatsapp.Webhook{AppSecret: testSecret, Offices: testOffices, Inbox: &fakeInbox{}, Log: discardLog()}
		req := httptest.NewRequest(http.MethodPost, "/webhooks/whatsapp", bodyNotRead{t})
		req.ContentLength = whatsapp.MaxBodyBytes
		if sig != "" {
			req.Header.Set("X-Hub-Signature-256", sig)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("signature %q: status %d, want 401", sig, rec.Code)
		}
	}
}

// rawPost opens a connection to addr and sends a webhook POST's headers,
// announcing size bytes, and the first part of its body; the rest never comes.
func rawPost(t *testing.T, addr, signature string, size int, part []byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	head := "POST /webhooks/whatsapp HTTP/1.1\r\nHost: sigap.test\r\nContent-Type: application/json\r\n" +
		"Content-Length: " + strconv.Itoa(size) + "\r\n"
	if signature != "" {
		head += "X-Hub-Signature-256: " + signature + "\r\n"
	}
	if _, err := c.Write(append([]byte(head+"\r\n"), part...)); err != nil {
		t.Fatal(err)
	}
	return c
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestWebhookSlowConnectionsDoNotReserveTheAnnouncedSize: a hundred
// connections that announce 4 MiB each and send 200 bytes hold about what
// they sent, not the 400 MiB announced; without a signature header they are
// answered at once, without waiting for a body.
func TestWebhookSlowConnectionsDoNotReserveTheAnnouncedSize(t *testing.T) {
	const conns = 100
	var entered atomic.Int32
	hook := &whatsapp.Webhook{AppSecret: testSecret, Offices: testOffices, Inbox: &fakeInbox{}, Log: discardLog()}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered.Add(1)
		hook.ServeHTTP(w, r)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	part := bytes.Repeat([]byte("x"), 200)

	t.Run("signed, slow", func(t *testing.T) {
		before := heapInUse()
		entered.Store(0)
		for range conns {
			rawPost(t, addr, fakeSignature, whatsapp.MaxBodyBytes, part)
		}
		deadline := time.Now().Add(10 * time.Second)
		for entered.Load() < conns && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := entered.Load(); n < conns {
			t.Fatalf("only %d of %d requests reached the webhook", n, conns)
		}
		time.Sleep(200 * time.Millisecond) // each is now waiting for the rest of its body
		grown := int64(heapInUse()) - int64(before)
		announced := int64(conns) * whatsapp.MaxBodyBytes
		t.Logf("%d slow connections announcing %d MiB in all: heap grew by %.1f MiB", conns, announced>>20, float64(grown)/(1<<20))
		if grown > 32<<20 {
			t.Errorf("heap grew by %d MiB for %d connections that sent 200 bytes each", grown>>20, conns)
		}
	})

	t.Run("unsigned", func(t *testing.T) {
		before := heapInUse()
		var cs []net.Conn
		for range conns {
			cs = append(cs, rawPost(t, addr, "", whatsapp.MaxBodyBytes, part))
		}
		for i, c := range cs {
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("connection %d: no answer without the body: %v", i, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("connection %d: %d, want 401", i, resp.StatusCode)
			}
		}
		grown := int64(heapInUse()) - int64(before)
		t.Logf("%d unsigned connections announcing 4 MiB each: answered 401; heap grew by %.1f MiB", conns, float64(grown)/(1<<20))
		if grown > 32<<20 {
			t.Errorf("heap grew by %d MiB", grown>>20)
		}
	})
}
