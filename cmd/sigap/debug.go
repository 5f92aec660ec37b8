package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// serveDebug serves Go's profiler on addr until ctx ends, and returns the
// address it listens on. It has a listener of its own so that the profiler
// is never reachable through the public address the webhook is on.
func serveDebug(ctx context.Context, addr string, log *slog.Logger) (string, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	// No write timeout: a CPU profile or a trace takes as long as asked.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: maxHeaderBytes}
	bound, err := serveAside(ctx, "SIGAP_DEBUG_ADDR", addr, srv, log)
	if err != nil {
		return "", err
	}
	log.Info("profiler listening", "addr", "http://"+bound+"/debug/pprof/")
	return bound, nil
}

// serveMetrics serves /metrics (and nothing else) on addr until ctx ends,
// and returns the address it listens on.
func serveMetrics(ctx context.Context, addr string, h http.Handler, log *slog.Logger) (string, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := newServer(mux)
	return serveAside(ctx, "SIGAP_METRICS_ADDR", addr, srv, log)
}

// serveAside runs srv on a listener of its own at addr (named by the
// environment variable setting it) until ctx ends.
func serveAside(ctx context.Context, setting, addr string, srv *http.Server, log *slog.Logger) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("%s: %w", setting, err)
	}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			log.Warn("listener", "setting", setting, "err", err)
		}
	}()
	return ln.Addr().String(), nil
}
