// Package graphtest is a stand-in for Meta's Graph API on 127.0.0.1. It
// speaks the Cloud API's send protocol over real HTTP, records what it
// receives, and can be told to fail, so that tests can check what SIGAP
// sends without reaching Meta. (The load tool, cmd/sigap-bench, has a
// stand-in of its own, made for speed: it records per applicant, not every
// request.)
package graphtest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Request is one message SIGAP sent, as the stand-in received it.
type Request struct {
	Version       string
	PhoneNumberID string
	Token         string
	Body          map[string]any
	Raw           []byte
	WAMID         string // the id the stand-in answered with; empty if it failed the request
	// ReadReceipt is set for a mark-as-read request (which has no wamid).
	ReadReceipt bool
	At          time.Time // when the stand-in received it
}

// To returns the recipient (to, or recipient for business-scoped ids).
func (r Request) To() string {
	if to, ok := r.Body["to"].(string); ok && to != "" {
		return to
	}
	s, _ := r.Body["recipient"].(string)
	return s
}

// Text returns the text body, the interactive body, or "" for other types.
func (r Request) Text() string {
	if t, ok := r.Body["text"].(map[string]any); ok {
		s, _ := t["body"].(string)
		return s
	}
	if in, ok := r.Body["interactive"].(map[string]any); ok {
		if b, ok := in["body"].(map[string]any); ok {
			s, _ := b["text"].(string)
			return s
		}
	}
	return ""
}

// Failure is a Graph API error answer.
type Failure struct {
	HTTPStatus int
	Code       int
	Message    string
}

// Server is a running stand-in.
type Server struct {
	URL   string
	Token string // the bearer token it accepts

	srv *http.Server
	ln  net.Listener

	mu       sync.Mutex
	received []Request
	failures []Failure // answered, in order, before any success
	seq      int
	changed  chan struct{}

	hooks    *StatusHooks // nil: no status webhooks
	slow     time.Duration
	posted   int // status webhooks answered 200
	done     chan struct{}
	inflight sync.WaitGroup
}

// StatusHooks makes the stand-in post, as Meta does, a `sent` status
// webhook for each send it accepts, echoing the send's
// biz_opaque_callback_data, signed with AppSecret. It posts to URLs in
// turn, moving to the next one when a post fails, and retries (Meta does,
// for days) until one answers 200 or the stand-in closes.
type StatusHooks struct {
	URLs      []string
	AppSecret string
	// Delay is how long after answering a send its status is posted.
	Delay time.Duration
}

// Start listens on a free port of 127.0.0.1.
func Start(token string) (*Server, error) {
	return StartAt("127.0.0.1:0", token)
}

// StartAt listens on addr, which must be a loopback address.
func StartAt(addr, token string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("graph stand-in: %w", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), Token: token, ln: ln, changed: make(chan struct{}), done: make(chan struct{})}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go s.srv.Serve(ln) //nolint:errcheck // ends with Close
	return s, nil
}

// Close stops the server and any status webhook still being posted.
func (s *Server) Close() error {
	s.mu.Lock()
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.mu.Unlock()
	err := s.srv.Close()
	s.inflight.Wait()
	return err
}

// PostStatuses makes the stand-in post status webhooks from now on (see
// StatusHooks); nil stops it, which is how it starts.
func (s *Server) PostStatuses(h *StatusHooks) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks = h
}

// AnswerAfter makes the stand-in hold the answer to each send it accepts
// for d (its status, if any, is posted meanwhile): a send is then on the
// wire, accepted but unanswered, for d, as one cut short by a crash or a
// timeout is.
func (s *Server) AnswerAfter(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slow = d
}

// StatusesPosted is how many status webhooks were answered 200.
func (s *Server) StatusesPosted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posted
}

// postStatus posts req's `sent` status until one of h.URLs takes it.
func (s *Server) postStatus(h StatusHooks, req Request) {
	defer s.inflight.Done()
	callback, _ := req.Body["biz_opaque_callback_data"].(string)
	status := map[string]any{"id": req.WAMID, "status": "sent", "timestamp": fmt.Sprint(time.Now().Unix()), "recipient_id": req.To(),
		"pricing": map[string]any{"billable": false, "pricing_model": "PMP", "category": "service"}}
	if callback != "" {
		status["biz_opaque_callback_data"] = callback
	}
	body, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{
		"id": "standin-waba", "changes": []any{map[string]any{"field": "messages", "value": map[string]any{
			"messaging_product": "whatsapp",
			"metadata":          map[string]any{"display_phone_number": req.PhoneNumberID, "phone_number_id": req.PhoneNumberID},
			"statuses":          []any{status},
		}}},
	}}})
	mac := hmac.New(sha256.New, []byte(h.AppSecret))
	mac.Write(body)
	sig := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	client := &http.Client{Timeout: 5 * time.Second}
	wait := h.Delay
	for i := 0; ; i++ {
		select {
		case <-s.done:
			return
		case <-time.After(wait):
		}
		wait = min(max(2*wait, 50*time.Millisecond), time.Second)
		if len(h.URLs) == 0 {
			return
		}
		hr, err := http.NewRequest(http.MethodPost, h.URLs[i%len(h.URLs)], bytes.NewReader(body))
		if err != nil {
			return
		}
		hr.Header.Set("Content-Type", "application/json")
		hr.Header.Set("X-Hub-Signature-256", sig)
		resp, err := client.Do(hr)
		if err != nil {
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			s.mu.Lock()
			s.posted++
			s.mu.Unlock()
			return
		}
	}
}

