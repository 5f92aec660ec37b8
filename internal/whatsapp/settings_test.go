package whatsapp_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/whatsapp"
)

// TestCheckSettings: the whatsapp: field's defaults and mistakes, each
// naming its field.
func TestCheckSettings(t *testing.T) {
	ch := &whatsapp.Channel{}
	env := func(k string) string { return map[string]string{"SBY_TOKEN": "EAAsby"}[k] }
	tests := []struct {
		name   string
		in     whatsapp.Settings
		want   whatsapp.Config
		fields []string // of the problems, in order
	}{
		{"defaults", whatsapp.Settings{PhoneNumberID: " 100 "},
			whatsapp.Config{PhoneNumberID: "100", MessagesPerSecond: 80}, nil},
		{"all", whatsapp.Settings{PhoneNumberID: "100", DisplayNumber: "+62 811", AccessTokenEnv: "SBY_TOKEN", MessagesPerSecond: 20,
			MarkRead: true, ReplyTemplate: sigap.Template{Name: "t", Language: "id"}},
			whatsapp.Config{PhoneNumberID: "100", Number: "+62 811", AccessToken: "EAAsby", MessagesPerSecond: 20,
				MarkRead: true, ReplyTemplate: sigap.Template{Name: "t", Language: "id"}}, nil},
		{"none", whatsapp.Settings{}, whatsapp.Config{MessagesPerSecond: 80}, []string{"whatsapp.phone_number_id"}},
		{"wrong", whatsapp.Settings{PhoneNumberID: "+62", AccessTokenEnv: "NOPE", MessagesPerSecond: 1001, ReplyTemplate: sigap.Template{Name: "t"}},
			whatsapp.Config{PhoneNumberID: "+62", MessagesPerSecond: 1001, ReplyTemplate: sigap.Template{Name: "t"}},
			[]string{"whatsapp.phone_number_id", "whatsapp.messages_per_second", "whatsapp.access_token_env", "whatsapp.reply_template"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ch.NewSettings().(*whatsapp.Settings)
			*in = tt.in
			cfg, problems := ch.CheckSettings(in, env)
			got, ok := cfg.(*whatsapp.Config)
			if !ok || !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("config = %+v, want %+v", cfg, tt.want)
			}
			var fields []string
			for _, p := range problems {
				fields = append(fields, p.Field)
				if !strings.HasPrefix(p.Problem, p.Field) {
					t.Errorf("problem %q does not name its field %s", p.Problem, p.Field)
				}
			}
			if strings.Join(fields, " ") != strings.Join(tt.fields, " ") {
				t.Errorf("problems in %v, want %v", fields, tt.fields)
			}
			if _, addr := got.Address(); (addr != "") != (len(tt.fields) == 0) {
				t.Errorf("address %q of settings with problems in %v", addr, tt.fields)
			}
		})
	}
}

// TestChannelWithoutSettings: an office the offices file gave no Cloud
// API settings is not sent for, and the sender is told a person must act.
func TestChannelWithoutSettings(t *testing.T) {
	srv := startGraph(t, "")
	ch := &whatsapp.Channel{Client: whatsapp.NewClient(srv.URL, "v23.0"), Token: "EAAdefault", Log: discardLog()}
	office := sigap.Office{Code: "uji", Channel: "test"}
	if err := ch.Ready(office); err == nil {
		t.Error("Ready without settings")
	}
	_, err := ch.Send(context.Background(), office, sigap.OutboundMessage{To: budi, Reply: sigap.Reply{Text: "halo"}})
	if f := ch.Classify(err, 1); err == nil || !f.Permanent || !f.NeedsOperator {
		t.Errorf("Send = %v (%+v), want a permanent failure for an operator", err, f)
	}
	if err := ch.MarkRead(context.Background(), office, sigap.InboundMessage{ID: "wamid.1"}); err == nil {
		t.Error("MarkRead without settings")
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("the Graph API saw %d requests", n)
	}
}

// TestChannelReady: an office can send with WHATSAPP_ACCESS_TOKEN or its
// own token; mark_read off sends no read receipt.
func TestChannelReady(t *testing.T) {
	srv := startGraph(t, "")
	own := sigap.Office{Code: "sby", ChannelConfig: &whatsapp.Config{PhoneNumberID: sbyPhone, AccessToken: "EAAsby"}}
	shared := sigap.Office{Code: "jakpus", ChannelConfig: &whatsapp.Config{PhoneNumberID: jakpusPhone}}
	noToken := &whatsapp.Channel{Client: whatsapp.NewClient(srv.URL, "v23.0"), Log: discardLog()}
	if noToken.Ready(own) != nil || noToken.Ready(shared) == nil {
		t.Errorf("without WHATSAPP_ACCESS_TOKEN: own token %v, shared %v", noToken.Ready(own), noToken.Ready(shared))
	}
	withToken := &whatsapp.Channel{Client: whatsapp.NewClient(srv.URL, "v23.0"), Token: "EAAdefault", Log: discardLog()}
	if err := withToken.Ready(shared); err != nil {
		t.Errorf("with WHATSAPP_ACCESS_TOKEN: %v", err)
	}
	if err := withToken.MarkRead(context.Background(), shared, sigap.InboundMessage{ID: "wamid.1"}); err != nil || len(srv.Requests()) != 0 {
		t.Errorf("mark_read off: %v, %d requests", err, len(srv.Requests()))
	}
}
