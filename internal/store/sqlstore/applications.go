package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sigap-id/sigap"
)

const applicationColumns = `number, office, applicant_name, birth_date, passport_type, stage, stage_at,
	billing_code, billing_expires_at, note`

func scanApplication(row interface{ Scan(...any) error }) (sigap.Application, error) {
	var (
		a                   sigap.Application
		birth               string
		stageAt, billingExp int64
	)
	err := row.Scan(&a.Number, &a.Office, &a.ApplicantName, &birth, &a.PassportType, &a.Stage, &stageAt,
		&a.BillingCode, &billingExp, &a.Note)
	if err != nil {
		return a, err
	}
	a.BirthDate, err = time.Parse(dateLayout, birth)
	if err != nil {
		return a, fmt.Errorf("stored birth date of %s: %w", a.Number, err)
	}
	a.StageAt, a.BillingExpiresAt = fromMS(stageAt), fromMS(billingExp)
	return a, nil
}

// FindApplication implements sigap.Applications.
func (s *Store) FindApplication(ctx context.Context, office, number string) (sigap.Application, error) {
	row := s.queryRow(ctx, s.db, `SELECT `+applicationColumns+` FROM applications WHERE number = $1 AND office = $2`, number, office)
	a, err := scanApplication(row)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("application at %s: %w", office, sigap.ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("find application: %w", err)
	}
	return a, nil
}

// UpsertApplication implements sigap.Applications.
func (s *Store) UpsertApplication(ctx context.Context, a sigap.Application, opts ...sigap.UpsertOption) (sigap.UpsertResult, error) {
	if err := a.Validate(); err != nil {
		return sigap.Unchanged, fmt.Errorf("upsert application: %w", err)
	}
	result, err := inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (sigap.UpsertResult, error) {
		result := sigap.Unchanged
		row := tx.QueryRowContext(ctx, `SELECT `+applicationColumns+` FROM applications WHERE number = $1`, a.Number)
		old, err := scanApplication(row)
		if err == nil {
			if err := sigap.CheckOfficeMove(old, a, opts); err != nil {
				return sigap.Unchanged, err
			}
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			result = sigap.Inserted
			_, err = tx.ExecContext(ctx, `INSERT INTO applications (`+applicationColumns+`, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
				a.Number, a.Office, a.ApplicantName, a.BirthDate.Format(dateLayout), a.PassportType, a.Stage,
				ms(a.StageAt), a.BillingCode, ms(a.BillingExpiresAt), a.Note, s.now().UnixMilli())
			if err != nil {
				return sigap.Unchanged, fmt.Errorf("insert application: %w", err)
			}
		case err != nil:
			return sigap.Unchanged, fmt.Errorf("read application: %w", err)
		case a.StageAt.Before(old.StageAt):
			// An older row only fills in history below.
		case !sameApplication(old, a):
			result = sigap.Updated
			// The office and stage_at read above are in the WHERE, so that a
			// concurrent writer (PostgreSQL) cannot slip a move or a newer
			// stage in between the checks and this write.
			res, err := tx.ExecContext(ctx, `UPDATE applications SET office = $1, applicant_name = $2, birth_date = $3,
				passport_type = $4, stage = $5, stage_at = $6, billing_code = $7, billing_expires_at = $8, note = $9, updated_at = $10
				WHERE number = $11 AND office = $12 AND stage_at = $13`,
				a.Office, a.ApplicantName, a.BirthDate.Format(dateLayout), a.PassportType, a.Stage, ms(a.StageAt),
				a.BillingCode, ms(a.BillingExpiresAt), a.Note, s.now().UnixMilli(), a.Number, old.Office, ms(old.StageAt))
			if err != nil {
				return sigap.Unchanged, fmt.Errorf("update application: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return sigap.Unchanged, fmt.Errorf("update application: %w", err)
			} else if n != 1 {
				return sigap.Unchanged, fmt.Errorf("update application: %w: changed by another writer meanwhile", sigap.ErrUnavailable)
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO application_stages (number, stage, stage_at, note) VALUES ($1, $2, $3, $4)
			ON CONFLICT (number, stage_at, stage) DO NOTHING`, a.Number, a.Stage, ms(a.StageAt), a.Note)
		if err != nil {
			return sigap.Unchanged, fmt.Errorf("record stage: %w", err)
		}
		return result, nil
	})
	if err != nil {
		return sigap.Unchanged, fmt.Errorf("upsert application %s: %w", a.Number, err)
	}
	return result, nil
}

func sameApplication(x, y sigap.Application) bool {
	return x.Number == y.Number && x.Office == y.Office && x.ApplicantName == y.ApplicantName &&
		x.BirthDate.Format(dateLayout) == y.BirthDate.Format(dateLayout) && x.PassportType == y.PassportType &&
		x.Stage == y.Stage && ms(x.StageAt) == ms(y.StageAt) && x.BillingCode == y.BillingCode &&
		ms(x.BillingExpiresAt) == ms(y.BillingExpiresAt) && x.Note == y.Note
}

// ApplicationHistory implements sigap.Applications.
func (s *Store) ApplicationHistory(ctx context.Context, number string) ([]sigap.StageChange, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT stage, stage_at, note FROM application_stages
		WHERE number = $1 ORDER BY stage_at, stage`, number)
	if err != nil {
		return nil, fmt.Errorf("application history: %w", err)
	}
	defer rows.Close()
	var out []sigap.StageChange
	for rows.Next() {
		var (
			c  sigap.StageChange
			at int64
		)
		if err := rows.Scan(&c.Stage, &at, &c.Note); err != nil {
			return nil, fmt.Errorf("application history: %w", err)
		}
		c.At = fromMS(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// CountApplications implements sigap.Applications; an empty office counts all.
func (s *Store) CountApplications(ctx context.Context, office string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM applications WHERE $1 = '' OR office = $2`, office, office).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count applications: %w", err)
	}
	return n, nil
}

// FindApplicationAnywhere implements sigap.ApplicationDirectory.
func (s *Store) FindApplicationAnywhere(ctx context.Context, number string) (sigap.Application, error) {
	a, err := scanApplication(s.queryRow(ctx, s.db, `SELECT `+applicationColumns+` FROM applications WHERE number = $1`, number))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("application: %w", sigap.ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("find application: %w", err)
	}
	return a, nil
}
