// Package importer loads passport applications from the CSV that the
// upstream passport system exports (the layout is in the product contract
// and the README).
//
// A broken row never hides the rows after it. The file is split into
// records here, by lines and by whether a quote is open, and each record is
// parsed on its own: a record that cannot be parsed, is too long, or opens
// a quote that is never closed is reported with its line, and reading goes
// on (after an unclosed quote, from the line after the one that opened
// it). Only a failure to read the file or to store a row stops an import,
// and the error then says how far the file was read.
package importer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sigap-id/sigap"
)

// MaxRecordBytes caps one record (one line, or the lines a quoted field
// spans): encoding/csv itself has no limit. A row of the contract's
// columns at their limits takes under 3 KiB.
const MaxRecordBytes = 64 << 10

// Columns the CSV must have; the rest of the contract's columns are optional.
var required = []string{"application_number", "office", "applicant_name", "birth_date", "passport_type", "stage", "stage_at"}

// Format is the layout of an import's file.
type Format int

const (
	// CSV is the contract's CSV: a header row, then one application a
	// record.
	CSV Format = iota
	// NDJSON is one JSON object a line, its fields named as the CSV's
	// columns (each a string; a number is taken as written, null as
	// empty). Unknown fields are ignored, as unknown columns are; blank
	// lines are skipped; a line may hold at most MaxRecordBytes.
	NDJSON
)

// Options says what an import may do.
type Options struct {
	// Format is the file's layout: CSV unless set.
	Format Format
	// KnownOffice says whether an office code exists (and may be written).
	KnownOffice func(code string) bool
	// MoveOffice lets a row move an application stored at another office to
	// the office the row names (sigap.MoveOffice). Without it such a row is
	// an error.
	MoveOffice bool
}

// LineError is a row that was not loaded.
type LineError struct {
	Line int
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e LineError) Unwrap() error { return e.Err }

// Report says what an import did.
type Report struct {
	Inserted, Updated, Unchanged int
	Errors                       []LineError
	// Lines is how many lines of the file were read.
	Lines int
}

// Rows is the number of rows read, loaded or not.
func (r Report) Rows() int { return r.Loaded() + len(r.Errors) }

// Loaded is the number of rows stored or found unchanged.
func (r Report) Loaded() int { return r.Inserted + r.Updated + r.Unchanged }

