package whatsapp_test

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/whatsapp"
)

// Two offices own a phone number each; 199999999999999 is nobody's.
const (
	jakpusPhone  = "100000000000001"
	sbyPhone     = "100000000000002"
	unownedPhone = "199999999999999"
	budi         = "6281234567890"
)

func testOffices(id string) (sigap.Office, bool) {
	switch id {
	case jakpusPhone:
		return sigap.Office{Code: "jakpus", ChannelConfig: &whatsapp.Config{PhoneNumberID: jakpusPhone}}, true
	case sbyPhone:
		return sigap.Office{Code: "surabaya", ChannelConfig: &whatsapp.Config{PhoneNumberID: sbyPhone}}, true
	}
	return sigap.Office{}, false
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

func readDelivery(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "deliveries", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// unix turns a webhook timestamp into the UTC time Inbound should give.
func unix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

func TestParseDeliveryAndInbound(t *testing.T) {
	tests := []struct {
		file string
		want []sigap.InboundMessage
	}{
		{"text.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDkA", Office: "jakpus", From: budi,
			At: time.Date(2025, 2, 12, 0, 43, 44, 0, time.UTC), Kind: sigap.KindText, Text: "status 1234567890123456",
		}}},
		{"text_escaped.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDEA", Office: "jakpus", From: budi,
			At: unix(1739321024), Kind: sigap.KindText, Text: "Café di depan kantor tutup? Terima kasih 🙏",
		}}},
		{"list_reply.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDIA", Office: "jakpus", From: budi,
			At: unix(1739321100), Kind: sigap.KindInteractive, Text: "Cek status", ChoiceID: "menu:status",
		}}},
		{"button_reply.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDMA", Office: "jakpus", From: budi,
			At: unix(1739321160), Kind: sigap.KindInteractive, Text: "Ya, kabari saya", ChoiceID: "notif:on",
		}}},
		{"template_button.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDQA", Office: "jakpus", From: budi,
			At: unix(1739321220), Kind: sigap.KindButton, Text: "Cek status", ChoiceID: "STATUS:1234567890123456",
		}}},
		{"image_caption.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDUA", Office: "jakpus", From: budi,
			At: unix(1739321280), Kind: sigap.KindImage, Text: "ini bukti bayar sy min",
		}}},
		{"audio_voice.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDYA", Office: "jakpus", From: budi,
			At: unix(1739321340), Kind: sigap.KindAudio,
		}}},
		{"video.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDcA", Office: "jakpus", From: budi,
			At: unix(1739321400), Kind: sigap.KindVideo, Text: "antrian hari ini panjang bgt",
		}}},
		{"document.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDgA", Office: "jakpus", From: budi,
			At: unix(1739321460), Kind: sigap.KindDocument, Text: "surat kehilangan",
		}}},
		{"document_nocaption.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RTAA", Office: "jakpus", From: budi,
			At: unix(1739321470), Kind: sigap.KindDocument,
		}}},
		{"sticker.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDkB", Office: "jakpus", From: budi,
			At: unix(1739321520), Kind: sigap.KindSticker,
		}}},
		{"location.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDkC", Office: "jakpus", From: budi,
			At: unix(1739321580), Kind: sigap.KindLocation,
		}}},
		{"contacts.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDkD", Office: "jakpus", From: budi,
			At: unix(1739321640), Kind: sigap.KindContacts,
		}}},
		{"reaction.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDkE", Office: "jakpus", From: budi,
			At: unix(1739321700), Kind: sigap.KindReaction,
		}}},
		{"reaction_removed.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDkF", Office: "jakpus", From: budi,
			At: unix(1739321760), Kind: sigap.KindReaction,
		}}},
		{"unsupported.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDkG", Office: "jakpus", From: budi,
			At: unix(1739321820), Kind: sigap.KindUnsupported,
		}}},
		{"unknown.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDkH", Office: "jakpus", From: budi,
			At: unix(1739321880), Kind: sigap.KindUnsupported,
		}}},
		{"system.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDkI", Office: "jakpus", From: budi,
			At: unix(1739321940), Kind: sigap.KindUnsupported,
		}}},
		{"order.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDkJ", Office: "jakpus", From: budi,
			At: unix(1739322000), Kind: sigap.KindUnsupported,
		}}},
		// A user with a username may come without a phone number: no
		// "from", no wa_id, only the business-scoped user id.
		{"bsuid.json", []sigap.InboundMessage{{
			ID:     "wamid.HBgUVVMuMTM0OTEyMDg2NTUzMDI3NDE5MTgVAgASGBYzRUIwQTFDMkQzRTRGNUE2QjdDOEQ5SwA=",
			Office: "jakpus", From: "US.13491208655302741918", At: unix(1739322060), Kind: sigap.KindText, Text: "#menu",
		}}},
		// Two entries, four changes, two offices; one change is statuses
		// only and one is for a phone number no office owns.
		{"batch.json", []sigap.InboundMessage{
			{ID: "wamid.batch.jakpus.1", Office: "jakpus", From: budi, At: unix(1739321024), Kind: sigap.KindText, Text: "halo"},
			{ID: "wamid.batch.jakpus.2", Office: "jakpus", From: "6285711122233", At: unix(1739321025), Kind: sigap.KindText, Text: "#bayar"},
			{ID: "wamid.batch.sby.1", Office: "surabaya", From: "6281355566677", At: unix(1739321027), Kind: sigap.KindText, Text: "#jam"},
			{ID: "wamid.batch.sby.2", Office: "surabaya", From: "6281355566677", At: unix(1739321029), Kind: sigap.KindInteractive,
				Text: "Lokasi kantor", ChoiceID: "menu:lokasi"},
		}},
		{"unowned.json", nil},
		{"statuses.json", nil},
		{"errors.json", nil},
		// The message without an id cannot be deduplicated and is skipped.
		{"no_id.json", []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDkL", Office: "jakpus", From: budi,
			At: unix(1739322180), Kind: sigap.KindText, Text: "dengan id",
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			d, err := whatsapp.ParseDelivery(readDelivery(t, tt.file))
			if err != nil {
				t.Fatalf("ParseDelivery: %v", err)
			}
			got := whatsapp.Inbound(d, testOffices, discardLog())
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Inbound mismatch (-want +got):\n%s", diff)
			}
			for _, m := range got {
				if m.At.Location() != time.UTC {
					t.Errorf("message %s: At is in %v, want UTC", m.ID, m.At.Location())
				}
			}
		})
	}
}

