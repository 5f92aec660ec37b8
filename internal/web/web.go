// Package web is SIGAP's HTTP surface: the routes, health and readiness,
// and the browser simulator. Transport specifics stay with the channels:
// each channel that receives over HTTP provides its handler and path
// (internal/receiver; the Cloud API's webhook, from internal/whatsapp, at
// /webhooks/whatsapp), mounted here as given.
//
// What the public listener serves without a credential is only the
// channels' receivers and health; the simulator is mounted only when it is given (sigap
// serve --demo), and the metrics only behind a scrape token.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/sigap-id/sigap/internal/metrics"
)

// Server holds what the routes need.
type Server struct {
	Ready func(ctx context.Context) error
	// Receivers are the channels' handlers of their deliveries, by path
	// (receiver.Routes): each mounted at its path, all methods.
	Receivers map[string]http.Handler
	// Metrics is served at /metrics on this listener only to requests
	// bearing MetricsToken; without a token it is not served here at all
	// (the metrics have a listener of their own, or none).
	Metrics      http.Handler
	MetricsToken string
	// Simulator, when set, is mounted with its page, its messages and its
	// static files, and "/" leads to it. Only sigap serve --demo sets it.
	Simulator *Simulator
	// Console, when set, is the staff console, mounted at /admin; it lets
	// in signed-in staff only.
	Console http.Handler
	// API, when set, is the integration API, mounted at /api/v1/; it lets
	// in requests bearing an integration token only (and its OpenAPI
	// document).
	API http.Handler
	Log *slog.Logger

	mu       sync.Mutex
	notReady string    // the last readiness error logged
	loggedAt time.Time // when it was logged
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for path, h := range s.Receivers {
		mux.Handle(path, h)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	if s.Metrics != nil && s.MetricsToken != "" {
		mux.Handle("GET /metrics", metrics.RequireToken(s.MetricsToken, s.Metrics))
	}
	if s.Console != nil {
		mux.Handle("/admin", s.Console)
		mux.Handle("/admin/", s.Console)
		if s.Simulator == nil { // outside a demo the simulator is the console's
			mux.Handle("GET /simulator", http.RedirectHandler("/admin/simulator", http.StatusSeeOther))
		}
	}
	if s.API != nil {
		mux.Handle("/api/v1/", s.API)
	}
	if s.Simulator != nil {
		if s.Simulator.Log == nil {
			s.Simulator.Log = s.Log
		}
		mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/simulator", http.StatusFound)
		})
		s.Simulator.register(mux)
	}
	return s.logRequests(mux)
}

// readyz answers "not ready" without saying why: the reason (a database
// error, with host names and ports) is for the operator's log only.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	err := s.Ready(ctx)
	s.logReadiness(err)
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// logReadiness logs a readiness failure at WARN when it is new or a minute
// after it was last logged, and once when readiness comes back: a probe
// every few seconds during an outage should not bury the log.
func (s *Server) logReadiness(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	switch {
	case err == nil && s.notReady != "":
		s.Log.Info("ready again")
		s.notReady = ""
	case err != nil && (err.Error() != s.notReady || now.Sub(s.loggedAt) >= time.Minute):
		s.Log.Warn("not ready", "err", err)
		s.notReady, s.loggedAt = err.Error(), now
	}
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
