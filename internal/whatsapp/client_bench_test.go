package whatsapp_test

// A benchmark of sending through the Graph client from several senders at
// once over TLS, as the outbox's workers do, with the client's transport
// and with Go's default one (two idle connections per host). No timed
// assertions: run
//
//	go test -run '^$' -bench ClientSend -benchmem ./internal/whatsapp/

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sigap-id/sigap/internal/whatsapp"
)

func BenchmarkClientSend(b *testing.B) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"messaging_product":"whatsapp","contacts":[{"input":"6281234567890","wa_id":"6281234567890"}],"messages":[{"id":"wamid.x"}]}`))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // connections dropped by the default transport
	srv.StartTLS()
	defer srv.Close()
	trust := srv.Client().Transport.(*http.Transport).TLSClientConfig
	msg := whatsapp.Outgoing{MessagingProduct: "whatsapp", To: "6281234567890", Type: "text",
		Text: &whatsapp.OutText{Body: "Terima kasih, pesan Anda sudah kami terima."}}
	for _, tt := range []struct {
		name      string
		transport func() *http.Transport
	}{
		{"client", func() *http.Transport {
			return whatsapp.NewClient(srv.URL, "v23.0").HTTP.Transport.(*http.Transport)
		}},
		{"default-transport", func() *http.Transport {
			return http.DefaultTransport.(*http.Transport).Clone()
		}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			t := tt.transport()
			t.TLSClientConfig = trust.Clone()
			c := whatsapp.NewClient(srv.URL, "v23.0")
			c.HTTP = &http.Client{Transport: t}
			defer t.CloseIdleConnections()
			b.ReportAllocs()
			b.SetParallelism(4) // 8 senders on 2 cores, as the outbox's 8 workers
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.Send(context.Background(), "100000000000001", "token", msg); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
