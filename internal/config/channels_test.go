package config_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/config"
	"github.com/sigap-id/sigap/internal/whatsapp"
)

// plainChannel is a channel whose offices have no settings of their own.
type plainChannel struct{}

func (plainChannel) Split(r sigap.Reply) []sigap.Reply { return []sigap.Reply{r} }
func (plainChannel) Prepare(_ sigap.Office, m sigap.OutboundMessage, _ time.Time) (sigap.OutboundMessage, error) {
	return m, nil
}
func (plainChannel) Budget(o sigap.Office) (string, int) { return o.Code, 1 }
func (plainChannel) Send(context.Context, sigap.Office, sigap.OutboundMessage) (string, error) {
	return "", nil
}
func (plainChannel) Classify(error, int) sigap.SendFailure                              { return sigap.SendFailure{} }
func (plainChannel) Ready(sigap.Office) error                                           { return nil }
func (plainChannel) MarkRead(context.Context, sigap.Office, sigap.InboundMessage) error { return nil }

// smsChannel reads its offices' sms: field: a sender, required, by which
// deliveries name the office.
type smsChannel struct{ plainChannel }

type smsSettings struct {
	Sender string `yaml:"sender"`
	Number string `yaml:"number"`
}

type smsConfig struct{ sender, number string }

func (c smsConfig) Address() (string, string) { return "sms.sender", c.sender }
func (c smsConfig) DisplayNumber() string     { return c.number }

func (smsChannel) SettingsField() string { return "sms" }
func (smsChannel) NewSettings() any      { return new(smsSettings) }
func (smsChannel) CheckSettings(settings any, _ func(string) string) (sigap.ChannelConfig, []sigap.FieldProblem) {
	s := settings.(*smsSettings)
	if s.Sender == "" {
		return smsConfig{}, []sigap.FieldProblem{{Field: "sms.sender", Problem: "sms.sender is required"}}
	}
	return smsConfig{s.Sender, s.Number}, nil
}

// TestOfficeChannels: an office's channel reads its own settings field and
// no other; an office on a channel without settings needs no whatsapp:.
func TestOfficeChannels(t *testing.T) {
	channels := map[string]sigap.Channel{whatsapp.ChannelName: &whatsapp.Channel{}, "test": plainChannel{}, "sms": smsChannel{}}
	o, err := config.ParseOffices("f.yaml", []byte(`offices:
  - code: uji
    name: Kantor Uji
    channel: test
  - code: pesan
    name: Kantor Pesan
    channel: sms
    sms: {sender: "1234", number: "+62 1234"}
  - code: jakpus
    name: Kantor Jakpus
    whatsapp: {phone_number_id: "1234", display_number: "+62 811"}
`), noEnv, channels)
	if err != nil {
		t.Fatal(err)
	}
	uji, _ := o.ByCode("uji")
	if uji.Channel != "test" || uji.ChannelConfig != nil || uji.DisplayNumber != "" {
		t.Errorf("office on the test channel: channel %q, config %v, number %q", uji.Channel, uji.ChannelConfig, uji.DisplayNumber)
	}
	// The same address on two channels is two offices.
	for _, tt := range []struct{ channel, code, number string }{{"sms", "pesan", "+62 1234"}, {whatsapp.ChannelName, "jakpus", "+62 811"}} {
		got, ok := o.ByAddress(tt.channel, "1234")
		if !ok || got.Code != tt.code || got.DisplayNumber != tt.number {
			t.Errorf("ByAddress(%s, 1234) = %q (number %q), %v; want %s (%s)", tt.channel, got.Code, got.DisplayNumber, ok, tt.code, tt.number)
		}
	}
	if got, ok := o.Finder("test")("1234"); ok {
		t.Errorf("the test channel, which has no addresses, found %s", got.Code)
	}

	_, err = config.ParseOffices("f.yaml", []byte(`offices:
  - code: uji
    name: Kantor Uji
    channel: test
    whatsapp: {phone_number_id: "1"}
  - code: pesan
    name: Kantor Pesan
    channel: sms
    sms:
      sendr: "1"
  - code: pesan-2
    name: Kantor Pesan 2
    channel: sms
    sms: {sender: "9"}
  - code: pesan-3
    name: Kantor Pesan 3
    channel: sms
    sms: {sender: "9"}
  - code: jakpus
    name: Kantor Jakpus
    sms: {sender: "8"}
  - code: lain
    name: Kantor Lain
    channel: pos
    whatsapp: {phone_number_id: "x"}
`), noEnv, channels)
	want := []string{
		`f.yaml line 5: office "uji": whatsapp: holds settings of channel cloud_api, and this office's channel is test`,
		`f.yaml line 9: office "pesan": sms.sender is required`,
		`f.yaml line 10: office "pesan": unknown field sms.sendr`,
		`f.yaml line 18: office "pesan-3": sms.sender 9 is already office "pesan-2"'s (line 14)`,
		`f.yaml line 19: office "jakpus": whatsapp.phone_number_id is required: the Cloud API phone number id (digits; quote it)`,
		`f.yaml line 21: office "jakpus": sms: holds settings of channel sms, and this office's channel is cloud_api`,
		`f.yaml line 24: office "lain": channel "pos" is not known (want cloud_api or sms or test)`,
	}
	if err == nil {
		t.Fatal("accepted")
	}
	got := strings.Split(err.Error(), "\n")[1:]
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
