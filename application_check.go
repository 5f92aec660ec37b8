package sigap

import (
	"fmt"
	"strings"
)

// Limits on an application's fields. The importer, the integration API and
// the store refuse a longer value rather than cut it, so that what the
// upstream system sent is either kept whole or reported. A note is read
// out to the applicant in a status answer: a long one would make one
// look-up send many messages.
const (
	MaxApplicantNameRunes = 100 // characters
	MaxNoteRunes          = 500 // characters; may hold newlines
	MaxOfficeCodeRunes    = 64  // characters; the offices file allows a-z, 0-9 and -
	BillingCodeLen        = 15  // digits, exactly
)

// ApplicationFields names an application's fields as the CSV's columns and
// the integration API's JSON fields do, in the contract's order.
var ApplicationFields = []string{
	"application_number", "office", "applicant_name", "birth_date", "passport_type",
	"stage", "stage_at", "billing_code", "billing_expires_at", "note",
}

// FieldError says what is wrong with one field of an application.
type FieldError struct {
	Field   string // as in ApplicationFields
	Problem string // reads after the field's name: "is empty"
}

// FieldErrors lists every unacceptable field of an application, in the
// order of ApplicationFields. It is an ErrInvalid.
type FieldErrors []FieldError

func (e FieldErrors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Field + " " + f.Problem
	}
	return strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) hold.
func (e FieldErrors) Is(target error) bool { return target == ErrInvalid }

// Has reports whether field is among the errors.
func (e FieldErrors) Has(field string) bool {
	for _, f := range e {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Validate returns the application's unacceptable fields as FieldErrors,
// or nil. It checks what any entry point must: formats, that nothing
// required is missing, the length limits above, and that text holds no
// control characters or invalid UTF-8 (CheckText). Whether the office
// exists is for the caller, which knows the offices.
func (a Application) Validate() error {
	var errs FieldErrors
	bad := func(field, format string, args ...any) {
		errs = append(errs, FieldError{field, fmt.Sprintf(format, args...)})
	}
	text := func(field, s string, max int, multiline bool) {
		if err := CheckText(s, max, multiline); err != nil {
			bad(field, "%v", err)
		}
	}
	if !ValidApplicationNumber(a.Number) {
		bad("application_number", "is not %d digits", ApplicationNumberLen)
	}
	if a.Office == "" {
		bad("office", "is empty")
	} else {
		text("office", a.Office, MaxOfficeCodeRunes, false)
	}
	if strings.TrimSpace(a.ApplicantName) == "" {
		bad("applicant_name", "is empty")
	} else {
		text("applicant_name", a.ApplicantName, MaxApplicantNameRunes, false)
	}
	if a.BirthDate.IsZero() {
		bad("birth_date", "is missing")
	}
	if _, err := ParsePassportType(string(a.PassportType)); err != nil {
		bad("passport_type", "is not ordinary or electronic")
	}
	if _, err := ParseStage(string(a.Stage)); err != nil {
		bad("stage", "is not a stage code")
	}
	if a.StageAt.IsZero() {
		bad("stage_at", "is missing")
	}
	if a.BillingCode != "" && !ValidBillingCode(a.BillingCode) {
		bad("billing_code", "is not %d digits", BillingCodeLen)
	}
	text("note", a.Note, MaxNoteRunes, true)
	if errs == nil {
		return nil
	}
	return errs
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// UpsertOption widens what UpsertApplication may change.
type UpsertOption int

const (
	// MoveOffice lets an upsert move a stored application to the office the
	// new row names. Without it such a row fails with an *OfficeMoveError:
	// a row naming another office is more often a mistake in the upstream
	// data than a transfer, and moving it silently would also replace the
	// name and birth date that the other office's applicant is checked by.
	MoveOffice UpsertOption = iota + 1
)

// OfficeMoveError is an upsert refused because the application is stored
// at another office than the one the row names, and MoveOffice was not
// given. It is an ErrInvalid.
type OfficeMoveError struct {
	Number string
	Stored string // the office the application is at
	Given  string // the office the row names
}

func (e *OfficeMoveError) Error() string {
	return fmt.Sprintf("application is at office %q, not %q; it is moved to another office only when that is asked for", e.Stored, e.Given)
}

// Is makes errors.Is(err, ErrInvalid) hold.
func (e *OfficeMoveError) Is(target error) bool { return target == ErrInvalid }

// CheckOfficeMove says whether a may be stored over stored, the application
// already stored under its number: an *OfficeMoveError when a names
// another office and opts do not include MoveOffice. Every store calls it
// in the transaction that writes a, so the check and the write are one.
func CheckOfficeMove(stored, a Application, opts []UpsertOption) error {
	if stored.Office == a.Office {
		return nil
	}
	for _, o := range opts {
		if o == MoveOffice {
			return nil
		}
	}
	return &OfficeMoveError{Number: a.Number, Stored: stored.Office, Given: a.Office}
}
