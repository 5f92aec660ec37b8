package main

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"strings"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/store/postgres"
	"github.com/sigap-id/sigap/internal/store/sqlite"
	"github.com/sigap-id/sigap/internal/store/sqlstore"
)

var stages = []sigap.Stage{sigap.StageRegistered, sigap.StageAwaitingPayment, sigap.StagePaid, sigap.StageInterviewed,
	sigap.StageApproved, sigap.StagePrinting, sigap.StageReady, sigap.StageCollected, sigap.StageShipped,
	sigap.StageOnHold, sigap.StageRejected, sigap.StageCancelled}

// seedEpoch is the newest stage time of the generated applications: the
// start of today, so that none is old enough for the retention job
// (finished applications go a year after their last stage) to delete it
// while the load tool asks about it.
var seedEpoch = time.Now().UTC().Truncate(24 * time.Hour)

// generatedApp is an office's i-th generated application: its number is
// the office's prefix (one the demo data does not use, see newFleet) and i,
// and everything else is derived from i too, so the load tool knows any
// application's number and birth date without reading them back.
func generatedApp(office officeInfo, i int) knownApp {
	birth := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (i*7919)%25000)
	return knownApp{number: office.prefix + fmt.Sprintf("%012d", i), birth: birth}
}

func generatedApps(office officeInfo, n int) iter.Seq[sigap.Application] {
	return func(yield func(sigap.Application) bool) {
		for i := range n {
			k := generatedApp(office, i)
			a := sigap.Application{
				Number: k.number, Office: office.code, ApplicantName: fmt.Sprintf("Pemohon Uji %d", i),
				BirthDate: k.birth, PassportType: sigap.PassportElectronic, Stage: stages[i%len(stages)],
				StageAt: seedEpoch.Add(-time.Duration(i%720) * time.Hour),
			}
			if a.Stage == sigap.StageAwaitingPayment {
				a.BillingCode = "8202" + k.number[5:]
				a.BillingExpiresAt = a.StageAt.Add(2 * time.Hour)
			}
			if !yield(a) {
				return
			}
		}
	}
}

// openStore opens (and migrates) the database the way sigap does.
func openStore(ctx context.Context, database string) (*sqlstore.Store, error) {
	log := slog.New(slog.DiscardHandler)
	if path, ok := strings.CutPrefix(database, "sqlite:"); ok {
		return sqlite.Open(ctx, path, sqlite.Options{Migrate: true, Log: log})
	}
	return postgres.Open(ctx, database, postgres.Options{Migrate: true, Log: log, MaxConns: 4})
}

// seed stores each office's generated applications (officeInfo.apps)
// unless they are there already.
func seed(ctx context.Context, database string, offices fleet, logf func(string, ...any)) error {
	st, err := openStore(ctx, database)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, office := range offices {
		n := office.apps
		if n <= 0 {
			continue
		}
		last := generatedApp(office, n-1).number
		if _, err := st.FindApplication(ctx, office.code, last); err == nil {
			logf("%s: %d generated applications already stored", office.code, n)
			continue
		}
		start := time.Now()
		step := max(int64(n)/10, 1)
		next := step
		total, err := st.BulkInsertApplications(ctx, generatedApps(office, n), func(done int64) {
			if done >= next {
				logf("%s: %d of %d applications stored (%.0f a second)", office.code, done, n,
					float64(done)/time.Since(start).Seconds())
				next += step
			}
		})
		if err != nil {
			return err
		}
		logf("%s: %d applications stored in %s", office.code, total, time.Since(start).Round(time.Millisecond))
	}
	// Statistics for the planner; on PostgreSQL also the vacuum that
	// autovacuum would otherwise run over the new rows during the
	// measurement.
	if strings.HasPrefix(database, "postgres") {
		_, err = st.DB().ExecContext(ctx, `VACUUM (ANALYZE) applications`)
	} else {
		_, err = st.DB().ExecContext(ctx, `ANALYZE`)
	}
	return err
}

// freshPostgres creates a database of its own next to the one base names,
// and returns its URL and how to drop it.
func freshPostgres(ctx context.Context, base string) (string, func(), error) {
	u, drop, err := postgres.ScratchDatabase(ctx, base, "sigap_bench")
	if err != nil {
		return "", nil, fmt.Errorf("-database: %w", err)
	}
	return u, func() {
		if err := drop(); err != nil {
			fmt.Printf("sigap-bench: %v\n", err)
		}
	}, nil
}
