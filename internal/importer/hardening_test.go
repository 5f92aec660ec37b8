package importer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/importer"
)

const head = "application_number,office,applicant_name,birth_date,passport_type,stage,stage_at,note\n"

// row is a good row for application i at jakpus, with note.
func row(i int, note string) string {
	return fmt.Sprintf("%016d,jakpus,Pemohon %d,1990-08-17,electronic,registered,2026-11-20T09:00:00+07:00,%s\n", 1060000000000000+i, i, note)
}

func errorLines(rep importer.Report) []string {
	var out []string
	for _, e := range rep.Errors {
		out = append(out, e.Error())
	}
	return out
}

// TestUnterminatedQuoteHidesNothing: a quote opened on line 6 and never
// closed used to swallow the file ("4 rows" for 401); now line 6 is an
// error and every other row loads.
func TestUnterminatedQuoteHidesNothing(t *testing.T) {
	var b strings.Builder
	b.WriteString(head)
	for i := 1; i <= 400; i++ {
		note := ""
		if i == 5 { // line 6
			note = `"Bawa akta kelahiran`
		}
		b.WriteString(row(i, note))
	}
	s := open(t)
	rep, err := importer.Import(context.Background(), strings.NewReader(b.String()), s, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Inserted != 399 || rep.Rows() != 400 || rep.Lines != 401 {
		t.Errorf("report %+v: want 399 inserted of 400 rows, 401 lines read", rep)
	}
	want := []string{`line 6: unterminated quote: the " opened on this line is never closed; the lines after it are read as rows of their own`}
	if diff := cmp.Diff(want, errorLines(rep)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if n, err := s.CountApplications(context.Background(), "jakpus"); err != nil || n != 399 {
		t.Errorf("stored %d, %v; want 399", n, err)
	}
}

// TestQuotedFieldsAcrossLines: a quoted note may hold newlines; a stray
// quote that would join lines into one record is reported on its own and
// the lines it joined load.
func TestQuotedFieldsAcrossLines(t *testing.T) {
	csv := head +
		row(1, `"Bawa akta kelahiran asli,`+"\n"+`dan KTP ""asli"""`) + // lines 2-3: one row
		row(2, `"stray quote`) + // line 4
		row(3, "") + // line 5
		row(4, "") + // line 6
		row(5, `Bawa KTP"`) + // line 7 closes line 4's quote
		row(6, "") // line 8
	s := open(t)
	rep, err := importer.Import(context.Background(), strings.NewReader(csv), s, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`line 4: lines in a quoted field look like rows of their own: the quoted field opened on this line runs to line 7 (a stray or missing "?); lines 5-7 are read as rows of their own`,
		`line 7: bare " in non-quoted-field`,
	}
	if diff := cmp.Diff(want, errorLines(rep)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if rep.Inserted != 4 {
		t.Errorf("inserted %d, want 4 (rows 1, 3, 4, 6)", rep.Inserted)
	}
	a, err := s.FindApplication(context.Background(), "jakpus", "1060000000000001")
	if err != nil || a.Note != "Bawa akta kelahiran asli,\ndan KTP \"asli\"" {
		t.Errorf("multi-line note: %q, %v", a.Note, err)
	}
}

// TestFieldLimits: every field has a limit; a value over it, or holding
// control characters or invalid UTF-8, is a line-numbered error that does
// not print a long value back whole, and the other rows load.
func TestFieldLimits(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	csv := head +
		row(1, long(sigap.MaxNoteRunes)) + // 2: at the limit
		row(2, long(sigap.MaxNoteRunes+1)) + // 3
		row(3, long(60_000)) + // 4
		strings.Replace(row(4, ""), "Pemohon 4", long(sigap.MaxApplicantNameRunes+1), 1) + // 5
		strings.Replace(row(5, ""), "Pemohon 5", "Budi\x00Santoso", 1) + // 6
		row(6, "Bawa\x1bKTP") + // 7
		row(7, "\"Bawa KTP\tasli\"") + // 8: a tab in a note is fine
		strings.Replace(row(8, ""), "jakpus", long(5000), 1) + // 9
		strings.Replace(row(9, ""), "Pemohon 9", "Budi \xff", 1) + // 10
		row(10, "ok") // 11
	s := open(t)
	rep, err := importer.Import(context.Background(), strings.NewReader(csv), s, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`line 3: note has 501 characters; at most 500`,
		`line 4: note has 60000 characters; at most 500`,
		`line 5: applicant_name has 101 characters; at most 100`,
		`line 6: applicant_name holds a control character (U+0000) at character 5`,
		`line 7: note holds a control character (U+001B) at character 5`,
		`line 9: office "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"… (5000 characters): no such office in the offices file`,
		`line 10: applicant_name is not valid UTF-8`,
	}
	if diff := cmp.Diff(want, errorLines(rep)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if rep.Inserted != 3 {
		t.Errorf("inserted %d, want 3", rep.Inserted)
	}
}

// TestLongLine: a line over MaxRecordBytes is an error, read past without
// being held in memory, and the next rows load.
func TestLongLine(t *testing.T) {
	// The note that made one look-up send 246 messages.
	csv := head + row(1, "") + row(2, strings.Repeat("x", 1_000_000)) + row(3, "")
	s := open(t)
	rep, err := importer.Import(context.Background(), strings.NewReader(csv), s, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`line 3: the line is longer than 64 KiB; skipped`}
	if diff := cmp.Diff(want, errorLines(rep)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if rep.Inserted != 2 || rep.Lines != 4 {
		t.Errorf("report %+v; want 2 inserted, 4 lines", rep)
	}

	// A quote left open runs into the cap: that line is the error, and the
	// lines after it are read again.
	var b strings.Builder
	b.WriteString(head + row(1, `"open`))
	for i := 2; b.Len() < importer.MaxRecordBytes+1000; i++ {
		b.WriteString(row(i, ""))
	}
	b.WriteString(row(9999, `close"`))
	rep, err = importer.Import(context.Background(), strings.NewReader(b.String()), open(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	got := errorLines(rep)
	if len(got) != 2 || got[0] != `line 2: unterminated quote: the " opened on this line is not closed within 64 KiB; the lines after it are read as rows of their own` ||
		!strings.HasSuffix(got[1], `: bare " in non-quoted-field`) {
		t.Errorf("errors: %q", got)
	}
	if rep.Inserted != rep.Rows()-2 {
		t.Errorf("report %+v: want every other row inserted", rep)
	}
}

// TestCRLFAndBOM: a file saved by a spreadsheet on Windows.
func TestCRLFAndBOM(t *testing.T) {
	csv := "\uFEFF\"application_number\"," + strings.ReplaceAll(head[len("application_number,"):]+row(1, `"two`+"\n"+`lines"`)+row(2, ""), "\n", "\r\n")
	s := open(t)
	rep, err := importer.Import(context.Background(), strings.NewReader(csv), s, opts)
	if err != nil || rep.Inserted != 2 || len(rep.Errors) != 0 {
		t.Fatalf("report %+v, %v; want 2 inserted", rep, err)
	}
	a, err := s.FindApplication(context.Background(), "jakpus", "1060000000000001")
	if err != nil || a.Note != "two\nlines" {
		t.Errorf("note %q, %v", a.Note, err)
	}
}

func TestHeaderProblems(t *testing.T) {
	for _, tt := range []struct{ csv, want string }{
		{"", "the file is empty: want a header row"},
		{"\n\n", "the file is empty: want a header row"},
		{strings.TrimSuffix(head, "\n") + ",Stage\n", `header (line 1): column "stage" appears twice`},
		{"application_number,\"office\n", `header (line 1): unterminated quote: the " opened on this line is never closed`},
	} {
		_, err := importer.Import(context.Background(), strings.NewReader(tt.csv), open(t), opts)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q: err = %v, want %q", tt.csv, err, tt.want)
		}
	}
}

// TestOfficeMove: a row naming another office than its application's is
// an error unless the import is asked to move it.
func TestOfficeMove(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, err := importer.Import(ctx, strings.NewReader(head+row(1, "")+row(2, "")), s, opts); err != nil {
		t.Fatal(err)
	}
	moved := head + strings.Replace(row(1, ""), "jakpus,Pemohon 1,1990-08-17", "mataram,Siti Rahayu,1985-01-31", 1) + row(3, "")
	rep, err := importer.Import(ctx, strings.NewReader(moved), s, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`line 2: application is at office "jakpus", not "mataram"; it is moved to another office only when that is asked for`}
	if diff := cmp.Diff(want, errorLines(rep)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	var me *sigap.OfficeMoveError
	if len(rep.Errors) != 1 || !errors.As(rep.Errors[0], &me) {
		t.Errorf("the error is not an OfficeMoveError: %#v", rep.Errors)
	}
	if rep.Inserted != 1 {
		t.Errorf("the other row: %+v", rep)
	}
	if a, err := s.FindApplication(ctx, "jakpus", "1060000000000001"); err != nil || a.ApplicantName != "Pemohon 1" {
		t.Errorf("the refused row changed the application: %+v, %v", a, err)
	}

	rep, err = importer.Import(ctx, strings.NewReader(moved), s, importer.Options{KnownOffice: known, MoveOffice: true})
	if err != nil || rep.Updated != 1 || rep.Unchanged != 1 || len(rep.Errors) != 0 {
		t.Fatalf("with MoveOffice: %+v, %v; want 1 updated, 1 unchanged", rep, err)
	}
	if a, err := s.FindApplication(ctx, "mataram", "1060000000000001"); err != nil || a.ApplicantName != "Siti Rahayu" {
		t.Errorf("not moved: %+v, %v", a, err)
	}
}

// failAfter is a store that fails from its nth upsert on.
type failAfter struct {
	sigap.Store
	n int
}

func (f *failAfter) UpsertApplication(ctx context.Context, a sigap.Application, opts ...sigap.UpsertOption) (sigap.UpsertResult, error) {
	if f.n--; f.n < 0 {
		return sigap.Unchanged, fmt.Errorf("upsert application: %w: database is down", sigap.ErrUnavailable)
	}
	return f.Store.UpsertApplication(ctx, a, opts...)
}

// TestStoreFailureSaysHowFarItRead: an import that cannot go on says so,
// with the line and how much was loaded.
func TestStoreFailureSaysHowFarItRead(t *testing.T) {
	csv := head + row(1, "") + "bad\n" + row(2, "") + row(3, "") + row(4, "")
	rep, err := importer.Import(context.Background(), strings.NewReader(csv), &failAfter{open(t), 2}, opts)
	want := "line 5: upsert application: unavailable: database is down: the file was read up to line 5; 2 rows loaded, the rest not read"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if rep.Inserted != 2 || len(rep.Errors) != 1 || rep.Lines != 5 {
		t.Errorf("report %+v", rep)
	}
}

// memApps takes every row.
type memApps struct{ sigap.Applications }

func (memApps) UpsertApplication(context.Context, sigap.Application, ...sigap.UpsertOption) (sigap.UpsertResult, error) {
	return sigap.Inserted, nil
}

// FuzzImport: whatever the file, the import neither panics nor fails (the
// store does not), reads every line, and accounts for every row it loads.
func FuzzImport(f *testing.F) {
	f.Add(head + row(1, "") + row(2, `"a`+"\n"+`b"`))
	f.Add(head + row(1, `"open`) + row(2, ""))
	f.Add(head + row(1, `x"y`) + "\r\n\n" + row(2, `"a""b"`))
	f.Fuzz(func(t *testing.T, csv string) {
		rep, err := importer.Import(context.Background(), strings.NewReader(csv), memApps{}, opts)
		if err != nil {
			return // the header: nothing else fails with this store
		}
		lines := strings.Count(csv, "\n")
		if !strings.HasSuffix(csv, "\n") {
			lines++
		}
		if rep.Lines != lines {
			t.Errorf("read %d lines of %d", rep.Lines, lines)
		}
		if rep.Rows() > lines {
			t.Errorf("%d rows from %d lines", rep.Rows(), lines)
		}
	})
}
