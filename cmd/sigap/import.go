package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/importer"
)

const importUsage = `import applications [--move-office] [--demo] FILE

Loads or updates applications from FILE, a CSV with a header row (its columns
and their limits are in the README). Each row that is not loaded is printed as
FILE:LINE: what is wrong, the other rows still load, and the exit status is 1
if any row was not loaded. Importing the same file again changes nothing.

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
	return importApplications(ctx, fs.Arg(0), *move, rule, getenv, stdout, stderr)
}

func importApplications(ctx context.Context, path string, move bool, rule officesRule, getenv func(string) string, stdout, stderr io.Writer) error {
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
	rep, err := importer.Import(ctx, f, a.store, importer.Options{KnownOffice: known, MoveOffice: move})
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