func TestParseDeliveryEnvelope(t *testing.T) {
	d, err := whatsapp.ParseDelivery(readDelivery(t, "statuses.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Entry) != 1 || len(d.Entry[0].Changes) != 1 {
		t.Fatalf("got %d entries, want 1 with 1 change", len(d.Entry))
	}
	v := d.Entry[0].Changes[0].Value
	if got, want := v.Metadata.PhoneNumberID, jakpusPhone; got != want {
		t.Errorf("phone_number_id = %q, want %q", got, want)
	}
	if len(v.Messages) != 0 {
		t.Errorf("statuses-only delivery has %d messages", len(v.Messages))
	}
	var statuses []string
	for _, s := range v.Statuses {
		statuses = append(statuses, s.Status)
	}
	if diff := cmp.Diff([]string{"sent", "read", "failed"}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	failed := v.Statuses[2]
	if len(failed.Errors) != 1 || failed.Errors[0].Code != 131047 || failed.Errors[0].ErrorData.Details == "" {
		t.Errorf("failed status errors = %+v, want one 131047 with details", failed.Errors)
	}

	d, err = whatsapp.ParseDelivery(readDelivery(t, "errors.json"))
	if err != nil {
		t.Fatal(err)
	}
	errs := d.Entry[0].Changes[0].Value.Errors
	if len(errs) != 1 || errs[0].Code != 130429 || errs[0].Title != "Rate limit hit" {
		t.Errorf("value.errors = %+v, want one 130429", errs)
	}

	d, err = whatsapp.ParseDelivery(readDelivery(t, "unsupported.json"))
	if err != nil {
		t.Fatal(err)
	}
	m := d.Entry[0].Changes[0].Value.Messages[0]
	if len(m.Errors) != 1 || m.Errors[0].Code != 131051 {
		t.Errorf("unsupported message errors = %+v, want one 131051", m.Errors)
	}

	d, err = whatsapp.ParseDelivery(readDelivery(t, "reaction_removed.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := d.Entry[0].Changes[0].Value.Messages[0].Reaction
	if r == nil || r.Emoji != "" || r.MessageID == "" {
		t.Errorf("removed reaction = %+v, want a message_id and no emoji", r)
	}
}

func TestParseDeliveryMalformed(t *testing.T) {
	tests := []struct {
		name string
		body []byte
	}{
		{"wrong object", readDelivery(t, "wrong_object.json")},
		{"truncated JSON", readDelivery(t, "invalid.json")},
		{"empty body", nil},
		{"not an object", []byte(`[]`)},
		{"object missing", []byte(`{"entry":[]}`)},
		{"entry of the wrong type", []byte(`{"object":"whatsapp_business_account","entry":{}}`)},
		{"timestamp as a number", []byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages",
			"value":{"messages":[{"id":"x","timestamp":1739321024}]}}]}]}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := whatsapp.ParseDelivery(tt.body)
			if !errors.Is(err, whatsapp.ErrMalformed) {
				t.Errorf("ParseDelivery error = %v, want one wrapping ErrMalformed", err)
			}
		})
	}
}

