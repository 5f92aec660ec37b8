package sigap

import "time"

// Office is one passport office with its own WhatsApp number. Offices come
// from the offices file, not from the database; every stored row carries the
// office code so that one deployment serves many offices.
type Office struct {
	Code string
	Name string

	// PhoneNumberID is the Cloud API phone number id that deliveries name in
	// metadata.phone_number_id and that replies are sent from.
	PhoneNumberID string
	DisplayNumber string
	// AccessToken, when set, replaces WHATSAPP_ACCESS_TOKEN for this office.
	AccessToken string

	// VerifyBirthDate asks for the applicant's birth date before answering
	// about an application.
	VerifyBirthDate bool

	Address  string
	Hours    string
	Location *Location
	// TimeZone is the office's local time, in which dates and deadlines are
	// shown to applicants (WIB, WITA or WIT).
	TimeZone *time.Location
}

// Location is a point on the map.
type Location struct {
	Latitude  float64 `json:"latitude" yaml:"latitude"`
	Longitude float64 `json:"longitude" yaml:"longitude"`
	Name      string  `json:"name,omitempty" yaml:"name,omitempty"`
	Address   string  `json:"address,omitempty" yaml:"address,omitempty"`
}
