// Package importgen writes made-up application files of any size, in the
// contract's CSV or as NDJSON, for benchmarks of the import: every row is
// valid, numbers are distinct, and the values vary as real ones do (stages,
// billing codes for awaiting_payment, an occasional note with a comma).
package importgen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/sigap-id/sigap"
)

// Header is the CSV's header row as Write writes it.
const Header = "application_number,office,applicant_name,birth_date,passport_type,stage,stage_at,billing_code,billing_expires_at,note"

var stages = []sigap.Stage{sigap.StageRegistered, sigap.StageAwaitingPayment, sigap.StagePaid, sigap.StageInterviewed,
	sigap.StageApproved, sigap.StagePrinting, sigap.StageReady, sigap.StageCollected, sigap.StageShipped,
	sigap.StageOnHold, sigap.StageRejected, sigap.StageCancelled}

var epoch = time.Date(2026, 11, 20, 9, 0, 0, 0, time.FixedZone("WIB", 7*3600))

// Number is the i-th generated application's number.
func Number(i int) string { return strconv.Itoa(1_000_000_000_000_000 + i) }

// App is the i-th generated application, at one of offices.
func App(i int, offices []string) sigap.Application {
	a := sigap.Application{
		Number:        Number(i),
		Office:        offices[i%len(offices)],
		ApplicantName: "Pemohon Uji " + strconv.Itoa(i),
		BirthDate:     time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (i*7919)%25000),
		PassportType:  sigap.PassportElectronic,
		Stage:         stages[i%len(stages)],
		StageAt:       epoch.Add(-time.Duration(i%720) * time.Hour),
	}
	if i%3 == 0 {
		a.PassportType = sigap.PassportOrdinary
	}
	if a.Stage == sigap.StageAwaitingPayment {
		a.BillingCode = fmt.Sprintf("82%013d", i)
		a.BillingExpiresAt = a.StageAt.Add(2 * time.Hour)
	}
	if a.Stage == sigap.StageOnHold {
		a.Note = "Bawa akta kelahiran asli, KTP dan KK"
	}
	return a
}

// Write writes n generated applications at offices to w: CSV with a header
// row, or NDJSON when ndjson is set.
func Write(w io.Writer, n int, offices []string, ndjson bool) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	if !ndjson {
		if _, err := bw.WriteString(Header + "\n"); err != nil {
			return err
		}
	}
	var line []byte
	for i := range n {
		a := App(i, offices)
		f := fields(a)
		line = line[:0]
		if ndjson {
			m := make(map[string]string, len(f))
			for k, name := range sigap.ApplicationFields {
				if f[k] != "" {
					m[name] = f[k]
				}
			}
			b, err := json.Marshal(m)
			if err != nil {
				return err
			}
			line = append(line, b...)
		} else {
			for k, v := range f {
				if k > 0 {
					line = append(line, ',')
				}
				if k == len(f)-1 && v != "" {
					line = strconv.AppendQuote(line, v) // the note holds commas; it has no quote or backslash
				} else {
					line = append(line, v...)
				}
			}
		}
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// fields is a's values in Header's order.
func fields(a sigap.Application) []string {
	exp := ""
	if !a.BillingExpiresAt.IsZero() {
		exp = a.BillingExpiresAt.Format(time.RFC3339)
	}
	return []string{a.Number, a.Office, a.ApplicantName, a.BirthDate.Format("2006-01-02"), string(a.PassportType),
		string(a.Stage), a.StageAt.Format(time.RFC3339), a.BillingCode, exp, a.Note}
}
