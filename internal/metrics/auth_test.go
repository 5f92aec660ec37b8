package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sigap-id/sigap/internal/metrics"
)

func TestRequireToken(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	for _, tt := range []struct {
		name, token, auth string
		code              int
	}{
		{"right token", "0123456789abcdef", "Bearer 0123456789abcdef", 200},
		{"none sent", "0123456789abcdef", "", 401},
		{"wrong", "0123456789abcdef", "Bearer 0123456789abcdeF", 401},
		{"longer", "0123456789abcdef", "Bearer 0123456789abcdef0", 401},
		{"no scheme", "0123456789abcdef", "0123456789abcdef", 401},
		{"empty token configured lets nobody in", "", "Bearer ", 401},
	} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		rec := httptest.NewRecorder()
		metrics.RequireToken(tt.token, ok).ServeHTTP(rec, req)
		if rec.Code != tt.code {
			t.Errorf("%s: %d, want %d", tt.name, rec.Code, tt.code)
		}
		if rec.Code == 401 && rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tt.name)
		}
	}
}
