// Package importer loads passport applications from the CSV that the
// upstream passport system exports (the layout is in the product contract).
package importer

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sigap-id/sigap"
)

// Columns the CSV must have; the rest of the contract's columns are optional.
var required = []string{"application_number", "office", "applicant_name", "birth_date", "passport_type", "stage", "stage_at"}

// LineError is a row that was not loaded.
type LineError struct {
	Line int
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Report says what an import did.
type Report struct {
	Inserted, Updated, Unchanged int
	Errors                       []LineError
}

// Rows is the number of rows read, loaded or not.
func (r Report) Rows() int { return r.Inserted + r.Updated + r.Unchanged + len(r.Errors) }

// Import reads applications from r and stores each good row; a bad row is
// reported with its line number and the others still load. It fails as a
// whole only when the file cannot be read at all or the store fails.
// knownOffice says whether an office code exists.
func Import(ctx context.Context, r io.Reader, knownOffice func(code string) bool, apps sigap.Applications) (Report, error) {
	var rep Report
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return rep, errors.New("the file is empty: want a header row")
	}
	if err != nil {
		return rep, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
		col[h] = i
	}
	var missing []string
	for _, name := range required {
		if _, ok := col[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return rep, fmt.Errorf("header: missing column(s) %s", strings.Join(missing, ", "))
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rep, nil
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			rep.Errors = append(rep.Errors, LineError{perr.StartLine, perr.Err})
			continue
		}
		if err != nil {
			return rep, fmt.Errorf("read: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if isBlank(rec) {
			continue
		}
		field := func(name string) string {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		a, err := parseRow(field, knownOffice)
		if err != nil {
			rep.Errors = append(rep.Errors, LineError{line, err})
			continue
		}
		res, err := apps.UpsertApplication(ctx, a)
		if err != nil {
			return rep, fmt.Errorf("line %d: %w", line, err)
		}
		switch res {
		case sigap.Inserted:
			rep.Inserted++
		case sigap.Updated:
			rep.Updated++
		default:
			rep.Unchanged++
		}
	}
}

func isBlank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func parseRow(field func(string) string, knownOffice func(string) bool) (sigap.Application, error) {
	var (
		a    sigap.Application
		errs []string
		err  error
	)
	for _, name := range []string{"application_number", "office", "applicant_name", "note"} {
		if !utf8.ValidString(field(name)) {
			return a, fmt.Errorf("%s is not valid UTF-8", name)
		}
	}
	a.Number = field("application_number")
	if !sigap.ValidApplicationNumber(a.Number) {
		errs = append(errs, fmt.Sprintf("application_number %q: want 16 digits", a.Number))
	}
	a.Office = field("office")
	if !knownOffice(a.Office) {
		errs = append(errs, fmt.Sprintf("office %q: no such office in the offices file", a.Office))
	}
	if a.ApplicantName = field("applicant_name"); a.ApplicantName == "" {
		errs = append(errs, "applicant_name is empty")
	}
	if a.BirthDate, err = time.Parse("2006-01-02", field("birth_date")); err != nil {
		errs = append(errs, fmt.Sprintf("birth_date %q: want YYYY-MM-DD", field("birth_date")))
	}
	if a.PassportType, err = sigap.ParsePassportType(field("passport_type")); err != nil {
		errs = append(errs, fmt.Sprintf("passport_type %q: want ordinary or electronic", field("passport_type")))
	}
	if a.Stage, err = sigap.ParseStage(field("stage")); err != nil {
		errs = append(errs, fmt.Sprintf("stage %q: not a stage code", field("stage")))
	}
	if a.StageAt, err = time.Parse(time.RFC3339, field("stage_at")); err != nil {
		errs = append(errs, fmt.Sprintf("stage_at %q: want an RFC 3339 time such as 2026-01-02T09:00:00+07:00", field("stage_at")))
	}
	if a.BillingCode = field("billing_code"); a.BillingCode != "" && !isDigits(a.BillingCode, 15) {
		errs = append(errs, fmt.Sprintf("billing_code %q: want 15 digits", a.BillingCode))
	}
	if s := field("billing_expires_at"); s != "" {
		if a.BillingExpiresAt, err = time.Parse(time.RFC3339, s); err != nil {
			errs = append(errs, fmt.Sprintf("billing_expires_at %q: want an RFC 3339 time", s))
		}
	}
	a.Note = field("note")
	if len(errs) > 0 {
		return a, errors.New(strings.Join(errs, "; "))
	}
	a.StageAt, a.BillingExpiresAt = a.StageAt.UTC(), a.BillingExpiresAt.UTC()
	return a, nil
}

func isDigits(s string, n int) bool {
	return len(s) == n && bytes.IndexFunc([]byte(s), func(r rune) bool { return r < '0' || r > '9' }) < 0
}
