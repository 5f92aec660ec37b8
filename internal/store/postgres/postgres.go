// Package postgres opens SIGAP's store on PostgreSQL, for deployments with
// several replicas. The queries are sqlstore's; this package holds only what
// is PostgreSQL's own: the driver and its pipelining.
package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/sigap-id/sigap/internal/store/sqlstore"
)

// Migrations are sqlstore's migrations, written for PostgreSQL.
var Migrations = sqlstore.NewMigrations(sqlstore.PostgreSQL())

// Options says how to open the database.
type Options struct {
	Migrate bool
	Log     *slog.Logger
	// MaxConns bounds the connections this process opens.
	MaxConns int
	// Now is the store's clock (sqlstore.Options.Now); default time.Now.
	Now func() time.Time
}

// Open connects to the database at url (postgres://…).
func Open(ctx context.Context, url string, opt Options) (*sqlstore.Store, error) {
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.MaxConns == 0 {
		opt.MaxConns = 16
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(opt.MaxConns)
	db.SetMaxIdleConns(opt.MaxConns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	if opt.Migrate {
		if err := Migrations.Up(ctx, db, opt.Log); err != nil {
			db.Close()
			return nil, err
		}
	}
	d := sqlstore.PostgreSQL()
	d.Ready, d.Pipeline, d.BulkWrite = Migrations.Current, pipeline, bulkWrite
	return sqlstore.New(db, d, sqlstore.Options{Now: opt.Now}), nil
}

// pipeline implements sqlstore.Pipeline with a pgx batch that begins the
// transaction: BEGIN and the statements go in one round trip, the commit in
// a second.
func pipeline(ctx context.Context, db *sql.DB, stmts []sqlstore.Stmt, check func(rows [][][]any) bool) (committed bool, err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("pipeline: %w", err)
	}
	defer conn.Close()
	err = conn.Raw(func(driverConn any) error {
		c := driverConn.(*stdlib.Conn).Conn()
		b := &pgx.Batch{}
		b.BeginTx(pgx.TxOptions{})
		for _, st := range stmts {
			b.Queue(st.Query, st.Args...)
		}
		br := c.SendBatch(ctx, b)
		tx := br.Tx()
		defer tx.Rollback(context.WithoutCancel(ctx)) // after a commit, nothing
		rows, err := results(br, len(stmts))
		if err != nil {
			return err
		}
		if !check(rows) {
			return tx.Rollback(ctx)
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		committed = true
		return nil
	})
	return committed, err
}

// results reads a batch's results: BEGIN's, then n statements' rows, and
// closes it.
func results(br pgx.BatchResults, n int) ([][][]any, error) {
	if _, err := br.Exec(); err != nil {
		br.Close()
		return nil, fmt.Errorf("begin: %w", err)
	}
	out := make([][][]any, n)
	for i := range out {
		rows, err := br.Query()
		if err == nil {
			for rows.Next() {
				var vals []any
				if vals, err = rows.Values(); err != nil {
					break
				}
				out[i] = append(out[i], vals)
			}
			rows.Close()
			if err == nil {
				err = rows.Err()
			}
		}
		if err != nil {
			br.Close()
			return nil, err
		}
	}
	return out, br.Close()
}
