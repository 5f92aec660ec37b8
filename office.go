package sigap

import (
	"cmp"
	"time"
)

// Office is one passport office with its own WhatsApp number. Offices come
// from the offices file, not from the database; every stored row carries the
// office code so that one deployment serves many offices.
type Office struct {
	Code string
	Name string
	// Channel names the transport the office is reached by (the offices
	// file's channel:, DefaultChannel when it names none).
	Channel string

	// ChannelConfig is the office's settings for its channel, as the
	// channel read them from the offices file (the Cloud API's, from
	// whatsapp:, are a *whatsapp.Config); nil for a channel that has none.
	// Only the channel looks inside.
	ChannelConfig ChannelConfig
	// DisplayNumber is the number applicants write to, as they dial it
	// (ChannelConfig's, copied here for the conversation, which names it
	// when another office handles an application).
	DisplayNumber string

	// VerifyBirthDate asks for the applicant's birth date before answering
	// about an application.
	VerifyBirthDate bool

	Address string
	Hours   string
	// Phone is the office's telephone, shown with its address and hours.
	Phone    string
	Location *Location
	// TimeZone is the office's local time, in which dates and deadlines are
	// shown to applicants (WIB, WITA or WIT).
	TimeZone *time.Location

	// Keywords adds this office's own keywords to the national ones, by
	// intent ("payment": ["#biaya"]).
	Keywords map[string][]string
	// Texts replaces national texts for this office: language, then text
	// key ("menu", "stage.ready.todo"), then the template.
	Texts map[string]map[string]string
	// Synonyms are words or phrases that ask for an intent wherever they
	// stand in a message the bot could not otherwise place (added in the
	// staff console from "not understood").
	Synonyms map[string][]string
	// Limits bounds status look-ups per sender; zero fields mean defaults.
	Limits OfficeLimits
	// NameHandlingOffice: when a number belongs to another office, say
	// which (after the birth date check) instead of "not found".
	NameHandlingOffice bool
	// Notifications are the office's notification settings.
	Notifications OfficeNotifications
}

// ChannelName is the office's channel: Channel, or DefaultChannel if it
// names none.
func (o Office) ChannelName() string { return cmp.Or(o.Channel, DefaultChannel) }

// Template names an approved WhatsApp message template.
type Template struct {
	Name     string `json:"name" yaml:"name"`
	Language string `json:"language" yaml:"language"` // e.g. "id" or "en_US"
	// Params are the values of the template's body parameters, in order.
	Params []string `json:"params,omitempty" yaml:"-"`
}

// Location is a point on the map.
type Location struct {
	Latitude  float64 `json:"latitude" yaml:"latitude"`
	Longitude float64 `json:"longitude" yaml:"longitude"`
	Name      string  `json:"name,omitempty" yaml:"name,omitempty"`
	Address   string  `json:"address,omitempty" yaml:"address,omitempty"`
}
