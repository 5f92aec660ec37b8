package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/store/sqlite"
)

// seedSender stores a message, a conversation with a reply, a ticket and
// a subscription for waID in the SQLite database at path.
func seedSender(t *testing.T, path, waID string) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, sqlite.Options{Migrate: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := sigap.InboundMessage{ID: "wamid.p1", Office: "jakpus", From: waID, At: time.Now(), Kind: sigap.KindText, Text: "17081990"}
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{m}}); err != nil {
		t.Fatal(err)
	}
	conv := sigap.Conversation{Office: "jakpus", User: waID, Lang: "id", Notify: true, Numbers: []string{"1060202611000007"}}
	if err := s.CompleteInbound(ctx, m.ID, conv, []sigap.OutboundMessage{
		{Office: "jakpus", To: waID, InReplyTo: m.ID, Reply: sigap.Reply{Text: "Status: Siap diambil"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTicket(ctx, sigap.Ticket{Office: "jakpus", Kind: sigap.TicketComplaint, User: waID, Lang: "id",
		Text: "antrean terlalu lama", MessageID: "wamid.p2", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.Subscribe(ctx, "jakpus", waID, "1060202611000007", time.Now()); err != nil {
		t.Fatal(err)
	}
}

func runPrivacy(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), append([]string{"privacy"}, args...), func(k string) string { return env[k] },
		strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestPrivacyExportErase: sigap privacy export prints everything stored
// about a WhatsApp id as JSON, whichever way the number is written; erase
// removes it, says what went, and records it without the id.
func TestPrivacyExportErase(t *testing.T) {
	const waID = "6281299990001"
	path := filepath.Join(t.TempDir(), "sigap.db")
	seedSender(t, path, waID)
	seedSender(t, path+".other", "6281299990002") // another database: never read
	env := map[string]string{"SIGAP_DATABASE": "sqlite:" + path}

	out, stderr, err := runPrivacy(t, env, "export", "+62 812-9999-0001")
	if err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	var doc struct {
		WAID     string `json:"wa_id"`
		Messages []struct {
			ID, Office, Text string
			Answered         bool
		} `json:"messages"`
		Conversations []struct {
			Office string
			State  struct {
				Lang    string   `json:"lang"`
				Notify  bool     `json:"notify"`
				Numbers []string `json:"numbers"`
			} `json:"state"`
		} `json:"conversations"`
		Tickets []struct {
			Number, Kind, State, Text string
		} `json:"tickets"`
		Subscriptions []struct {
			ApplicationNumber string `json:"application_number"`
		} `json:"subscriptions"`
		Replies []struct {
			State string
			Reply struct{ Text string }
		} `json:"replies"`
		Statuses  []json.RawMessage `json:"statuses"`
		Retention map[string]string `json:"retention"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, out)
	}
	switch {
	case doc.WAID != waID:
		t.Errorf("wa_id %q, want %q", doc.WAID, waID)
	case len(doc.Messages) != 1 || doc.Messages[0].Text != "17081990" || !doc.Messages[0].Answered:
		t.Errorf("messages %+v", doc.Messages)
	case len(doc.Conversations) != 1 || doc.Conversations[0].Office != "jakpus" || !doc.Conversations[0].State.Notify ||
		len(doc.Conversations[0].State.Numbers) != 1:
		t.Errorf("conversations %+v", doc.Conversations)
	case len(doc.Tickets) != 1 || doc.Tickets[0].Text != "antrean terlalu lama" || doc.Tickets[0].Kind != "complaint":
		t.Errorf("tickets %+v", doc.Tickets)
	case len(doc.Subscriptions) != 1 || doc.Subscriptions[0].ApplicationNumber != "1060202611000007":
		t.Errorf("subscriptions %+v", doc.Subscriptions)
	case len(doc.Replies) != 1 || doc.Replies[0].Reply.Text != "Status: Siap diambil" || doc.Replies[0].State != "pending":
		t.Errorf("replies %+v", doc.Replies)
	case doc.Statuses == nil || len(doc.Statuses) != 0:
		t.Errorf("statuses %v, want an empty list", doc.Statuses)
	case doc.Retention["message_text"] != "24h" || doc.Retention["message_ids"] != "8d":
		t.Errorf("retention %v", doc.Retention)
	}

	out, stderr, err = runPrivacy(t, env, "erase", waID, "--by", "tester")
	if err != nil {
		t.Fatalf("erase: %v\n%s", err, stderr)
	}
	for _, want := range []string{"erased 6281299990001: 5 rows", "message_texts", "conversations", "tickets",
		"subscriptions", "replies", "recorded as " + sigap.SubjectHash(waID)} {
		if !strings.Contains(out, want) {
			t.Errorf("erase output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(stderr, waID) {
		t.Errorf("the log names the WhatsApp id:\n%s", stderr)
	}

	out, _, err = runPrivacy(t, env, "export", waID)
	if err != nil {
		t.Fatal(err)
	}
	for _, list := range []string{"messages", "conversations", "tickets", "subscriptions", "replies", "statuses"} {
		if !strings.Contains(out, `"`+list+`": []`) {
			t.Errorf("export after erasure: %s is not empty:\n%s", list, out)
		}
	}

	s, err := sqlite.Open(context.Background(), path, sqlite.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, err := s.RetentionRuns(context.Background(), 10)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs %+v, %v; want the erasure", runs, err)
	}
	if r := runs[0]; r.What != sigap.RunErasure || r.Holder != "sigap privacy erase by tester" ||
		r.Subject != sigap.SubjectHash(waID) || r.Removed.Total() != 5 {
		t.Errorf("erasure record %+v", r)
	}
}

// TestPrivacyUsage: a WhatsApp id that cannot be one, or a wrong action,
// is refused before the database is opened.
func TestPrivacyUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "0812-9999-0001"}, "country code"},
		{[]string{"export", "62 81 2x"}, "without spaces"},
		{[]string{"export"}, "want export or erase, and a WhatsApp id"},
		{[]string{"show", "6281299990001"}, `unknown action "show"`},
		{[]string{"export", "6281299990001", "--by", "me"}, "--by is for erase"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			dir := inEmptyDir(t)
			_, stderr, err := runPrivacy(t, nil, tt.args...)
			if !errors.Is(err, errUsage) || !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "usage: sigap privacy") {
				t.Errorf("run = %v, stderr:\n%s\nwant a usage error naming %q", err, stderr, tt.want)
			}
			wantNoFiles(t, dir)
		})
	}
}
