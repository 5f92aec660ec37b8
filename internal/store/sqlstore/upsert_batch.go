package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/sigap-id/sigap"
)

// Batch upsert sizes: rows per statement of each kind, under every
// engine's limit on parameters (SQLite 32,766, PostgreSQL 65,535). An
// UPDATE picks each row's values with a CASE on the number, whose cost
// grows with its rows squared, so it takes fewer.
const (
	batchReadRows   = 500 // numbers per SELECT … IN
	batchUpdateRows = 100 // batchUpdateColumns parameters each
	batchStageRows  = 500 // 4 parameters each

	batchUpdateColumns = 12 // number, the 9 other columns, and the office and stage_at read
)

// errChangedMeanwhile: another writer changed an application of the batch
// between its read and its write (PostgreSQL, where writers run side by
// side). The batch is rolled back and stored row by row.
var errChangedMeanwhile = fmt.Errorf("%w: changed by another writer meanwhile", sigap.ErrUnavailable)

// errGuessedWrong: a batch written guessing that none of its applications
// was stored found one that was (see batchesNew).
var errGuessedWrong = errors.New("an application of the batch is stored")

// UpsertApplications implements sigap.BatchApplications: one transaction
// that reads the batch's stored applications in a few statements, decides
// each row as UpsertApplication does, in order, and writes the new
// applications, the changed ones and the stage history a few statements
// each. Where the dialect has a BulkWrite (PostgreSQL), the read comes
// before the writing transaction, whose inserts and updates must each
// write all their rows (an UPDATE only where the office and stage_at read
// are still there); when another writer changed an application in
// between, the batch is rolled back and stored row by row.
func (s *Store) UpsertApplications(ctx context.Context, apps []sigap.Application, opts ...sigap.UpsertOption) ([]sigap.UpsertOutcome, error) {
	invalid := make([]error, len(apps))
	valid := make([]int, 0, len(apps))
	for i, a := range apps {
		if err := a.Validate(); err != nil {
			invalid[i] = fmt.Errorf("upsert application: %w", err)
			continue
		}
		valid = append(valid, i)
	}
	var (
		out []sigap.UpsertOutcome
		err error
	)
	switch {
	case len(valid) == 0:
		out = make([]sigap.UpsertOutcome, len(apps))
	case s.dialect.BulkWrite != nil:
		out, err = s.upsertBulk(ctx, apps, valid, opts)
	default:
		// A batch that follows one whose read found nothing stored is
		// written guessing that none of its applications is stored
		// either, without reading them: then each insert writes all its
		// rows. If one writes fewer, the guess was wrong; the transaction
		// is rolled back (the inserts up to that one are all it wasted: on
		// a file of stored applications, the first) and the batch read and
		// decided in another. (Not under a savepoint in one transaction:
		// SQLite keeps a savepoint's journal in memory, and allocating and
		// freeing it cost a third of a million-row import's time.)
		upsert := func(read bool) ([]sigap.UpsertOutcome, error) {
			return inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) ([]sigap.UpsertOutcome, error) {
				p, out, err := s.decideBatch(ctx, tx, apps, valid, opts, read)
				if err != nil {
					return nil, err
				}
				err = s.writeBatch(ctx, tx, p)
				if !read && errors.Is(err, errChangedMeanwhile) {
					err = errGuessedWrong
				}
				return out, err
			})
		}
		guess := s.batchesNew.Load()
		if guess {
			out, err = upsert(false)
		}
		if !guess || errors.Is(err, errGuessedWrong) {
			out, err = upsert(true)
		}
	}
	if errors.Is(err, errChangedMeanwhile) {
		out = make([]sigap.UpsertOutcome, len(apps))
		for _, i := range valid {
			r, err := s.UpsertApplication(ctx, apps[i], opts...)
			switch {
			case errors.Is(err, sigap.ErrInvalid):
				out[i].Err = err
			case err != nil:
				return nil, fmt.Errorf("upsert applications: %w", err)
			}
			out[i].Result = r
		}
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("upsert applications: %w", err)
	}
	for i, e := range invalid {
		if e != nil {
			out[i].Err = e
		}
	}
	return out, nil
}

// batchApp is an application of a batch as the batch goes on.
type batchApp struct {
	cur sigap.Application
	// stored: it was in the table before the batch, with office and
	// stageAt, which its UPDATE requires to be there still.
	stored  bool
	office  string
	stageAt int64
	changed bool // cur is to be written
}

type stageKey struct {
	number, stage string
	at            int64
}