// FailNext makes the next n sends fail with f.
func (s *Server) FailNext(n int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures = append(s.failures, f)
	}
}

// Requests returns every request received so far, failed ones included.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.received...)
}

// Sent returns the requests that were answered with a wamid.
func (s *Server) Sent() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.WAMID != "" {
			out = append(out, r)
		}
	}
	return out
}

// WaitSent waits until at least n messages were sent, or timeout passes,
// and returns what was sent.
func (s *Server) WaitSent(n int, timeout time.Duration) []Request {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if sent := s.Sent(); len(sent) >= n {
			return sent
		}
		select {
		case <-ch:
		case <-deadline:
			return s.Sent()
		}
	}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// /{version}/{phone_number_id}/messages
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if r.Method != http.MethodPost || len(parts) != 3 || parts[2] != "messages" || !strings.HasPrefix(parts[0], "v") {
		writeError(w, Failure{http.StatusNotFound, 100, "Unsupported request: " + r.Method + " " + r.URL.Path})
		return
	}
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	raw, _ := io.ReadAll(r.Body)
	req := Request{Version: parts[0], PhoneNumberID: parts[1], Token: token, Raw: raw, At: time.Now()}
	fail := s.check(r, &req)

	if fail == nil && req.Body["status"] == "read" {
		req.ReadReceipt = true
		s.mu.Lock()
		s.received = append(s.received, req)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"success":true}`))
		return
	}

	s.mu.Lock()
	if fail == nil && len(s.failures) > 0 {
		fail, s.failures = &s.failures[0], s.failures[1:]
	}
	if fail == nil {
		s.seq++
		req.WAMID = fmt.Sprintf("wamid.standin.%d", s.seq)
	}
	s.received = append(s.received, req)
	close(s.changed)
	s.changed = make(chan struct{})
	if h := s.hooks; fail == nil && h != nil {
		select {
		case <-s.done:
		default:
			s.inflight.Add(1)
			go s.postStatus(*h, req)
		}
	}
	slow := s.slow
	s.mu.Unlock()
	if fail == nil && slow > 0 {
		select {
		case <-time.After(slow):
		case <-r.Context().Done():
			return
		}
	}

	if fail != nil {
		writeError(w, *fail)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"messaging_product": "whatsapp",
		"contacts":          []map[string]string{{"input": req.To(), "wa_id": req.To()}},
		"messages":          []map[string]string{{"id": req.WAMID}},
	})
}

// check validates a request as the Graph API would.
func (s *Server) check(r *http.Request, req *Request) *Failure {
	if s.Token != "" && req.Token != s.Token {
		return &Failure{http.StatusUnauthorized, 190, "Invalid OAuth access token - Cannot parse access token"}
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return &Failure{http.StatusBadRequest, 100, "Invalid parameter: Content-Type must be application/json"}
	}
	if err := json.Unmarshal(req.Raw, &req.Body); err != nil {
		return &Failure{http.StatusBadRequest, 100, "Invalid parameter: body is not JSON"}
	}
	if req.Body["messaging_product"] != "whatsapp" {
		return &Failure{http.StatusBadRequest, 100, "Invalid parameter: messaging_product must be whatsapp"}
	}
	if req.Body["status"] == "read" {
		if id, _ := req.Body["message_id"].(string); id == "" {
			return &Failure{http.StatusBadRequest, 100, "Invalid parameter: message_id is required"}
		}
		return nil
	}
	if req.To() == "" {
		return &Failure{http.StatusBadRequest, 100, "Invalid parameter: to or recipient is required"}
	}
	typ, _ := req.Body["type"].(string)
	if _, ok := req.Body[typ]; !ok || typ == "" {
		return &Failure{http.StatusBadRequest, 100, fmt.Sprintf("Invalid parameter: type %q without its object", typ)}
	}
	return nil
}

func writeError(w http.ResponseWriter, f Failure) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.HTTPStatus)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message":    fmt.Sprintf("(#%d) %s", f.Code, f.Message),
		"type":       "OAuthException",
		"code":       f.Code,
		"error_data": map[string]any{"messaging_product": "whatsapp", "details": f.Message},
		"fbtrace_id": "AStandInTrace",
	}})
}
