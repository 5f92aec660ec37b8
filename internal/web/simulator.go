package web

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/sigap-id/sigap"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

var templates = template.Must(template.ParseFS(templateFiles, "templates/*.html"))

// Limits of a simulator message. The text limit is WhatsApp's own for a
// text message; a list row's id is at most 200 characters there.
const (
	MaxSimulatorText     = sigap.MaxTextRunes
	maxChoiceID          = 200
	maxSimulatorBody     = 64 << 10
	DefaultSimulatorRate = 60 // messages a minute from one client address
)

// simSender is what a test sender id may be. It is stored as "sim:" + id,
// a prefix no WhatsApp id has, so that simulator conversations never mix
// with real ones and the retention job can remove them early.
var simSender = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

// Hint is a demo application shown on the simulator page to try.
type Hint struct {
	Office, Number, BirthDate, Stage string
}

// Simulator is the browser chat with an office as a test sender, through
// the same bot and conversation store as WhatsApp. It answers status
// questions without WhatsApp's proof of who is asking, so it is open to
// anyone only where that is acceptable (sigap serve --demo); otherwise the
// staff console serves it to signed-in staff (ServeMessage, with Allowed),
// and /simulator leads there.
type Simulator struct {
	Offices []sigap.Office
	// Lookup, when set, finds an office as the bot should see it now (with
	// the console's content changes); Offices otherwise.
	Lookup func(code string) (sigap.Office, bool)
	// Allowed, when set, says which offices a request may talk to (the
	// signed-in account's); every office of Offices otherwise.
	Allowed func(r *http.Request) func(code string) bool
	// Chat answers a simulator message through the bot and stores the
	// conversation.
	Chat  func(ctx context.Context, office sigap.Office, m sigap.InboundMessage) ([]sigap.Reply, error)
	Hints []Hint
	// PerMinute caps the messages one client address may send a minute;
	// 0 means DefaultSimulatorRate.
	PerMinute int
	Log       *slog.Logger

	limiter addrLimiter
}

func (s *Simulator) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /simulator", s.page)
	mux.HandleFunc("POST /simulator/messages", s.message)
	mux.Handle("GET /static/", staticHandler())
}

// pageHeaders keep the page and its files to themselves: no script or
// style from elsewhere, no framing by another site, no type sniffing.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// staticHandler serves the embedded files, and 404 for a folder: what the
// simulator's page loads is all there is to get.
func staticHandler() http.Handler {
	files := http.FileServerFS(staticFiles)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if fi, err := fs.Stat(staticFiles, name); err != nil || fi.IsDir() {
			http.NotFound(w, r)
			return
		}
		pageHeaders(w)
		files.ServeHTTP(w, r)
	})
}

func (s *Simulator) page(w http.ResponseWriter, r *http.Request) {
	pageHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	err := templates.ExecuteTemplate(w, "simulator.html", map[string]any{
		"Offices": s.OfficesFor(r),
		"Hints":   s.Hints,
		"MaxText": MaxSimulatorText,
		"L":       simWords(r.URL.Query().Get("lang")),
	})
	if err != nil {
		s.Log.Error("render simulator", "err", err)
	}
}

// simRequest is one message typed (or tapped) in the simulator.
type simRequest struct {
	Office   string `json:"office"`
	From     string `json:"from"`
	Kind     string `json:"kind"`
	Text     string `json:"text"`
	ChoiceID string `json:"choice_id"`
}

// simKinds are the message kinds the simulator can send, as WhatsApp's.
var simKinds = map[sigap.MessageKind]bool{
	sigap.KindText: true, sigap.KindInteractive: true, sigap.KindButton: true, sigap.KindAudio: true,
	sigap.KindImage: true, sigap.KindVideo: true, sigap.KindDocument: true, sigap.KindSticker: true,
	sigap.KindLocation: true, sigap.KindContacts: true, sigap.KindReaction: true,
}

// ServeMessage answers one simulator message (POST, JSON): for the
// console, which checks the session and its CSRF token first.
func (s *Simulator) ServeMessage(w http.ResponseWriter, r *http.Request) { s.message(w, r) }

// OfficesFor lists the offices a request may talk to, as the bot sees them.
func (s *Simulator) OfficesFor(r *http.Request) []sigap.Office {
	var may func(string) bool
	if s.Allowed != nil {
		may = s.Allowed(r)
	}
	var out []sigap.Office
	for _, o := range s.Offices {
		if may != nil && !may(o.Code) {
			continue
		}
		if s.Lookup != nil {
			if live, ok := s.Lookup(o.Code); ok {
				o = live
			}
		}
		out = append(out, o)
	}
	return out
}

// Phone renders the simulator's setup and chat for a page of the console:
// the offices r may talk to, its messages posted to endpoint with the
// X-CSRF-Token csrf, its labels in lang ("id" or "en").
func (s *Simulator) Phone(r *http.Request, endpoint, csrf, lang string) (template.HTML, error) {
	var b strings.Builder
	err := templates.ExecuteTemplate(&b, "sim", map[string]any{
		"Offices": s.OfficesFor(r), "Hints": s.Hints, "MaxText": MaxSimulatorText, "Endpoint": endpoint, "CSRF": csrf,
		"L": simWords(lang),
	})
	return template.HTML(b.String()), err
}

