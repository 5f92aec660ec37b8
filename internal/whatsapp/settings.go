package whatsapp

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sigap-id/sigap"
)

// Settings is an office's whatsapp: field in the offices file, as written;
// docs/offices.md documents every field.
type Settings struct {
	PhoneNumberID     string         `yaml:"phone_number_id"`
	DisplayNumber     string         `yaml:"display_number"`
	AccessTokenEnv    string         `yaml:"access_token_env"`
	MessagesPerSecond int            `yaml:"messages_per_second"`
	MarkRead          bool           `yaml:"mark_read"`
	ReplyTemplate     sigap.Template `yaml:"reply_template"`
}

// DefaultMessagesPerSecond is a number's send budget unless the office
// names another: the Cloud API's default.
const DefaultMessagesPerSecond = 80

// Config is an office's Cloud API settings as checked: what the Channel
// sends with (sigap.Office.ChannelConfig of an office on cloud_api).
type Config struct {
	// PhoneNumberID is the Cloud API phone number id that deliveries name in
	// metadata.phone_number_id and that replies are sent from.
	PhoneNumberID string
	Number        string // whatsapp.display_number
	// AccessToken, when set, replaces WHATSAPP_ACCESS_TOKEN for this office
	// (read from the variable whatsapp.access_token_env names).
	AccessToken string
	// MessagesPerSecond is the phone number's send budget (Cloud API
	// default 80; 20 for numbers shared with the WhatsApp Business app).
	MessagesPerSecond int
	// MarkRead marks each inbound message read and shows the typing
	// indicator while the answer is prepared.
	MarkRead bool
	// ReplyTemplate is the approved template sent instead of a reply that
	// would fall outside the 24-hour window; empty: such a reply is dropped
	// and recorded as failed.
	ReplyTemplate sigap.Template
}

var _ sigap.ChannelConfig = (*Config)(nil)

// Address is the phone number id, which deliveries name the office by.
func (c *Config) Address() (string, string) {
	if !digits.MatchString(c.PhoneNumberID) {
		return "whatsapp.phone_number_id", ""
	}
	return "whatsapp.phone_number_id", c.PhoneNumberID
}

// DisplayNumber is whatsapp.display_number.
func (c *Config) DisplayNumber() string { return c.Number }

var digits = regexp.MustCompile(`^[0-9]+$`)

var _ sigap.ChannelSettings = (*Channel)(nil)

// SettingsField is the office's whatsapp: field.
func (c *Channel) SettingsField() string { return "whatsapp" }

// NewSettings returns a *Settings to decode whatsapp: into.
func (c *Channel) NewSettings() any { return new(Settings) }

// CheckSettings checks an office's whatsapp: field and returns its *Config.
func (c *Channel) CheckSettings(settings any, getenv func(string) string) (sigap.ChannelConfig, []sigap.FieldProblem) {
	s, ok := settings.(*Settings)
	if !ok {
		return &Config{}, []sigap.FieldProblem{{Field: "whatsapp", Problem: fmt.Sprintf("whatsapp: settings of type %T, want *whatsapp.Settings", settings)}}
	}
	var problems []sigap.FieldProblem
	bad := func(field, format string, args ...any) {
		problems = append(problems, sigap.FieldProblem{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	cfg := &Config{
		PhoneNumberID: strings.TrimSpace(s.PhoneNumberID), Number: s.DisplayNumber,
		MessagesPerSecond: s.MessagesPerSecond, MarkRead: s.MarkRead, ReplyTemplate: s.ReplyTemplate,
	}
	switch {
	case cfg.PhoneNumberID == "":
		bad("whatsapp.phone_number_id", "whatsapp.phone_number_id is required: the Cloud API phone number id (digits; quote it)")
	case !digits.MatchString(cfg.PhoneNumberID):
		bad("whatsapp.phone_number_id", "whatsapp.phone_number_id %q is not a Cloud API phone number id (digits; quote it)", cfg.PhoneNumberID)
	}
	switch {
	case cfg.MessagesPerSecond == 0:
		cfg.MessagesPerSecond = DefaultMessagesPerSecond
	case cfg.MessagesPerSecond < 0 || cfg.MessagesPerSecond > 1000:
		bad("whatsapp.messages_per_second", "whatsapp.messages_per_second %d: want 1 to 1000", cfg.MessagesPerSecond)
	}
	if env := s.AccessTokenEnv; env != "" {
		if cfg.AccessToken = getenv(env); cfg.AccessToken == "" {
			bad("whatsapp.access_token_env", "whatsapp.access_token_env names %s, which is not set", env)
		}
	}
	if t := cfg.ReplyTemplate; (t.Name == "") != (t.Language == "") {
		bad("whatsapp.reply_template", "whatsapp.reply_template needs both name and language")
	}
	return cfg, problems
}
