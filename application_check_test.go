package sigap_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
)

func goodApplication() sigap.Application {
	return sigap.Application{
		Number: "1060000000000001", Office: "jakpus", ApplicantName: "Budi Santoso",
		BirthDate: time.Date(1990, 8, 17, 0, 0, 0, 0, time.UTC), PassportType: sigap.PassportElectronic,
		Stage: sigap.StageOnHold, StageAt: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC),
		BillingCode: "820251120000001", Note: "Bawa akta kelahiran asli.\nDan KTP.",
	}
}

func TestApplicationValidate(t *testing.T) {
	if err := goodApplication().Validate(); err != nil {
		t.Fatalf("a good application: %v", err)
	}
	tests := []struct {
		name   string
		change func(*sigap.Application)
		want   sigap.FieldErrors
	}{
		{"name at the limit", func(a *sigap.Application) { a.ApplicantName = strings.Repeat("é", sigap.MaxApplicantNameRunes) }, nil},
		{"name too long", func(a *sigap.Application) { a.ApplicantName = strings.Repeat("a", sigap.MaxApplicantNameRunes+1) },
			sigap.FieldErrors{{"applicant_name", "has 101 characters; at most 100"}}},
		{"name blank", func(a *sigap.Application) { a.ApplicantName = "  " }, sigap.FieldErrors{{"applicant_name", "is empty"}}},
		{"NUL in the name, note too long", func(a *sigap.Application) {
			a.ApplicantName, a.Note = "Budi\x00", strings.Repeat("x", 1_000_000)
		}, sigap.FieldErrors{
			{"applicant_name", "holds a control character (U+0000) at character 5"},
			{"note", "has 1000000 characters; at most 500"},
		}},
		{"newline in the name", func(a *sigap.Application) { a.ApplicantName = "Budi\nSantoso" },
			sigap.FieldErrors{{"applicant_name", "holds a control character (U+000A) at character 5"}}},
		{"everything missing", func(a *sigap.Application) { *a = sigap.Application{} }, sigap.FieldErrors{
			{"application_number", "is not 16 digits"}, {"office", "is empty"}, {"applicant_name", "is empty"},
			{"birth_date", "is missing"}, {"passport_type", "is not ordinary or electronic"},
			{"stage", "is not a stage code"}, {"stage_at", "is missing"},
		}},
		{"billing code", func(a *sigap.Application) { a.BillingCode = "82025112000000x" },
			sigap.FieldErrors{{"billing_code", "is not 15 digits"}}},
		{"invalid UTF-8 note", func(a *sigap.Application) { a.Note = "\xff" }, sigap.FieldErrors{{"note", "is not valid UTF-8"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := goodApplication()
			tt.change(&a)
			err := a.Validate()
			var got sigap.FieldErrors
			if err != nil {
				if !errors.Is(err, sigap.ErrInvalid) || !errors.As(err, &got) {
					t.Fatalf("err = %v: want FieldErrors, an ErrInvalid", err)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckOfficeMove(t *testing.T) {
	stored := goodApplication()
	moved := goodApplication()
	moved.Office = "mataram"
	if err := sigap.CheckOfficeMove(stored, goodApplication(), nil); err != nil {
		t.Errorf("same office: %v", err)
	}
	err := sigap.CheckOfficeMove(stored, moved, nil)
	var me *sigap.OfficeMoveError
	if !errors.As(err, &me) || !errors.Is(err, sigap.ErrInvalid) || me.Stored != "jakpus" || me.Given != "mataram" {
		t.Errorf("another office: err = %#v", err)
	}
	if err := sigap.CheckOfficeMove(stored, moved, []sigap.UpsertOption{sigap.MoveOffice}); err != nil {
		t.Errorf("another office, MoveOffice: %v", err)
	}
}
