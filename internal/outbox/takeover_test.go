package outbox_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sigap-id/sigap/internal/metrics"
	"github.com/sigap-id/sigap/internal/outbox"
	"github.com/sigap-id/sigap/internal/store/sqlstore"
)

// A reply taken over from a sender whose claim ran out is said in one info
// line and counted.
func TestATakeoverIsLoggedAndCounted(t *testing.T) {
	met := metrics.New(nil)
	s, graph, snd, logs := setup(t, func(o *outbox.Options) { o.Metrics = met })
	enqueue(t, s, "halo", "apa kabar")
	enqueueTo(t, s, "6281299990002", "selamat pagi")
	ctx := context.Background()
	// A sender claims the head of each queue and dies.
	s.SetHolder("replica-a/101")
	if got, err := s.ClaimOutbound(ctx, snd.Options().Now(), snd.Options().Lease, 10); err != nil || len(got) != 2 {
		t.Fatalf("claim: %v, %v", got, err)
	}
	s.SetHolder("replica-b/202") // snd's
	advance(snd.Options().Lease + sqlstore.DefaultDoubtWait + time.Second)
	drain(t, snd)
	if n := len(graph.Sent()); n != 3 {
		t.Errorf("sent %d, want 3", n)
	}
	var lines []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "took over replies") {
			lines = append(lines, l)
		}
	}
	// The two heads of queue were claimed together: one line for both.
	if len(lines) != 1 || !strings.Contains(lines[0], "level=INFO") || !strings.Contains(lines[0], "replies=2") ||
		!strings.Contains(lines[0], `lease=replica-a/101`) {
		t.Fatalf("takeover lines %q, want one info line for 2 replies of replica-a/101's lease", lines)
	}
	t.Log(lines[0])
	rec := httptest.NewRecorder()
	met.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `sigap_takeovers_total{kind="reply"} 2`) {
		t.Errorf("metrics lack 2 replies taken over:\n%s", grepLines(rec.Body.String(), "takeover"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
