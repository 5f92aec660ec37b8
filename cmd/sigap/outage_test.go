package main

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/sigap-id/sigap/internal/store/pgtest"
)

// tcpProxy forwards a loopback port to PostgreSQL, and can be cut and
// restored to play a database outage.
type tcpProxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

func (p *tcpProxy) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestDatabaseOutage: while PostgreSQL is unreachable /readyz fails and a
// delivery is refused with 503 (so Meta redelivers it); when it is back the
// gateway recovers by itself and answers.
func TestDatabaseOutage(t *testing.T) {
	dbURL := pgtest.Schema(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &tcpProxy{addr: "127.0.0.1:0", target: u.Host}
	proxy.start(t)
	defer proxy.cut()
	u.Host = proxy.addr
	// Short leases: a step cut off by the outage is taken up again soon after.
	g := startGateway(t, map[string]string{"SIGAP_DATABASE": u.String(), "SIGAP_INBOX_LEASE": "2s", "SIGAP_OUTBOX_LEASE": "2s"})

	status := func(path string) int {
		resp, err := http.Get(g.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	body := func(id string) []byte { return textDelivery(jakpusPhoneID, [3]string{id, "6281111", "#bayar"}) }
	if code := status("/readyz"); code != 200 {
		t.Fatalf("readyz before the outage: %d", code)
	}
	g.deliver(t, body("wamid.before"))
	if sent := g.graph.WaitSent(1, 15*time.Second); len(sent) != 1 {
		t.Fatalf("no reply before the outage")
	}

	proxy.cut()
	if code := status("/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("readyz while the database is down: %d, want 503", code)
	}
	if code := g.post(t, body("wamid.during"), signed(body("wamid.during"))); code != http.StatusServiceUnavailable {
		t.Errorf("delivery while the database is down: %d, want 503", code)
	}
	if code := status("/healthz"); code != 200 {
		t.Errorf("healthz while the database is down: %d, want 200 (the process is alive)", code)
	}

	proxy.start(t) // the database is back, on the same address
	deadline := time.Now().Add(15 * time.Second)
	for status("/readyz") != 200 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if code := status("/readyz"); code != 200 {
		t.Fatalf("readyz after the database came back: %d", code)
	}
	g.deliver(t, body("wamid.during")) // Meta's redelivery
	if sent := g.graph.WaitSent(2, 15*time.Second); len(sent) != 2 {
		t.Errorf("replies after recovery: %d, want 2 (before and the redelivered one)", len(sent))
	}
}
