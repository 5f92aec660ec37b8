package importer_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/importer"
	"github.com/sigap-id/sigap/internal/store/sqlite"
)

func open(t *testing.T) sigap.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sigap.db"), sqlite.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func known(code string) bool { return code == "jakpus" || code == "mataram" }

var opts = importer.Options{KnownOffice: known}

// Columns in another order than the contract's, plus one it does not know.
const good = "\uFEFFoffice,application_number,applicant_name,birth_date,passport_type,stage,stage_at,billing_code,billing_expires_at,note,extra\n" +
	"jakpus,1060000000000001,Budi Santoso,1990-08-17,electronic,awaiting_payment,2026-11-20T09:00:00+07:00,820251120000001,2026-11-20T11:00:00+07:00,,x\n" +
	"mataram,3100000000000002,Siti Rahayu,1985-01-31,ordinary,on_hold,2026-11-19T10:00:00+08:00,,,Bawa akta kelahiran asli,y\n"

func TestImportIsIdempotentAndKeepsHistory(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	rep, err := importer.Import(ctx, strings.NewReader(good), s, opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(importer.Report{Inserted: 2, Lines: 3}, rep); diff != "" {
		t.Errorf("first import (-want +got):\n%s", diff)
	}
	rep, err = importer.Import(ctx, strings.NewReader(good), s, opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(importer.Report{Unchanged: 2, Lines: 3}, rep); diff != "" {
		t.Errorf("same file again (-want +got):\n%s", diff)
	}
	got, err := s.FindApplication(ctx, "jakpus", "1060000000000001")
	if err != nil {
		t.Fatal(err)
	}
	want := sigap.Application{
		Number: "1060000000000001", Office: "jakpus", ApplicantName: "Budi Santoso",
		BirthDate: time.Date(1990, 8, 17, 0, 0, 0, 0, time.UTC), PassportType: sigap.PassportElectronic,
		Stage: sigap.StageAwaitingPayment, StageAt: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC),
		BillingCode: "820251120000001", BillingExpiresAt: time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}

	moved := "application_number,office,applicant_name,birth_date,passport_type,stage,stage_at\n" +
		"1060000000000001,jakpus,Budi Santoso,1990-08-17,electronic,paid,2026-11-20T10:00:00+07:00\n"
	rep, err = importer.Import(ctx, strings.NewReader(moved), s, opts)
	if err != nil || rep.Updated != 1 {
		t.Fatalf("newer stage: %+v, %v; want 1 updated", rep, err)
	}
	hist, err := s.ApplicationHistory(ctx, "1060000000000001")
	if err != nil {
		t.Fatal(err)
	}
	var stages []sigap.Stage
	for _, h := range hist {
		stages = append(stages, h.Stage)
	}
	if diff := cmp.Diff([]sigap.Stage{sigap.StageAwaitingPayment, sigap.StagePaid}, stages); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
}

func TestImportReportsBadRowsAndLoadsTheRest(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	csv := strings.Join([]string{
		"application_number,office,applicant_name,birth_date,passport_type,stage,stage_at,billing_code",
		"1060000000000001,jakpus,Budi Santoso,1990-08-17,electronic,registered,2026-11-20T09:00:00+07:00,",         // 2 good
		"123,jakpus,Short Number,1990-08-17,electronic,registered,2026-11-20T09:00:00+07:00,",                      // 3
		"1060000000000003,bandung,Wrong Office,1990-08-17,electronic,registered,2026-11-20T09:00:00+07:00,",        // 4
		"1060000000000004,jakpus,Bad Date,17-08-1990,electronic,registered,2026-11-20T09:00:00+07:00,",             // 5
		"1060000000000005,jakpus,Bad Stage,1990-08-17,electronic,done,2026-11-20T09:00:00+07:00,",                  // 6
		"1060000000000006,jakpus,Bad Time,1990-08-17,electronic,registered,20 Nov 2026,",                           // 7
		"1060000000000007,jakpus,Bad Billing,1990-08-17,electronic,awaiting_payment,2026-11-20T09:00:00+07:00,123", // 8
		"1060000000000008,jakpus,,1990-08-17,paper,registered,2026-11-20T09:00:00+07:00,",                          // 9: two problems
		"",
		"1060000000000010,jakpus,\"Unclosed quote,1990-08-17,electronic,registered,2026-11-20T09:00:00+07:00,", // 11
	}, "\n") + "\n"
	rep, err := importer.Import(ctx, strings.NewReader(csv), s, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Inserted != 1 {
		t.Errorf("inserted %d, want 1", rep.Inserted)
	}
	var got []string
	for _, e := range rep.Errors {
		got = append(got, e.Error())
	}
	want := []string{
		`line 3: application_number "123": want 16 digits`,
		`line 4: office "bandung": no such office in the offices file`,
		`line 5: birth_date "17-08-1990": want YYYY-MM-DD`,
		`line 6: stage "done": not a stage code`,
		`line 7: stage_at "20 Nov 2026": want an RFC 3339 time such as 2026-01-02T09:00:00+07:00`,
		`line 8: billing_code "123": want 15 digits`,
		`line 9: applicant_name is empty; passport_type "paper": want ordinary or electronic`,
		`line 11: unterminated quote: the " opened on this line is never closed`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if _, err := s.FindApplication(ctx, "jakpus", "1060000000000001"); err != nil {
		t.Errorf("the good row did not load: %v", err)
	}
}

func TestImportRefusesAFileWithoutTheRequiredColumns(t *testing.T) {
	_, err := importer.Import(context.Background(), strings.NewReader("application_number,office\n1,jakpus\n"), open(t), opts)
	if err == nil || !strings.Contains(err.Error(), "missing column(s) applicant_name, birth_date, passport_type, stage, stage_at") {
		t.Fatalf("err = %v", err)
	}
	_, err = importer.Import(context.Background(), strings.NewReader(""), open(t), opts)
	if err == nil {
		t.Fatal("empty file: no error")
	}
}

// batchStore counts the batches it is given and refuses row-by-row upserts.
type batchStore struct {
	sigap.Store
	t       *testing.T
	batches []int
	failAt  int // the batch (from 1) that fails, 0 for none
}

func (b *batchStore) UpsertApplication(context.Context, sigap.Application, ...sigap.UpsertOption) (sigap.UpsertResult, error) {
	b.t.Error("row-by-row upsert on a store that takes batches")
	return sigap.Unchanged, nil
}

func (b *batchStore) UpsertApplications(ctx context.Context, apps []sigap.Application, opts ...sigap.UpsertOption) ([]sigap.UpsertOutcome, error) {
	b.batches = append(b.batches, len(apps))
	if len(b.batches) == b.failAt {
		return nil, fmt.Errorf("upsert applications: %w: database is down", sigap.ErrUnavailable)
	}
	return b.Store.(sigap.BatchApplications).UpsertApplications(ctx, apps, opts...)
}

// TestImportInBatches: a store that takes batches gets the good rows a
// batch at a time, bad rows are reported in line order among them, and
// progress is told after each batch.
func TestImportInBatches(t *testing.T) {
	var b strings.Builder
	b.WriteString(head)
	for i := 1; i <= 25; i++ {
		if i%10 == 0 {
			b.WriteString("bad\n") // lines 11, 22
		}
		b.WriteString(row(i, ""))
	}
	bs := &batchStore{Store: open(t), t: t}
	var progress []importer.Progress
	o := opts
	o.BatchSize = 10
	o.Progress = func(p importer.Progress) { progress = append(progress, p) }
	rep, err := importer.Import(context.Background(), strings.NewReader(b.String()), bs, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Inserted != 25 || rep.Lines != 28 {
		t.Errorf("report %+v", rep)
	}
	if want := []int{9, 10, 6}; !cmp.Equal(bs.batches, want) {
		t.Errorf("batches of %v, want %v (10 rows read each, bad ones left out)", bs.batches, want)
	}
	wantErr := []string{`line 11: application_number "bad": want 16 digits; office "": no such office in the offices file; applicant_name is empty; birth_date "": want YYYY-MM-DD; passport_type "": want ordinary or electronic; stage "": not a stage code; stage_at "": want an RFC 3339 time such as 2026-01-02T09:00:00+07:00`}
	if got := errorLines(rep); len(got) != 2 || got[0] != wantErr[0] || !strings.HasPrefix(got[1], "line 22: ") {
		t.Errorf("errors %q", got)
	}
	wantProgress := []importer.Progress{{Lines: 11, Rows: 10, Loaded: 9, Errors: 1}, {Lines: 21, Rows: 20, Loaded: 19, Errors: 1}, {Lines: 28, Rows: 27, Loaded: 25, Errors: 2}}
	if diff := cmp.Diff(wantProgress, progress); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}

	// A batch that fails stops the import: what came before it is loaded.
	bs = &batchStore{Store: open(t), t: t, failAt: 2}
	rep, err = importer.Import(context.Background(), strings.NewReader(b.String()), bs, o)
	want := "line 12: upsert applications: unavailable: database is down: the file was read up to line 12; 9 rows loaded, the rest not read"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	if rep.Inserted != 9 || len(rep.Errors) != 1 {
		t.Errorf("report %+v", rep)
	}
}

// TestCancelStopsTheImport: a cancelled import stops with the context's
// error and says how far it got.
func TestCancelStopsTheImport(t *testing.T) {
	var b strings.Builder
	b.WriteString(head)
	for i := 1; i <= 50; i++ {
		b.WriteString(row(i, ""))
	}
	ctx, cancel := context.WithCancel(context.Background())
	o := opts
	o.BatchSize = 10
	o.Progress = func(p importer.Progress) {
		if p.Rows >= 20 {
			cancel()
		}
	}
	rep, err := importer.Import(ctx, strings.NewReader(b.String()), open(t), o)
	if !errors.Is(err, context.Canceled) || rep.Inserted < 20 || rep.Inserted >= 50 {
		t.Errorf("report %+v, err %v; want context.Canceled after 20 rows", rep, err)
	}
}
