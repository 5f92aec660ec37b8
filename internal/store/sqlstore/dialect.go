package sqlstore

import (
	"context"
	"database/sql"

	"github.com/pressly/goose/v3"
)

// Dialect is what differs between the SQL engines, all of it: the
// queries and migrations are written once, for both, and name a
// difference only through a Dialect field. Every query uses $1, $2, …
// placeholders, which both engines take as they are (SQLite binds $N to
// the Nth argument, wherever and however often it appears), so no query is
// rewritten for an engine; the one exception is AnonymousParams.
type Dialect struct {
	Name string
	// Goose is the engine's name to goose, which applies the migrations.
	Goose goose.Dialect
	// Int64 and Identity are the column types the migrations name {{int64}}
	// and {{identity}} (see NewMigrations): a 64-bit integer, and a 64-bit
	// key the database assigns, growing.
	Int64, Identity string
	// SkipLocked ends the sub-selects that pick queue rows, so that
	// concurrent claimers skip each other's rows instead of waiting ("" where
	// one process writes at a time).
	SkipLocked string
	// InsertReturning asks for an inserted row's id with RETURNING, for a
	// driver that cannot report it otherwise (pgx). SQLite's driver
	// reports it, and there a statement with RETURNING is re-prepared on
	// every run.
	InsertReturning bool
	// Ready checks that the schema is current.
	Ready func(ctx context.Context, db *sql.DB) error
	// Pipeline, where the driver can, sends a transaction's statements
	// together (see answerAtOnce).
	Pipeline Pipeline

	// OneWriter says that the engine takes one writer at a time (SQLite).
	// The store then writes through one connection of its own, which
	// groups concurrent callers' work into one transaction and commit (see
	// writer); keeps what only a sole writer can know in memory
	// (convCache, waitingIndex); and prepares its statements, which
	// SQLite's driver would otherwise parse and plan on every run (pgx
	// keeps its own cache of prepared statements per connection). An
	// engine that takes writers side by side (PostgreSQL) groups
	// concurrent commits itself; grouping there would hold row locks
	// longer, and two groups taking the same rows in different orders
	// deadlock.
	OneWriter bool
	// WriterSetup is run on the writer's connection when it is opened.
	WriterSetup []string
	// IdleConns is how many connections stay open between uses (0: the
	// database/sql default).
	IdleConns int
	// StatementParams caps the parameters of a statement that writes or
	// reads many rows at once (0: only the statement's own cap). SQLite's
	// driver looks each $N up in a list as it binds it, so there a
	// statement's cost grows with the square of its parameters.
	StatementParams int
	// AnonymousParams: statements of many rows whose parameters each appear
	// once, in order (seqParams), write them as bare ? instead of $N.
	// SQLite's driver binds a bare ? by its position, with no look-up of
	// its name, so StatementParams does not bind such statements: an
	// INSERT of 50 rows bound this way costs under half the CPU of one
	// with $N (cmd/sigap-importbench -go-floor-rows).
	AnonymousParams bool
	// BulkWrite, where the engine has a faster way than statements of
	// many rows (PostgreSQL: COPY), writes a batch upsert's rows in one
	// transaction; it reports false, having rolled back, when an insert or
	// update wrote fewer rows than it has (another writer changed an
	// application meanwhile).
	BulkWrite func(ctx context.Context, db *sql.DB, w BulkWrite) (ok bool, err error)
}

// SQLite is the embedded engine's dialect (the sqlite package adds Ready).
func SQLite() Dialect {
	return Dialect{
		Name:      "sqlite",
		Goose:     goose.DialectSQLite3,
		Int64:     "INTEGER",
		Identity:  "INTEGER PRIMARY KEY AUTOINCREMENT",
		OneWriter: true,
		// A larger page cache keeps the queues' tables and indexes in
		// memory (the default is 2 MB); checkpoints every 10,000 WAL pages
		// (40 MB) instead of 1,000 copy each hot page into the database
		// once for ten times as many commits (2–15% more replies a second
		// in the load tool).
		WriterSetup: []string{"PRAGMA cache_size = -32000", "PRAGMA wal_autocheckpoint = 10000"},
		// database/sql keeps two idle connections by default and closes
		// the rest after each use; an SQLite connection costs its pragmas
		// and schema parse to open again, so keep as many as are in use:
		// the readers of the gateway's and the simulator's workers, and
		// the writer.
		IdleConns:       32,
		StatementParams: 64,
		AnonymousParams: true,
	}
}

// PostgreSQL is PostgreSQL's dialect (the postgres package adds Ready and
// Pipeline).
func PostgreSQL() Dialect {
	return Dialect{
		Name:            "postgres",
		Goose:           goose.DialectPostgres,
		Int64:           "BIGINT",
		Identity:        "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
		SkipLocked:      " FOR UPDATE SKIP LOCKED",
		InsertReturning: true,
	}
}
