package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// standIn is the load tool's Graph API stand-in. It speaks the Cloud API's
// send protocol as internal/graphtest does (path, bearer token, JSON body,
// a wamid in the answer) but keeps nothing: each reply is handed to the
// sender it is addressed to, which is waiting for it. Both the reference bot
// and sigap send to the same stand-in, so its cost weighs on both alike.
type standIn struct {
	URL   string
	token string
	srv   *http.Server

	seq atomic.Int64

	mu     sync.Mutex
	people map[string]*person // by wa_id

	stray        atomic.Int64 // replies to nobody the tool wrote as
	readReceipts atomic.Int64
	rejected     atomic.Int64 // requests the Graph API would refuse
}

// person is one applicant (one wa_id): one outstanding message at a time.
type person struct {
	mu          sync.Mutex
	outstanding bool
	timedOut    int        // messages given up on whose reply may still come
	got         chan reply // the reply to the outstanding message
	dups        int        // replies beyond one per message
	late        int        // replies after the message was counted lost
	lastText    string     // the text of the last reply, for -trace
}

func startStandIn(token string) (*standIn, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &standIn{URL: "http://" + ln.Addr().String(), token: token, people: map[string]*person{}}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go s.srv.Serve(ln) //nolint:errcheck // ends with close
	return s, nil
}

func (s *standIn) close() { _ = s.srv.Close() }

// register makes a person known before their first message.
func (s *standIn) register(waID string) *person {
	p := &person{got: make(chan reply, 1)}
	s.mu.Lock()
	s.people[waID] = p
	s.mu.Unlock()
	return p
}

// reset forgets everyone, between targets.
func (s *standIn) reset() {
	s.mu.Lock()
	s.people = map[string]*person{}
	s.mu.Unlock()
	s.stray.Store(0)
	s.readReceipts.Store(0)
	s.rejected.Store(0)
}

// expect marks a message outstanding; call before posting it, as the reply
// may come before the acknowledgement is read.
func (p *person) expect() {
	p.mu.Lock()
	p.outstanding = true
	p.mu.Unlock()
	select { // a reply counted as a duplicate cannot linger here, but be sure
	case <-p.got:
	default:
	}
}

// giveUp counts the outstanding message lost; true if it was still waiting.
func (p *person) giveUp() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.outstanding {
		return false // the reply came just now
	}
	p.outstanding = false
	p.timedOut++
	return true
}

// reply is what the stand-in received for a person: when, the message's
// type and its text (the body of a text or interactive message).
type reply struct {
	at         time.Time
	kind, text string
}

func (p *person) replied(now time.Time, kind, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastText = text
	switch {
	case p.outstanding:
		p.outstanding = false
		p.got <- reply{now, kind, text}
	case p.timedOut > 0:
		p.timedOut--
		p.late++
	default:
		p.dups++
	}
}

// sendBody is what the stand-in reads of a Graph API message request.
type sendBody struct {
	MessagingProduct string `json:"messaging_product"`
	To               string `json:"to"`
	Recipient        string `json:"recipient"`
	Type             string `json:"type"`
	Status           string `json:"status"`
	MessageID        string `json:"message_id"`
	Text             *struct {
		Body string `json:"body"`
	} `json:"text"`
	Interactive *struct {
		Body struct {
			Text string `json:"text"`
		} `json:"body"`
	} `json:"interactive"`
	Location json.RawMessage `json:"location"`
	Template json.RawMessage `json:"template"`
}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	// /{version}/{phone_number_id}/messages
	path := strings.Trim(r.URL.Path, "/")
	version, rest, _ := strings.Cut(path, "/")
	phoneID, tail, _ := strings.Cut(rest, "/")
	if r.Method != http.MethodPost || tail != "messages" || !strings.HasPrefix(version, "v") || phoneID == "" {
		s.fail(w, http.StatusNotFound, 100, "Unsupported request")
		return
	}
	if tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); tok != s.token {
		s.fail(w, http.StatusUnauthorized, 190, "Invalid OAuth access token")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		s.fail(w, http.StatusBadRequest, 100, "Content-Type must be application/json")
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var b sendBody
	if err != nil || json.Unmarshal(raw, &b) != nil || b.MessagingProduct != "whatsapp" {
		s.fail(w, http.StatusBadRequest, 100, "body is not a WhatsApp message")
		return
	}
	if b.Status == "read" {
		s.readReceipts.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"success":true}`))
		return
	}
	to := b.To
	if to == "" {
		to = b.Recipient
	}
	var text string
	ok := to != ""
	switch b.Type {
	case "text":
		ok = ok && b.Text != nil
		if b.Text != nil {
			text = b.Text.Body
		}
	case "interactive":
		ok = ok && b.Interactive != nil
		if b.Interactive != nil {
			text = b.Interactive.Body.Text
		}
	case "location":
		ok = ok && b.Location != nil
	case "template":
		ok = ok && b.Template != nil
	default:
		ok = false
	}
	if !ok {
		s.fail(w, http.StatusBadRequest, 100, "to and a typed object are required")
		return
	}
	s.mu.Lock()
	p := s.people[to]
	s.mu.Unlock()
	if p == nil {
		s.stray.Add(1)
	} else {
		p.replied(now, b.Type, text)
	}
	wamid := "wamid.standin." + strconv.FormatInt(s.seq.Add(1), 10)
	out := make([]byte, 0, 160)
	out = append(out, `{"messaging_product":"whatsapp","contacts":[{"input":"`...)
	out = append(out, to...)
	out = append(out, `","wa_id":"`...)
	out = append(out, to...)
	out = append(out, `"}],"messages":[{"id":"`...)
	out = append(out, wamid...)
	out = append(out, `"}]}`...)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}

func (s *standIn) fail(w http.ResponseWriter, status, code int, msg string) {
	s.rejected.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": "(#" + strconv.Itoa(code) + ") " + msg, "type": "OAuthException", "code": code,
		"fbtrace_id": "ABenchStandIn",
	}})
}

// tally sums what the people saw.
func (s *standIn) tally() (dups, late int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.people {
		p.mu.Lock()
		dups += p.dups
		late += p.late
		p.mu.Unlock()
	}
	return dups, late
}
