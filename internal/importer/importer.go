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
	// BatchSize is how many rows are read, checked and stored together;
	// DefaultBatchSize unless set.
	BatchSize int
	// Progress, if set, is called after each batch is stored.
	Progress func(Progress)
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

// DefaultBatchSize is how many rows an import reads before it stores
// them, in one transaction where the store takes batches.
const DefaultBatchSize = 5000

// Progress is how far an import has got, given to Options.Progress after
// each batch is stored.
type Progress struct {
	Lines, Rows, Loaded, Errors int
}

// Import reads applications from r and stores each good row; a bad row is
// reported with its line number and the others still load. It fails as a
// whole only when the header is unusable, the file cannot be read, or the
// store fails; the error then says up to which line the file was read and
// how many rows were loaded.
//
// The file is read a batch of rows at a time (Options.BatchSize), every row
// checked before any is written, while the batch before it is stored: in
// one transaction through sigap.BatchApplications where the store offers
// it, row by row otherwise. Memory stays a few batches whatever the size of
// the file (and the Report's errors).
func Import(ctx context.Context, r io.Reader, apps sigap.Applications, opt Options) (Report, error) {
	var rep Report
	lr := &lineReader{br: bufio.NewReaderSize(r, 64<<10)}
	stop := func(line int, err error) (Report, error) {
		rep.Lines = line
		return rep, fmt.Errorf("line %d: %w: the file was read up to line %d; %d rows loaded, the rest not read",
			line, err, line, rep.Loaded())
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
	size := opt.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	var moveOpts []sigap.UpsertOption
	if opt.MoveOffice {
		moveOpts = append(moveOpts, sigap.MoveOffice)
	}
	store := func(b batch) (failedAt int, err error) {
		if many, ok := apps.(sigap.BatchApplications); ok {
			return storeBatch(ctx, many, b, moveOpts, &rep)
		}
		return storeRows(ctx, apps, b, moveOpts, &rep)
	}

	readCtx, cancel := context.WithCancel(ctx)
	batches := make(chan batch, 1)
	go read(readCtx, src, lr, size, batches)
	defer func() {
		// The reader is done with r before Import returns.
		cancel()
		for range batches {
		}
	}()
	for b := range batches {
		if line, err := store(b); err != nil {
			return stop(line, err)
		}
		if b.err != nil {
			return stop(b.lines, b.err)
		}
		if opt.Progress != nil {
			opt.Progress(Progress{Lines: b.lines, Rows: rep.Rows(), Loaded: rep.Loaded(), Errors: len(rep.Errors)})
		}
		if b.eof {
			rep.Lines = b.lines
			return rep, nil
		}
	}
	return stop(lr.lines(), fmt.Errorf("import: %w", ctx.Err()))
}

// batch is rows read, good and bad, in the file's order.
type batch struct {
	rows  []row
	lines int   // lines read when the batch was complete
	err   error // reading stopped: this error after the rows
	eof   bool  // the last batch
}

// read sends src's rows in batches of size until the end of the file, an
// error reading it, or ctx's end.
func read(ctx context.Context, src source, lr *lineReader, size int, out chan<- batch) {
	defer close(out)
	for {
		b := batch{rows: make([]row, 0, size)}
		for len(b.rows) < size {
			if ctx.Err() != nil {
				return
			}
			r, err := src.next()
			if errors.Is(err, io.EOF) {
				b.eof = true
				break
			}
			if err != nil {
				b.err = fmt.Errorf("read: %w", err)
				break
			}
			b.rows = append(b.rows, r)
		}
		b.lines = lr.lines()
		select {
		case out <- b:
		case <-ctx.Done():
			return
		}
		if b.eof || b.err != nil {
			return
		}
	}
}

// storeBatch stores a batch's good rows in one call and counts them in
// rep, with its bad rows; on failure it returns the batch's first line.
func storeBatch(ctx context.Context, many sigap.BatchApplications, b batch, opts []sigap.UpsertOption, rep *Report) (int, error) {
	good := make([]sigap.Application, 0, len(b.rows))
	for _, r := range b.rows {
		if r.err == nil {
			good = append(good, r.a)
		}
	}
	var outcomes []sigap.UpsertOutcome
	if len(good) > 0 {
		var err error
		if outcomes, err = many.UpsertApplications(ctx, good, opts...); err != nil {
			first := 0
			for _, r := range b.rows {
				if r.err == nil {
					first = r.line
					break
				}
				rep.Errors = append(rep.Errors, LineError{r.line, r.err})
			}
			return first, err
		}
		if len(outcomes) != len(good) {
			return b.rows[0].line, fmt.Errorf("the store answered %d rows of %d", len(outcomes), len(good))
		}
	}
	k := 0
	for _, r := range b.rows {
		if r.err != nil {
			rep.Errors = append(rep.Errors, LineError{r.line, r.err})
			continue
		}
		o := outcomes[k]
		k++
		if err := rep.count(r.line, o.Result, o.Err); err != nil {
			return r.line, err
		}
	}
	return 0, nil
}

// storeRows stores a batch's good rows one by one.
func storeRows(ctx context.Context, apps sigap.Applications, b batch, opts []sigap.UpsertOption, rep *Report) (int, error) {
	for _, r := range b.rows {
		if r.err != nil {
			rep.Errors = append(rep.Errors, LineError{r.line, r.err})
			continue
		}
		res, err := apps.UpsertApplication(ctx, r.a, opts...)
		if err := rep.count(r.line, res, err); err != nil {
			return r.line, err
		}
	}
	return 0, nil
}

// count counts one stored row, or its refusal as a line error; any other
// error is returned.
func (rep *Report) count(line int, res sigap.UpsertResult, err error) error {
	var (
		move   *sigap.OfficeMoveError
		fields sigap.FieldErrors
	)
	switch {
	case errors.As(err, &move):
		rep.Errors = append(rep.Errors, LineError{line, move})
		return nil
	case errors.As(err, &fields):
		rep.Errors = append(rep.Errors, LineError{line, fields})
		return nil
	case err != nil:
		return err
	}
	switch res {
	case sigap.Inserted:
		rep.Inserted++
	case sigap.Updated:
		rep.Updated++
	default:
		rep.Unchanged++
	}
	return nil
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