// batchPlan is what a batch writes.
type batchPlan struct {
	inserts, updates []*batchApp
	stages           []any // number, stage, stage_at, note for each stage
	now              int64
}

// upsertBulk reads the batch's applications, decides, and hands the
// writes to the dialect's BulkWrite, which fails them all if another
// writer changed one of the applications meanwhile.
func (s *Store) upsertBulk(ctx context.Context, apps []sigap.Application, valid []int, opts []sigap.UpsertOption) ([]sigap.UpsertOutcome, error) {
	if s.batchesNew.Load() {
		// Guess that none is stored, and skip the read: if one was, an
		// insert writes fewer rows than it has, BulkWrite rolls back, and
		// the batch is read and decided again.
		out, err := s.writeBulk(ctx, apps, valid, opts, false)
		if !errors.Is(err, errChangedMeanwhile) {
			return out, err
		}
	}
	return s.writeBulk(ctx, apps, valid, opts, true)
}

// writeBulk decides a batch, reading its stored applications if read
// (else taking it that none is stored), and writes it with BulkWrite.
func (s *Store) writeBulk(ctx context.Context, apps []sigap.Application, valid []int, opts []sigap.UpsertOption, read bool) ([]sigap.UpsertOutcome, error) {
	p, out, err := s.decideBatch(ctx, s.db, apps, valid, opts, read)
	if err != nil {
		return nil, err
	}
	w := BulkWrite{Inserts: make([][]any, 0, len(p.inserts)), Stages: make([][]any, 0, len(p.stages)/4), New: !read}
	for _, st := range p.inserts {
		a := st.cur
		w.Inserts = append(w.Inserts, []any{a.Number, a.Office, a.ApplicantName, a.BirthDate.Format(dateLayout), string(a.PassportType),
			string(a.Stage), ms(a.StageAt), a.BillingCode, ms(a.BillingExpiresAt), a.Note, p.now})
	}
	for i := 0; i < len(p.stages); i += 4 {
		w.Stages = append(w.Stages, []any{p.stages[i], string(p.stages[i+1].(sigap.Stage)), p.stages[i+2], p.stages[i+3]})
	}
	updateRows := s.rowsPerStatement(batchUpdateColumns, batchUpdateRows)
	for from := 0; from < len(p.updates); from += updateRows {
		rows := p.updates[from:min(from+updateRows, len(p.updates))]
		w.Updates = append(w.Updates, Stmt{batchUpdateQuery(len(rows)), updateArgs(rows, p.now)})
		w.UpdateRows = append(w.UpdateRows, len(rows))
	}
	ok, err := s.dialect.BulkWrite(ctx, s.db, w)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errChangedMeanwhile
	}
	return out, nil
}

// BulkWrite is a batch upsert's writes, for Dialect.BulkWrite: rows of
// applications (applicationColumns and updated_at) to insert, UPDATE
// statements each of which must change UpdateRows[i] rows, and rows of
// application_stages (number, stage, stage_at, note) to add where absent.
type BulkWrite struct {
	Inserts    [][]any
	Updates    []Stmt
	UpdateRows []int
	Stages     [][]any
	// New: the batch was decided guessing that none of its applications
	// is stored, so there are no Updates, no insert may meet a stored
	// number, and no stage a stored one (the history refers to its
	// application); one that does shows the guess wrong, reported as
	// false like a short insert.
	New bool
}

func updateArgs(rows []*batchApp, now int64) []any {
	args := make([]any, 0, len(rows)*batchUpdateColumns+1)
	for _, st := range rows {
		a := st.cur
		args = append(args, a.Number, a.Office, a.ApplicantName, a.BirthDate.Format(dateLayout), a.PassportType,
			a.Stage, ms(a.StageAt), a.BillingCode, ms(a.BillingExpiresAt), a.Note, st.office, st.stageAt)
	}
	return append(args, now)
}

