package sigap

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Stage is where a passport application stands. The codes are fixed by the
// product contract; their wording for applicants lives in the content files.
type Stage string

const (
	StageRegistered      Stage = "registered"
	StageAwaitingPayment Stage = "awaiting_payment"
	StagePaid            Stage = "paid"
	StageInterviewed     Stage = "interviewed"
	StageApproved        Stage = "approved"
	StagePrinting        Stage = "printing"
	StageReady           Stage = "ready"
	StageCollected       Stage = "collected"
	StageShipped         Stage = "shipped"
	StageOnHold          Stage = "on_hold"
	StageRejected        Stage = "rejected"
	StageCancelled       Stage = "cancelled"
)

// Stages lists every stage in the order an application usually moves.
var Stages = []Stage{
	StageRegistered, StageAwaitingPayment, StagePaid, StageInterviewed,
	StageApproved, StagePrinting, StageReady, StageCollected, StageShipped,
	StageOnHold, StageRejected, StageCancelled,
}

// ParseStage accepts a stage code as the CSV and the API write it.
func ParseStage(s string) (Stage, error) {
	st := Stage(strings.TrimSpace(s))
	for _, known := range Stages {
		if st == known {
			return st, nil
		}
	}
	return "", fmt.Errorf("%w: unknown stage %q", ErrInvalid, s)
}

// PassportType is the kind of passport book applied for.
type PassportType string

const (
	PassportOrdinary   PassportType = "ordinary"
	PassportElectronic PassportType = "electronic"
)

// ParsePassportType accepts the CSV's passport_type values.
func ParsePassportType(s string) (PassportType, error) {
	switch t := PassportType(strings.TrimSpace(s)); t {
	case PassportOrdinary, PassportElectronic:
		return t, nil
	}
	return "", fmt.Errorf("%w: unknown passport type %q (want ordinary or electronic)", ErrInvalid, s)
}

// ApplicationNumberLen is the length of an M-Paspor application number.
const ApplicationNumberLen = 16

// ValidApplicationNumber reports whether s is exactly 16 ASCII digits.
func ValidApplicationNumber(s string) bool { return isDigits(s, ApplicationNumberLen) }

// ValidBillingCode reports whether s is a SIMPONI billing code: exactly 15
// ASCII digits.
func ValidBillingCode(s string) bool { return isDigits(s, BillingCodeLen) }

// Application is a passport application as the upstream system reports it.
type Application struct {
	Number        string
	Office        string
	ApplicantName string
	// BirthDate is a calendar date; only its year, month and day are used.
	BirthDate    time.Time
	PassportType PassportType
	Stage        Stage
	StageAt      time.Time
	// BillingCode is the 15-digit SIMPONI payment code, when one was issued.
	BillingCode      string
	BillingExpiresAt time.Time
	Note             string
}

// StageChange is one entry of an application's history.
type StageChange struct {
	Stage Stage
	At    time.Time
	Note  string
}

// SameBirthDate compares only the calendar date.
func (a Application) SameBirthDate(y int, m time.Month, d int) bool {
	by, bm, bd := a.BirthDate.Date()
	return by == y && bm == m && bd == d
}

// MaskedName shows each word's first letter and hides the rest, so that an
// applicant recognises their application without the bot revealing a name:
// "Budi Santoso" becomes "B*** S******".
func MaskedName(name string) string {
	words := strings.FieldsFunc(name, unicode.IsSpace)
	for i, w := range words {
		r, size := utf8.DecodeRuneInString(w)
		words[i] = string(r) + strings.Repeat("*", utf8.RuneCountInString(w[size:]))
	}
	return strings.Join(words, " ")
}
