// Package demo holds what `sigap serve --demo` shows a newcomer: two demo
// offices and a handful of applications, one in every stage.
package demo

import (
	_ "embed"
	"time"

	"github.com/sigap-id/sigap"
)

// OfficesYAML is the embedded demo offices file.
//
//go:embed offices.yaml
var OfficesYAML []byte

// demoApp is one demo application; serve --demo prints the birth dates so
// that a tester can pass the birth-date check.
type demoApp struct {
	number, office, name, birth string
	typ                         sigap.PassportType
	stage                       sigap.Stage
	ago                         time.Duration
	billing                     bool
	note                        string
}

var apps = []demoApp{
	{"1060202611000001", "jakpus", "Budi Santoso", "1990-08-17", sigap.PassportElectronic, sigap.StageRegistered, 26 * time.Hour, false, ""},
	{"1060202611000002", "jakpus", "Siti Rahayu", "1985-01-31", sigap.PassportElectronic, sigap.StageAwaitingPayment, 40 * time.Minute, true, ""},
	{"1060202611000003", "jakpus", "Agus Wijaya", "1978-03-05", sigap.PassportElectronic, sigap.StagePaid, 50 * time.Hour, false, ""},
	{"1060202611000004", "jakpus", "Dewi Lestari", "1995-12-24", sigap.PassportElectronic, sigap.StageInterviewed, 20 * time.Hour, false, ""},
	{"1060202611000005", "jakpus", "Rudi Hartono", "1969-07-09", sigap.PassportElectronic, sigap.StageApproved, 8 * time.Hour, false, ""},
	{"1060202611000006", "jakpus", "Nur Aini", "2001-02-14", sigap.PassportElectronic, sigap.StagePrinting, 3 * time.Hour, false, ""},
	{"1060202611000007", "jakpus", "Putri Anjani", "1999-09-09", sigap.PassportElectronic, sigap.StageReady, 30 * time.Hour, false, ""},
	{"1060202611000008", "jakpus", "Hendra Gunawan", "1980-11-30", sigap.PassportElectronic, sigap.StageCollected, 72 * time.Hour, false, ""},
	{"1060202611000009", "jakpus", "Wahyu Pratama", "1992-04-01", sigap.PassportElectronic, sigap.StageShipped, 48 * time.Hour, false, ""},
	{"1060202611000010", "jakpus", "Rina Marlina", "1988-06-15", sigap.PassportElectronic, sigap.StageOnHold, 5 * time.Hour, false,
		"Mohon bawa akta kelahiran asli ke loket informasi."},
	{"1060202611000011", "jakpus", "Joko Susilo", "1975-10-10", sigap.PassportElectronic, sigap.StageRejected, 96 * time.Hour, false, ""},
	{"1060202611000012", "jakpus", "Maya Sari", "1993-05-20", sigap.PassportElectronic, sigap.StageCancelled, 120 * time.Hour, false, ""},
	{"3100202611000001", "mataram", "Lalu Ahmad", "1991-01-01", sigap.PassportElectronic, sigap.StagePrinting, 6 * time.Hour, false, ""},
	{"3100202611000002", "mataram", "Baiq Nurul", "1997-03-21", sigap.PassportElectronic, sigap.StageReady, 50 * time.Hour, false, ""},
}

// Applications returns the demo applications, their stages dated relative
// to now so that deadlines in the answers are current.
func Applications(now time.Time) []sigap.Application {
	out := make([]sigap.Application, 0, len(apps))
	for _, d := range apps {
		birth, err := time.Parse("2006-01-02", d.birth)
		if err != nil {
			panic(err) // the table above is fixed
		}
		a := sigap.Application{
			Number: d.number, Office: d.office, ApplicantName: d.name, BirthDate: birth, PassportType: d.typ,
			Stage: d.stage, StageAt: now.Add(-d.ago).Truncate(time.Minute).UTC(), Note: d.note,
		}
		if d.billing {
			a.BillingCode = "8202" + d.number[5:16]
			a.BillingExpiresAt = a.StageAt.Add(2 * time.Hour)
		}
		out = append(out, a)
	}
	return out
}
