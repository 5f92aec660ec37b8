package whatsapp_test

import (
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/whatsapp"
)

// TestPrepareKeepsATemplate: outside the window a text reply becomes the
// office's reply_template, but a reply that is a template already (a
// notification) goes as it is, parameters and all.
func TestPrepareKeepsATemplate(t *testing.T) {
	now := time.Date(2026, 1, 12, 9, 0, 0, 0, time.UTC)
	office := sigap.Office{Code: "jakpus", ChannelConfig: &whatsapp.Config{PhoneNumberID: "1",
		ReplyTemplate: sigap.Template{Name: "sigap_reply_waiting", Language: "id"}}}
	ch := &whatsapp.Channel{}
	own := &sigap.Template{Name: "sigap_status_update", Language: "id", Params: []string{"Siap diambil"}}
	closed := now.Add(-time.Hour)
	for _, tt := range []struct {
		name string
		m    sigap.OutboundMessage
		want string
	}{
		{"text inside the window", sigap.OutboundMessage{Reply: sigap.Reply{Text: "hi"}, WindowEndsAt: now.Add(time.Hour)}, ""},
		{"text outside it", sigap.OutboundMessage{Reply: sigap.Reply{Text: "hi"}, WindowEndsAt: closed}, "sigap_reply_waiting"},
		{"template outside it", sigap.OutboundMessage{Reply: sigap.Reply{Text: "hi", Template: own}, WindowEndsAt: closed}, "sigap_status_update"},
	} {
		got, err := ch.Prepare(office, tt.m, now)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		name := ""
		if got.Reply.Template != nil {
			name = got.Reply.Template.Name
		}
		if name != tt.want {
			t.Errorf("%s: template %q, want %q", tt.name, name, tt.want)
		}
	}
}