// Import reads applications from r and stores each good row; a bad row is
// reported with its line number and the others still load. It fails as a
// whole only when the header is unusable, the file cannot be read, or the
// store fails; the error then says up to which line the file was read and
// how many rows were loaded.
func Import(ctx context.Context, r io.Reader, apps sigap.Applications, opt Options) (Report, error) {
	var rep Report
	lr := &lineReader{br: bufio.NewReaderSize(r, 16<<10)}
	stop := func(line int, err error) (Report, error) {
		rep.Lines = lr.n
		return rep, fmt.Errorf("line %d: %w: the file was read up to line %d; %d rows loaded, the rest not read",
			line, err, lr.n, rep.Loaded())
	}
	var src source
	switch opt.Format {
	case CSV:
		c := &csvSource{lr: lr, known: opt.KnownOffice}
		if err := c.header(); err != nil {
			var re readError
			if errors.As(err, &re) {
				return stop(lr.n, re.err)
			}
			return rep, err
		}
		src = c
	case NDJSON:
		src = &ndjsonSource{lr: lr, known: opt.KnownOffice}
	default:
		return rep, fmt.Errorf("unknown format %d", opt.Format)
	}
	moveOpts := []sigap.UpsertOption(nil)
	if opt.MoveOffice {
		moveOpts = append(moveOpts, sigap.MoveOffice)
	}
	for {
		row, err := src.next()
		if errors.Is(err, io.EOF) {
			rep.Lines = lr.n
			return rep, nil
		}
		if err != nil {
			return stop(lr.n, fmt.Errorf("read: %w", err))
		}
		if row.err != nil {
			rep.Errors = append(rep.Errors, LineError{row.line, row.err})
			continue
		}
		res, err := apps.UpsertApplication(ctx, row.a, moveOpts...)
		var (
			move   *sigap.OfficeMoveError
			fields sigap.FieldErrors
		)
		switch {
		case errors.As(err, &move):
			rep.Errors = append(rep.Errors, LineError{row.line, move})
			continue
		case errors.As(err, &fields):
			rep.Errors = append(rep.Errors, LineError{row.line, fields})
			continue
		case err != nil:
			return stop(row.line, err)
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

// header maps the header's column names to their positions.
func header(names []string) (map[string]int, error) {
	col := map[string]int{}
	for i, h := range names {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("column %s appears twice", quote(h))
		}
		col[h] = i
	}
	var missing []string
	for _, name := range required {
		if _, ok := col[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing column(s) %s", strings.Join(missing, ", "))
	}
	return col, nil
}

func isBlank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// parseRow reads one row's fields: each format here, with the value that
// is wrong, then what sigap.Application.Validate finds in the fields that
// parsed (lengths, control characters, invalid UTF-8), which it reports
// without the value.
func parseRow(field func(string) string, knownOffice func(string) bool) (sigap.Application, error) {
	var (
		a    sigap.Application
		errs = map[string]string{}
		err  error
	)
	a.Number = field("application_number")
	if !sigap.ValidApplicationNumber(a.Number) {
		errs["application_number"] = fmt.Sprintf("%s: want %d digits", quote(a.Number), sigap.ApplicationNumberLen)
	}
	a.Office = field("office")
	if knownOffice == nil || !knownOffice(a.Office) {
		errs["office"] = fmt.Sprintf("%s: no such office in the offices file", quote(a.Office))
	}
	a.ApplicantName = field("applicant_name")
	if a.BirthDate, err = time.Parse("2006-01-02", field("birth_date")); err != nil {
		errs["birth_date"] = fmt.Sprintf("%s: want YYYY-MM-DD", quote(field("birth_date")))
	}
	if a.PassportType, err = sigap.ParsePassportType(field("passport_type")); err != nil {
		errs["passport_type"] = fmt.Sprintf("%s: want ordinary or electronic", quote(field("passport_type")))
	}
	if a.Stage, err = sigap.ParseStage(field("stage")); err != nil {
		errs["stage"] = fmt.Sprintf("%s: not a stage code", quote(field("stage")))
	}
	if a.StageAt, err = time.Parse(time.RFC3339, field("stage_at")); err != nil {
		errs["stage_at"] = fmt.Sprintf("%s: want an RFC 3339 time such as 2026-01-02T09:00:00+07:00", quote(field("stage_at")))
	}
	if a.BillingCode = field("billing_code"); a.BillingCode != "" && !sigap.ValidBillingCode(a.BillingCode) {
		errs["billing_code"] = fmt.Sprintf("%s: want %d digits", quote(a.BillingCode), sigap.BillingCodeLen)
	}
	if s := field("billing_expires_at"); s != "" {
		if a.BillingExpiresAt, err = time.Parse(time.RFC3339, s); err != nil {
			errs["billing_expires_at"] = fmt.Sprintf("%s: want an RFC 3339 time", quote(s))
		}
	}
	a.Note = field("note")
	var invalid sigap.FieldErrors
	if errors.As(a.Validate(), &invalid) {
		for _, f := range invalid {
			if _, ok := errs[f.Field]; !ok {
				errs[f.Field] = f.Problem
			}
		}
	}
	if len(errs) > 0 {
		var parts []string
		for _, name := range sigap.ApplicationFields {
			if p, ok := errs[name]; ok {
				parts = append(parts, name+" "+p)
			}
		}
		return a, errors.New(strings.Join(parts, "; "))
	}
	a.StageAt, a.BillingExpiresAt = a.StageAt.UTC(), a.BillingExpiresAt.UTC()
	return a, nil
}

// quote quotes a value for an error message, shortened when long: a
// million-character field is not printed back whole.
func quote(s string) string {
	const show = 40
	n := utf8.RuneCountInString(s)
	if n <= show {
		return fmt.Sprintf("%q", s)
	}
	cut, k := 0, 0
	for i := range s {
		if k == show {
			cut = i
			break
		}
		k++
	}
	return fmt.Sprintf("%q… (%d characters)", s[:cut], n)
}
