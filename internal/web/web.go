// Package web is SIGAP's HTTP surface: the routes, health and readiness,
// and the browser simulator. Cloud API specifics stay in internal/whatsapp,
// which provides the webhook handler mounted here.
package web

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sigap-id/sigap"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

var templates = template.Must(template.ParseFS(templateFiles, "templates/*.html"))

// Hint is a demo application shown on the simulator page to try.
type Hint struct {
	Office, Number, BirthDate, Stage string
}

// Server holds what the routes need.
type Server struct {
	Offices []sigap.Office
	// Chat answers a simulator message through the bot and stores the
	// conversation.
	Chat    func(ctx context.Context, office sigap.Office, m sigap.InboundMessage) ([]sigap.Reply, error)
	Ready   func(ctx context.Context) error
	Webhook http.Handler
	Metrics http.Handler
	Hints   []Hint
	Log     *slog.Logger
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/webhooks/whatsapp", s.Webhook)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics)
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/simulator", http.StatusFound)
	})
	mux.HandleFunc("GET /simulator", s.simulatorPage)
	mux.HandleFunc("POST /simulator/messages", s.simulatorMessage)
	mux.Handle("GET /static/", http.FileServerFS(staticFiles))
	return s.logRequests(mux)
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.Ready(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready: " + err.Error() + "\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

func (s *Server) simulatorPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	err := templates.ExecuteTemplate(w, "simulator.html", map[string]any{
		"Offices": s.Offices,
		"Hints":   s.Hints,
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

func (s *Server) simulatorMessage(w http.ResponseWriter, r *http.Request) {
	var req simRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want JSON {office, from, text}"})
		return
	}
	var office sigap.Office
	found := false
	for _, o := range s.Offices {
		if o.Code == req.Office {
			office, found = o, true
		}
	}
	req.From = strings.TrimSpace(req.From)
	switch {
	case !found:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unknown office " + req.Office})
		return
	case req.From == "" || len(req.From) > 64:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "from: want a test sender id"})
		return
	}
	kind := sigap.MessageKind(req.Kind)
	if kind == "" {
		kind = sigap.KindText
		if req.ChoiceID != "" {
			kind = sigap.KindInteractive
		}
	}
	msg := sigap.InboundMessage{
		ID: "sim." + randomID(), Office: office.Code, From: "sim:" + req.From, At: time.Now().UTC(),
		Kind: kind, Text: req.Text, ChoiceID: req.ChoiceID,
	}
	replies, err := s.Chat(r.Context(), office, msg)
	if err != nil {
		s.Log.Error("simulator", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the bot cannot answer right now"})
		return
	}
	if replies == nil {
		replies = []sigap.Reply{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"replies": replies})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		s.Log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", rec.status, "took", time.Since(start))
	})
}