// inlineDelivery builds a delivery for jakpus around one value's contacts
// and messages, for cases too small for a file.
func inlineDelivery(field, contacts, messages string) []byte {
	return []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"` + field + `",
		"value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"` + jakpusPhone + `"},
		"contacts":` + contacts + `,"messages":` + messages + `}}]}]}`)
}

func TestInboundEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want []sigap.InboundMessage
	}{
		{
			name: "another field is ignored even if it carries messages",
			body: inlineDelivery("smb_message_echoes", `[]`,
				`[{"from":"6281234567890","id":"wamid.echo","timestamp":"1739321024","type":"text","text":{"body":"x"}}]`),
		},
		{
			name: "no from and no contact: no sender, skipped",
			body: inlineDelivery("messages", `[]`, `[{"id":"wamid.nofrom","timestamp":"1739321024","type":"text","text":{"body":"x"}}]`),
		},
		{
			name: "no from and a contact with neither user_id: skipped",
			body: inlineDelivery("messages", `[{"profile":{"name":"A"}}]`,
				`[{"id":"wamid.nofrom","timestamp":"1739321024","type":"text","text":{"body":"x"}}]`),
		},
		{
			name: "from wins over the contact's user_id",
			body: inlineDelivery("messages", `[{"wa_id":"6281234567890","user_id":"ID.1348912086553027"}]`,
				`[{"from":"6281234567890","id":"wamid.both","timestamp":"1739321024","type":"text","text":{"body":"x"}}]`),
			want: []sigap.InboundMessage{{ID: "wamid.both", Office: "jakpus", From: budi, At: unix(1739321024), Kind: sigap.KindText, Text: "x"}},
		},
		{
			name: "several contacts: the one without a phone number gives the user id",
			body: inlineDelivery("messages",
				`[{"wa_id":"6281234567890","user_id":"ID.1348912086553027"},{"profile":{"username":"@sari.w"},"user_id":"US.13491208655302741918"}]`,
				`[{"id":"wamid.bsuid2","timestamp":"1739321024","type":"text","text":{"body":"x"}}]`),
			want: []sigap.InboundMessage{{ID: "wamid.bsuid2", Office: "jakpus", From: "US.13491208655302741918",
				At: unix(1739321024), Kind: sigap.KindText, Text: "x"}},
		},
		{
			name: "interactive reply without a known subtype keeps the interactive kind",
			body: inlineDelivery("messages", `[]`,
				`[{"from":"6281234567890","id":"wamid.nfm","timestamp":"1739321024","type":"interactive","interactive":{"type":"nfm_reply"}}]`),
			want: []sigap.InboundMessage{{ID: "wamid.nfm", Office: "jakpus", From: budi, At: unix(1739321024), Kind: sigap.KindInteractive}},
		},
		{
			name: "a type Meta adds later is unsupported",
			body: inlineDelivery("messages", `[]`,
				`[{"from":"6281234567890","id":"wamid.new","timestamp":"1739321024","type":"hologram","hologram":{}}]`),
			want: []sigap.InboundMessage{{ID: "wamid.new", Office: "jakpus", From: budi, At: unix(1739321024), Kind: sigap.KindUnsupported}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := whatsapp.ParseDelivery(tt.body)
			if err != nil {
				t.Fatalf("ParseDelivery: %v", err)
			}
			got := whatsapp.Inbound(d, testOffices, discardLog())
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Inbound mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// A timestamp that cannot be read gives the time of receipt, in UTC.
func TestInboundBadTimestamp(t *testing.T) {
	for _, ts := range []string{`""`, `"yesterday"`, `"1739321024.5"`} {
		d, err := whatsapp.ParseDelivery(inlineDelivery("messages", `[]`,
			`[{"from":"6281234567890","id":"wamid.ts","timestamp":`+ts+`,"type":"text","text":{"body":"x"}}]`))
		if err != nil {
			t.Fatal(err)
		}
		before := time.Now()
		got := whatsapp.Inbound(d, testOffices, discardLog())
		after := time.Now()
		if len(got) != 1 {
			t.Fatalf("timestamp %s: got %d messages, want 1", ts, len(got))
		}
		if at := got[0].At; at.Before(before.Truncate(time.Second)) || at.After(after) || at.Location() != time.UTC {
			t.Errorf("timestamp %s: At = %v, want the time of receipt in UTC", ts, at)
		}
	}
}

// Meta's new payloads name the sender of each message in
// messages[].from_user_id. With several username-only senders in one value,
// contacts[] alone cannot say which message is whose.
func TestInboundBSUIDSeveralSenders(t *testing.T) {
	d, err := whatsapp.ParseDelivery(inlineDelivery("messages",
		`[{"profile":{"username":"@a"},"user_id":"US.1111"},{"profile":{"username":"@b"},"user_id":"US.2222"}]`,
		`[{"from_user_id":"US.1111","id":"wamid.a","timestamp":"1739321024","type":"text","text":{"body":"a"}},
		  {"from_user_id":"US.2222","id":"wamid.b","timestamp":"1739321024","type":"text","text":{"body":"b"}}]`))
	if err != nil {
		t.Fatal(err)
	}
	got := whatsapp.Inbound(d, testOffices, discardLog())
	want := []sigap.InboundMessage{
		{ID: "wamid.a", Office: "jakpus", From: "US.1111", At: unix(1739321024), Kind: sigap.KindText, Text: "a"},
		{ID: "wamid.b", Office: "jakpus", From: "US.2222", At: unix(1739321024), Kind: sigap.KindText, Text: "b"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Inbound mismatch (-want +got):\n%s", diff)
	}
}

// ToDelivery also carries the statuses of sent messages and the errors
// Meta reports, which the webhook stores with the messages.
func TestToDeliveryStatusesAndErrors(t *testing.T) {
	tests := []struct {
		file string
		want sigap.Delivery
	}{
		{"statuses.json", sigap.Delivery{Statuses: []sigap.StatusUpdate{
			{MessageID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjBBMUIyQzNENEU1RjZBN0I4QwA=", Status: "sent", At: unix(1750857380), Recipient: budi},
			{MessageID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjBBMUIyQzNENEU1RjZBN0I4QwA=", Status: "read", At: unix(1750857390), Recipient: budi},
			{MessageID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjBBMUIyQzNENEU1RjZBN0I4RAA=", Status: "failed", At: unix(1750857384),
				Recipient: "5516992318222", ErrorCode: 131047, ErrorTitle: "Re-engagement message"},
		}}},
		// A status names the reply its send's callback data named, if it
		// is one of the number's office's: not another office's, nor
		// another sender's data.
		{"statuses_callback.json", sigap.Delivery{Statuses: []sigap.StatusUpdate{
			{MessageID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjBBMUIyQzNENEU1RjZBN0I4QwA=", Status: "sent", At: unix(1750857380), Recipient: budi,
				Reply: sigap.ReplyRef{Office: "jakpus", ID: 42}},
			{MessageID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjBBMUIyQzNENEU1RjZBN0I4RAA=", Status: "sent", At: unix(1750857381), Recipient: budi},
			{MessageID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjBBMUIyQzNENEU1RjZBN0I4RQA=", Status: "delivered", At: unix(1750857382), Recipient: budi},
		}}},
		{"errors.json", sigap.Delivery{Errors: []sigap.ChannelError{
			{Office: "jakpus", Code: 130429, Title: "Rate limit hit", Details: "Cloud API message throughput has been reached."},
		}}},
		{"text.json", sigap.Delivery{Messages: []sigap.InboundMessage{{
			ID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDkA", Office: "jakpus", From: budi,
			At: unix(1739321024), Kind: sigap.KindText, Text: "status 1234567890123456",
		}}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			d, err := whatsapp.ParseDelivery(readDelivery(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got := whatsapp.ToDelivery(d, testOffices, discardLog())
			// An error's At is the time of receipt.
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(sigap.ChannelError{}, "At")); diff != "" {
				t.Errorf("ToDelivery mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