// decideBatch reads the batch's stored applications (unless !read: then it
// takes it that none is stored) and decides each row as UpsertApplication
// would, in order; it sets nothing outside itself (see inTx) but the hint
// batchesNew.
func (s *Store) decideBatch(ctx context.Context, q dbtx, apps []sigap.Application, valid []int, opts []sigap.UpsertOption, read bool) (batchPlan, []sigap.UpsertOutcome, error) {
	out := make([]sigap.UpsertOutcome, len(apps))
	state := make(map[string]*batchApp, len(valid))
	var order []string // numbers, first appearance first
	for _, i := range valid {
		if _, ok := state[apps[i].Number]; !ok {
			state[apps[i].Number] = nil
			order = append(order, apps[i].Number)
		}
	}
	if read {
		readRows := s.rowsPerSeqStatement(1, batchReadRows)
		for from := 0; from < len(order); from += readRows {
			chunk := order[from:min(from+readRows, len(order))]
			if err := s.readBatch(ctx, q, chunk, readRows, state); err != nil {
				return batchPlan{}, nil, fmt.Errorf("read applications: %w", err)
			}
		}
		stored := false
		for _, st := range state {
			if st != nil {
				stored = true
				break
			}
		}
		// The next batch guesses from this one (see UpsertApplications): a
		// file of new applications skips the reads; one of stored
		// applications reads without first trying to insert.
		s.batchesNew.Store(!stored)
	}

	stages := make([]any, 0, 4*len(valid))
	seen := make(map[stageKey]bool, len(valid))
	for _, i := range valid {
		a := apps[i]
		st := state[a.Number]
		if st != nil {
			if err := sigap.CheckOfficeMove(st.cur, a, opts); err != nil {
				out[i].Err = fmt.Errorf("upsert application %s: %w", a.Number, err)
				continue
			}
		}
		switch {
		case st == nil:
			out[i].Result = sigap.Inserted
			state[a.Number] = &batchApp{cur: a, changed: true}
		case a.StageAt.Before(st.cur.StageAt):
			// An older row only fills in history below.
		case !sameApplication(st.cur, a):
			out[i].Result = sigap.Updated
			st.cur, st.changed = a, true
		}
		k := stageKey{a.Number, string(a.Stage), ms(a.StageAt)}
		if !seen[k] {
			seen[k] = true
			stages = append(stages, a.Number, a.Stage, ms(a.StageAt), a.Note)
		}
	}

	p := batchPlan{stages: stages, now: s.now().UnixMilli()}
	for _, n := range order {
		switch st := state[n]; {
		case st == nil || !st.changed:
		case st.stored:
			p.updates = append(p.updates, st)
		default:
			p.inserts = append(p.inserts, st)
		}
	}
	return p, out, nil
}

// writeBatch writes a batch's plan in statements of many rows.
func (s *Store) writeBatch(ctx context.Context, tx *sql.Tx, p batchPlan) error {
	inserts, updates, stages, now := p.inserts, p.updates, p.stages, p.now
	insertRows := s.rowsPerSeqStatement(bulkColumns, bulkRowsPerStatement)
	// The query text of a full statement, once: it is the prepared one.
	fullInsert := s.bulkInsertQuery(insertRows)
	for from := 0; from < len(inserts); from += insertRows {
		rows := inserts[from:min(from+insertRows, len(inserts))]
		args := make([]any, 0, len(rows)*bulkColumns)
		for _, st := range rows {
			a := st.cur
			args = append(args, a.Number, a.Office, a.ApplicantName, a.BirthDate.Format(dateLayout), a.PassportType,
				a.Stage, ms(a.StageAt), a.BillingCode, ms(a.BillingExpiresAt), a.Note, now)
		}
		q := fullInsert
		if len(rows) < insertRows {
			q = s.bulkInsertQuery(len(rows))
		}
		if err := s.execAll(ctx, tx, q, len(rows) == insertRows, len(rows), args); err != nil {
			return fmt.Errorf("insert applications: %w", err)
		}
	}
	updateRows := s.rowsPerStatement(batchUpdateColumns, batchUpdateRows)
	for from := 0; from < len(updates); from += updateRows {
		rows := updates[from:min(from+updateRows, len(updates))]
		if err := s.execAll(ctx, tx, batchUpdateQuery(len(rows)), len(rows) == updateRows, len(rows), updateArgs(rows, now)); err != nil {
			return fmt.Errorf("update applications: %w", err)
		}
	}
	stageRows := s.rowsPerSeqStatement(4, batchStageRows)
	fullStages := s.batchStageQuery(stageRows)
	for from := 0; from < len(stages); from += 4 * stageRows {
		args := stages[from:min(from+4*stageRows, len(stages))]
		q := fullStages
		var err error
		if len(args) < 4*stageRows {
			q = s.batchStageQuery(len(args) / 4)
		}
		if len(args) == 4*stageRows {
			_, err = s.exec(ctx, tx, q, args...)
		} else {
			_, err = tx.ExecContext(ctx, q, args...)
		}
		if err != nil {
			return fmt.Errorf("record stages: %w", err)
		}
	}
	return nil
}

