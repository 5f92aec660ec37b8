package importer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/importer"
)

// TestNDJSON: one application a line, fields named as the CSV's columns;
// bad lines are reported by their line in the file and the rest load.
func TestNDJSON(t *testing.T) {
	ctx := context.Background()
	ndjson := "\uFEFF" +
		`{"application_number":"1060000000000001","office":"jakpus","applicant_name":"Budi Santoso","birth_date":"1990-08-17","passport_type":"electronic","stage":"awaiting_payment","stage_at":"2026-11-20T09:00:00+07:00","billing_code":"820251120000001","billing_expires_at":"2026-11-20T11:00:00+07:00","extra":{"x":[1,2]}}` + "\n" +
		"\n" + // 2: blank, skipped
		`{"Office":"mataram","application_number":3100000000000002,"applicant_name":"Siti Rahayu","birth_date":"1985-01-31","passport_type":"ordinary","stage":"on_hold","stage_at":"2026-11-19T10:00:00+08:00","note":"Bawa akta\nkelahiran asli","billing_code":null}` + "\r\n" +
		`{"application_number":"1060000000000003","office":"jakpus"` + "\n" + // 4: cut short
		`["not","an","object"]` + "\n" + // 5
		`{"application_number":"1060000000000004","office":"jakpus","stage":"registered"}` + "\n" + // 6
		`{"application_number":"1060000000000005","office":"jakpus","applicant_name":true,"birth_date":"1990-08-17","passport_type":"electronic","stage":"registered","stage_at":"2026-11-20T09:00:00+07:00"}` + "\n" + // 7
		`{"application_number":"1060000000000006","office":"jakpus","applicant_name":"X","birth_date":"17-08-1990","passport_type":"electronic","stage":"registered","stage_at":"2026-11-20T09:00:00+07:00"}` + "\n" + // 8
		`null` + "\n" + // 9
		`{"application_number":"1060000000000007","office":"jakpus","applicant_name":"Y","birth_date":"1990-08-17","passport_type":"electronic","stage":"registered","stage_at":"2026-11-20T09:00:00+07:00"} x` + "\n" + // 10
		`{"note":"` + strings.Repeat("x", importer.MaxRecordBytes) + `"}` + "\n" + // 11
		`{"application_number":"1060000000000008","office":"jakpus","applicant_name":"Z","birth_date":"1990-08-17","passport_type":"ordinary","stage":"registered","stage_at":"2026-11-20T09:00:00+07:00"}` // 12, no newline
	nd := importer.Options{KnownOffice: known, Format: importer.NDJSON}
	s := open(t)
	rep, err := importer.Import(ctx, strings.NewReader(ndjson), s, nd)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`line 4: not valid JSON: unexpected end of JSON input`,
		`line 5: not a JSON object`,
		`line 6: missing field(s) applicant_name, birth_date, passport_type, stage_at`,
		`line 7: applicant_name is not a string`,
		`line 8: birth_date "17-08-1990": want YYYY-MM-DD`,
		`line 9: not a JSON object`,
		`line 10: not valid JSON: invalid character 'x' after top-level value`,
		`line 11: the line is longer than 64 KiB; skipped`,
	}
	if diff := cmp.Diff(want, errorLines(rep)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if rep.Inserted != 3 || rep.Lines != 12 {
		t.Errorf("report %+v: want 3 inserted, 12 lines", rep)
	}
	a, err := s.FindApplication(ctx, "mataram", "3100000000000002")
	if err != nil || a.Note != "Bawa akta\nkelahiran asli" || a.Stage != sigap.StageOnHold || a.BillingCode != "" {
		t.Errorf("line 3: %+v, %v", a, err)
	}
	b, err := s.FindApplication(ctx, "jakpus", "1060000000000001")
	if err != nil || b.BillingCode != "820251120000001" {
		t.Errorf("line 1: %+v, %v", b, err)
	}

	// The same file again changes nothing; the same rows as CSV neither.
	rep, err = importer.Import(ctx, strings.NewReader(ndjson), s, nd)
	if err != nil || rep.Unchanged != 3 || rep.Inserted+rep.Updated != 0 {
		t.Errorf("again: %+v, %v", rep, err)
	}
	csv := "application_number,office,applicant_name,birth_date,passport_type,stage,stage_at,billing_code,billing_expires_at\n" +
		"1060000000000001,jakpus,Budi Santoso,1990-08-17,electronic,awaiting_payment,2026-11-20T09:00:00+07:00,820251120000001,2026-11-20T11:00:00+07:00\n"
	rep, err = importer.Import(ctx, strings.NewReader(csv), s, opts)
	if err != nil || rep.Unchanged != 1 {
		t.Errorf("as CSV: %+v, %v", rep, err)
	}
}

// TestNDJSONEmpty: an NDJSON file needs no header; an empty one loads
// nothing and is no error.
func TestNDJSONEmpty(t *testing.T) {
	rep, err := importer.Import(context.Background(), strings.NewReader("\n \n"), open(t), importer.Options{KnownOffice: known, Format: importer.NDJSON})
	if err != nil || rep.Rows() != 0 || rep.Lines != 2 {
		t.Errorf("%+v, %v", rep, err)
	}
}
