package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/importer"
)

const importUsage = `import applications [--move-office] [--demo] [--format csv|ndjson] FILE

Loads or updates applications from FILE, a CSV with a header row (its columns
and their limits are in the README), or NDJSON: one JSON object a line, with
the CSV's column names as fields (--format ndjson, or a FILE ending in .ndjson
or .jsonl). Each row that is not loaded is printed as FILE:LINE: what is
wrong, the other rows still load, and the exit status is 1 if any row was not
loaded. Importing the same file again changes nothing.

Rows are checked and stored in batches of 5,000, each in one transaction. On a
terminal, standard error shows how far the import has got (lines read, rows a
second); at the end it says how long the import took.

A row that names another office than the one its application is at is an
error: it would move the application and replace its name and birth date.
Give --move-office when the application really moved.

It needs SIGAP_OFFICES, the offices file: rows naming the embedded demo
offices must not enter a production database. --demo, for trying SIGAP out,
imports into the demo offices when SIGAP_OFFICES is not set.`

// importCommand is "sigap import ...": args are what follows "import".
func importCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("import applications", importUsage, stdout, stderr)
	move := fs.Bool("move-office", false, "let a row move its application to the office it names")
	withDemo := fs.Bool("demo", false, "without SIGAP_OFFICES, use the embedded demo offices")
	format := fs.String("format", "", "csv or ndjson (default: ndjson for a FILE ending in .ndjson or .jsonl, else csv)")
	if len(args) == 0 || args[0] != "applications" {
		if len(args) > 0 && isHelp(args[0]) {
			fs.printUsage(stdout)
			return errHelp
		}
		return fs.bad("want: sigap import applications FILE")
	}
	if err := fs.parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fs.bad("want one FILE, got %d arguments", fs.NArg())
	}
	rule := officesRequired
	if *withDemo {
		rule = officesOrDemo
	}
	var f importer.Format
	switch *format {
	case "csv":
		f = importer.CSV
	case "ndjson":
		f = importer.NDJSON
	case "":
		if ext := strings.ToLower(filepath.Ext(fs.Arg(0))); ext == ".ndjson" || ext == ".jsonl" {
			f = importer.NDJSON
		}
	default:
		return fs.bad("--format %q: want csv or ndjson", *format)
	}
	return importApplications(ctx, fs.Arg(0), f, *move, rule, getenv, stdout, stderr)
}

func importApplications(ctx context.Context, path string, format importer.Format, move bool, rule officesRule, getenv func(string) string, stdout, stderr io.Writer) error {
	// The file first: a wrong path creates no database.
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	a, err := openWith(ctx, getenv, stderr, true, rule)
	if err != nil {
		return err
	}
	defer a.store.Close()
	known := func(code string) bool { _, ok := a.offices.ByCode(code); return ok }
	start := time.Now()
	var progress func(importer.Progress)
	if isTerminal(stderr) {
		progress = progressLine(stderr, path, start)
	}
	rep, err := importer.Import(ctx, f, a.store, importer.Options{KnownOffice: known, MoveOffice: move, Format: format, Progress: progress})
	took := time.Since(start)
	if progress != nil {
		fmt.Fprint(stderr, "\r\033[K")
	}
	fmt.Fprintf(stderr, "%s: %d rows in %s: %.0f rows a second\n", path, rep.Rows(), took.Round(time.Millisecond), float64(rep.Rows())/took.Seconds())
	moves := 0
	for _, e := range rep.Errors {
		fmt.Fprintf(stdout, "%s:%d: %v\n", path, e.Line, e.Err)
		var me *sigap.OfficeMoveError
		if errors.As(e.Err, &me) {
			moves++
		}
	}
	fmt.Fprintf(stdout, "%s: %d rows in %d lines: %d new, %d updated, %d unchanged, %d not loaded\n",
		path, rep.Rows(), rep.Lines, rep.Inserted, rep.Updated, rep.Unchanged, len(rep.Errors))
	if moves > 0 {
		fmt.Fprintf(stdout, "%s: %d rows name another office than their application's; if those applications moved, import them again with --move-office\n",
			path, moves)
	}
	if err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	if len(rep.Errors) > 0 {
		return fmt.Errorf("import %s: %d rows not loaded (see above)", path, len(rep.Errors))
	}
	return nil
}

// isTerminal says whether w is a terminal (a character device), where a
// progress line that rewrites itself can be shown.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressLine shows an import's progress on one line of a terminal, at
// most a few times a second.
func progressLine(w io.Writer, path string, start time.Time) func(importer.Progress) {
	var last time.Time
	return func(p importer.Progress) {
		now := time.Now()
		if now.Sub(last) < 250*time.Millisecond {
			return
		}
		last = now
		el := now.Sub(start)
		fmt.Fprintf(w, "\r\033[K%s: line %d, %d rows (%d not loaded), %s, %.0f rows a second",
			path, p.Lines, p.Rows, p.Errors, el.Round(time.Second), float64(p.Rows)/el.Seconds())
	}
}