// StaticHandler serves the simulator's script and style sheet, under
// "/static/" once the mount's prefix is stripped.
func StaticHandler() http.Handler { return staticHandler() }

func (s *Simulator) message(w http.ResponseWriter, r *http.Request) {
	if !s.limiter.allow(clientKey(r.RemoteAddr), s.perMinute(), time.Now()) {
		w.Header().Set("Retry-After", "60")
		simError(w, http.StatusTooManyRequests, "too many messages from this address: wait a minute")
		return
	}
	// JSON only: a form on another site can post text/plain without asking,
	// but not application/json.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		simError(w, http.StatusUnsupportedMediaType, "send JSON with Content-Type: application/json")
		return
	}
	var req simRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSimulatorBody)).Decode(&req); err != nil {
		simError(w, http.StatusBadRequest, "want JSON {office, from, text}")
		return
	}
	var office sigap.Office
	found := false
	for _, o := range s.OfficesFor(r) {
		if o.Code == req.Office {
			office, found = o, true
		}
	}
	req.From = strings.TrimSpace(req.From)
	kind := sigap.MessageKind(req.Kind)
	if kind == "" {
		kind = sigap.KindText
		if req.ChoiceID != "" {
			kind = sigap.KindInteractive
		}
	}
	switch {
	case !found:
		simError(w, http.StatusBadRequest, "unknown office "+strconv.Quote(req.Office))
		return
	case !simSender.MatchString(req.From):
		simError(w, http.StatusBadRequest, "test sender: 1 to 32 lowercase letters, digits or dashes, e.g. 6281200000001")
		return
	case !simKinds[kind]:
		simError(w, http.StatusBadRequest, "unknown message kind "+strconv.Quote(req.Kind))
		return
	case utf8.RuneCountInString(req.Text) > MaxSimulatorText:
		simError(w, http.StatusBadRequest, fmt.Sprintf("text: at most %d characters, as on WhatsApp", MaxSimulatorText))
		return
	case len(req.ChoiceID) > maxChoiceID:
		simError(w, http.StatusBadRequest, fmt.Sprintf("choice_id: at most %d characters", maxChoiceID))
		return
	}
	msg := sigap.InboundMessage{
		ID: "sim." + randomID(), Office: office.Code, From: "sim:" + req.From, At: time.Now().UTC(),
		Kind: kind, Text: sigap.CleanText(req.Text), ChoiceID: sigap.CleanText(req.ChoiceID),
	}
	replies, err := s.Chat(r.Context(), office, msg)
	if err != nil {
		s.Log.Error("simulator", "office", office.Code, "err", err)
		simError(w, statusFor(err), "the bot cannot answer right now")
		return
	}
	if replies == nil {
		replies = []sigap.Reply{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"replies": replies, "at": msg.At})
}

func (s *Simulator) perMinute() int {
	if s.PerMinute > 0 {
		return s.PerMinute
	}
	return DefaultSimulatorRate
}

func simError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// clientKey is who a request counts against: its IP address, or for IPv6
// its /64, which one machine commonly holds whole.
func clientKey(remoteAddr string) string {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	a := ap.Addr().Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// addrLimiter is a token bucket per client: perMinute messages at once,
// then one every 60/perMinute seconds.
type addrLimiter struct {
	mu    sync.Mutex
	m     map[string]*addrBucket
	swept time.Time
}

type addrBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func (l *addrLimiter) allow(key string, perMinute int, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*addrBucket{}
	}
	// A bucket left alone for a minute is full again, the same as a new
	// one: forget it, so that the map holds only recent clients.
	if now.Sub(l.swept) >= time.Minute {
		for k, b := range l.m {
			if now.Sub(b.seen) >= time.Minute {
				delete(l.m, k)
			}
		}
		l.swept = now
	}
	b := l.m[key]
	if b == nil {
		b = &addrBucket{lim: rate.NewLimiter(rate.Limit(float64(perMinute)/60), perMinute)}
		l.m[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}

// simWords are the simulator's labels: Indonesian, or English for "en"
// (the demo page takes ?lang=en; the console passes the account's).
func simWords(lang string) map[string]string {
	if lang == "en" {
		return map[string]string{"office": "Office", "asks_birth": "asks birth date", "sender": "Test sender",
			"sender_rule": "1 to 32 lowercase letters, digits or dashes", "plain": "show the plain-text form of lists",
			"hints": "Demo applications", "kind": "message type", "text": "text", "audio": "voice note", "image": "photo",
			"sticker": "sticker", "document": "document", "location": "location", "reaction": "reaction",
			"placeholder": "Type a message, e.g. halo", "send": "Send"}
	}
	return map[string]string{"office": "Kantor", "asks_birth": "menanyakan tanggal lahir", "sender": "Pengirim uji",
		"sender_rule": "1 sampai 32 huruf kecil, angka atau tanda hubung", "plain": "tampilkan daftar sebagai teks biasa",
		"hints": "Permohonan demo", "kind": "jenis pesan", "text": "teks", "audio": "pesan suara", "image": "foto",
		"sticker": "stiker", "document": "dokumen", "location": "lokasi", "reaction": "reaksi",
		"placeholder": "Ketik pesan, mis. halo", "send": "Kirim"}
}
