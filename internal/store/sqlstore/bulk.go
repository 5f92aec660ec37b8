package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"strings"

	"github.com/sigap-id/sigap"
)

// Bulk loading sizes: rows per INSERT statement (bulkColumns parameters
// each, far under every engine's limit) and rows per transaction.
const (
	bulkRowsPerStatement = 200
	bulkRowsPerTx        = 50_000
	bulkColumns          = 11 // applicationColumns and updated_at
)

// BulkInsertApplications stores applications many rows to a statement and
// many statements to a transaction, and leaves numbers already stored alone.
// It is for tools that seed large data sets (the load tool's millions of
// applications), where the importer's one transaction per row is too slow:
// unlike UpsertApplication it records no stage history and compares nothing.
// progress, if set, is called after each transaction with the rows so far.
func (s *Store) BulkInsertApplications(ctx context.Context, apps iter.Seq[sigap.Application], progress func(int64)) (int64, error) {
	perStatement := s.rowsPerSeqStatement(bulkColumns, bulkRowsPerStatement)
	var (
		total int64
		batch = make([]sigap.Application, 0, perStatement)
		tx    *sql.Tx
		full  *sql.Stmt
		inTx  int
	)
	insert := func(rows []sigap.Application) error {
		var stmt *sql.Stmt
		if len(rows) == perStatement && full != nil {
			stmt = full
		} else {
			st, err := tx.PrepareContext(ctx, s.bulkInsertQuery(len(rows)))
			if err != nil {
				return err
			}
			if len(rows) == perStatement {
				full = st
			} else {
				defer st.Close()
			}
			stmt = st
		}
		now := s.now().UnixMilli()
		args := make([]any, 0, len(rows)*bulkColumns)
		for _, a := range rows {
			args = append(args, a.Number, a.Office, a.ApplicantName, a.BirthDate.Format(dateLayout), a.PassportType,
				a.Stage, ms(a.StageAt), a.BillingCode, ms(a.BillingExpiresAt), a.Note, now)
		}
		_, err := stmt.ExecContext(ctx, args...)
		return err
	}
	commit := func() error {
		if tx == nil {
			return nil
		}
		if full != nil {
			full.Close()
			full = nil
		}
		err := tx.Commit()
		tx, inTx = nil, 0
		if err == nil && progress != nil {
			progress(total)
		}
		return err
	}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if tx == nil {
			var err error
			if tx, err = s.db.BeginTx(ctx, nil); err != nil {
				return err
			}
		}
		if err := insert(batch); err != nil {
			return err
		}
		total += int64(len(batch))
		inTx += len(batch)
		batch = batch[:0]
		if inTx >= bulkRowsPerTx {
			return commit()
		}
		return nil
	}
	fail := func(err error) (int64, error) {
		if tx != nil {
			_ = tx.Rollback()
		}
		return total, fmt.Errorf("bulk insert applications: %w", err)
	}
	for a := range apps {
		batch = append(batch, a)
		if len(batch) == perStatement {
			if err := flush(); err != nil {
				return fail(err)
			}
		}
	}
	if err := flush(); err != nil {
		return fail(err)
	}
	if err := commit(); err != nil {
		return fail(err)
	}
	return total, nil
}

func (s *Store) bulkInsertQuery(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO applications (` + applicationColumns + `, updated_at) VALUES `)
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + s.seqParams(i*bulkColumns+1, bulkColumns) + ")")
	}
	b.WriteString(" ON CONFLICT (number) DO NOTHING")
	return b.String()
}
