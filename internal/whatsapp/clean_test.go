package whatsapp_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/store/pgtest"
	"github.com/sigap-id/sigap/internal/store/postgres"
	"github.com/sigap-id/sigap/internal/store/sqlite"
	"github.com/sigap-id/sigap/internal/whatsapp"
)

// oddDelivery carries what PostgreSQL would refuse: a NUL and a C1
// control in a text (cleaned), a NUL in a sender and in a message id and
// in a status id (those dropped), next to an ordinary message.
var oddDelivery = []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages",
	"value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"` + jakpusPhone + `"},
	"contacts":[{"wa_id":"6281234567890"}],
	"messages":[
		{"from":"6281234567890","id":"wamid.clean1","timestamp":"1739321024","type":"text","text":{"body":"halo\u0000 min\u0085\r\n1060000000000001\u007f"}},
		{"from":"62812\u0000","id":"wamid.badfrom","timestamp":"1739321024","type":"text","text":{"body":"x"}},
		{"from":"6281234567890","id":"wamid.\u0000bad","timestamp":"1739321024","type":"text","text":{"body":"x"}},
		{"from_user_id":"US.13491208655302741918","id":"wamid.clean2","timestamp":"1739321025","type":"interactive",
		 "interactive":{"type":"list_reply","list_reply":{"id":"menu:\u0000status","title":"Cek\u001b status"}}}],
	"statuses":[
		{"id":"wamid.\u0000status","status":"delivered","timestamp":"1739321024","recipient_id":"6281234567890"},
		{"id":"wamid.out1","status":"failed\u0000","timestamp":"1739321024","recipient_id":"62812\u0000",
		 "errors":[{"code":131026,"title":"Message \u0000undeliverable"}]}]}}]}]}`)

func TestToDeliveryCleans(t *testing.T) {
	d, err := whatsapp.ParseDelivery(oddDelivery)
	if err != nil {
		t.Fatal(err)
	}
	got := whatsapp.ToDelivery(d, testOffices, discardLog())
	at := time.Unix(1739321024, 0).UTC()
	want := sigap.Delivery{
		Messages: []sigap.InboundMessage{
			{ID: "wamid.clean1", Office: "jakpus", From: "6281234567890", At: at, Kind: sigap.KindText, Text: "halo min\n1060000000000001"},
			{ID: "wamid.clean2", Office: "jakpus", From: "US.13491208655302741918", At: at.Add(time.Second), Kind: sigap.KindInteractive,
				Text: "Cek status", ChoiceID: "menu:status"},
		},
		Statuses: []sigap.StatusUpdate{{MessageID: "wamid.out1", Status: "failed", At: at, ErrorCode: 131026, ErrorTitle: "Message undeliverable"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestOddDeliveryStoredOnBothEngines: the delivery that used to fail as a
// whole on PostgreSQL (503, redelivered, lost) is acknowledged and its
// good messages stored, the same on SQLite and PostgreSQL, through a real
// server.
func TestOddDeliveryStoredOnBothEngines(t *testing.T) {
	engines := map[string]func(t *testing.T) sigap.Store{
		"sqlite": func(t *testing.T) sigap.Store {
			s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sigap.db"), sqlite.Options{Migrate: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		"postgres": func(t *testing.T) sigap.Store {
			s, err := postgres.Open(context.Background(), pgtest.Schema(t), postgres.Options{Migrate: true, Log: slog.New(slog.DiscardHandler), MaxConns: 2})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
	for name, open := range engines {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			srv := httptest.NewServer(&whatsapp.Webhook{AppSecret: testSecret, Offices: testOffices, Inbox: store, Log: discardLog()})
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/whatsapp", bytes.NewReader(oddDelivery))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Hub-Signature-256", whatsapp.Sign(testSecret, oddDelivery))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200", resp.StatusCode)
			}
			msgs, err := store.ClaimInbound(context.Background(), time.Unix(1739321100, 0), time.Minute, 10)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range msgs {
				got = append(got, m.ID+" "+m.From+" "+m.Text+" "+m.ChoiceID)
			}
			want := []string{
				"wamid.clean1 6281234567890 halo min\n1060000000000001 ",
				"wamid.clean2 US.13491208655302741918 Cek status menu:status",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("stored messages (-want +got):\n%s", diff)
			}
		})
	}
}