// readBatch reads the stored applications of numbers into state.
func (s *Store) readBatch(ctx context.Context, q dbtx, numbers []string, full int, state map[string]*batchApp) error {
	args := make([]any, len(numbers))
	for i, n := range numbers {
		args[i] = n
	}
	query := `SELECT ` + applicationColumns + ` FROM applications WHERE number IN (` + s.seqParams(1, len(numbers)) + `)`
	var (
		rows *sql.Rows
		err  error
	)
	if len(numbers) == full {
		rows, err = s.query(ctx, q, query, args...)
	} else {
		rows, err = q.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return err
		}
		state[a.Number] = &batchApp{cur: a, stored: true, office: a.Office, stageAt: ms(a.StageAt)}
	}
	return rows.Err()
}

// execAll runs a statement that must write want rows: fewer means another
// writer got there between the batch's read and its write.
func (s *Store) execAll(ctx context.Context, tx *sql.Tx, q string, prepared bool, want int, args []any) error {
	var (
		res sql.Result
		err error
	)
	if prepared {
		res, err = s.exec(ctx, tx, q, args...)
	} else {
		res, err = tx.ExecContext(ctx, q, args...)
	}
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != int64(want) {
		return errChangedMeanwhile
	}
	return nil
}

// batchUpdateQuery updates rows applications, each only if its office and
// stage_at are still the ones read (as UpsertApplication's UPDATE). Each
// row's parameters are its number, the nine other columns in
// applicationColumns' order, and the office and stage_at read; the last
// parameter is updated_at.
func batchUpdateQuery(rows int) string {
	type col struct {
		name, typ string
		at        int // the parameter's position within a row's
	}
	set := []col{{"office", "TEXT", 1}, {"applicant_name", "TEXT", 2}, {"birth_date", "TEXT", 3}, {"passport_type", "TEXT", 4},
		{"stage", "TEXT", 5}, {"stage_at", "BIGINT", 6}, {"billing_code", "TEXT", 7}, {"billing_expires_at", "BIGINT", 8}, {"note", "TEXT", 9}}
	pick := func(b *strings.Builder, c col) {
		b.WriteString("CASE number")
		for r := range rows {
			base := r*batchUpdateColumns + 1
			fmt.Fprintf(b, " WHEN $%d THEN CAST($%d AS %s)", base, base+c.at, c.typ)
		}
		b.WriteString(" END")
	}
	var b strings.Builder
	b.WriteString("UPDATE applications SET ")
	for _, c := range set {
		b.WriteString(c.name + " = ")
		pick(&b, c)
		b.WriteString(", ")
	}
	fmt.Fprintf(&b, "updated_at = $%d WHERE number IN (", rows*batchUpdateColumns+1)
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", r*batchUpdateColumns+1)
	}
	b.WriteString(") AND office = ")
	pick(&b, col{"", "TEXT", 10})
	b.WriteString(" AND stage_at = ")
	pick(&b, col{"", "BIGINT", 11})
	return b.String()
}

// batchStageQuery records rows stages, each (number, stage, stage_at,
// note), as UpsertApplication does.
func (s *Store) batchStageQuery(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO application_stages (number, stage, stage_at, note) VALUES `)
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + s.seqParams(r*4+1, 4) + ")")
	}
	b.WriteString(" ON CONFLICT (number, stage_at, stage) DO NOTHING")
	return b.String()
}

// rowsPerStatement is how many rows of perRow parameters one multi-row
// statement takes: at most max, and within the dialect's StatementParams.
func (s *Store) rowsPerStatement(perRow, max int) int {
	p := s.dialect.StatementParams
	if p <= 0 {
		return max
	}
	return min(max, 1+(p-1)/perRow)
}

// rowsPerSeqStatement is rowsPerStatement for a statement whose
// parameters are seqParams: where those are anonymous, StatementParams
// does not apply (see Dialect.AnonymousParams).
func (s *Store) rowsPerSeqStatement(perRow, max int) int {
	if s.dialect.AnonymousParams {
		return max
	}
	return s.rowsPerStatement(perRow, max)
}

// seqParams is params(from, n) for a statement that uses each of its
// parameters once, in order: bare ? where the dialect binds those faster
// (Dialect.AnonymousParams).
func (s *Store) seqParams(from, n int) string {
	if !s.dialect.AnonymousParams {
		return params(from, n)
	}
	return strings.Repeat("?, ", n-1) + "?"
}
