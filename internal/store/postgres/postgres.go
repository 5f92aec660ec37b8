// Package postgres opens SIGAP's store on PostgreSQL, for deployments with
// several replicas. The queries are sqlstore's; this package holds only what
// is PostgreSQL's own: the driver, the migrations and the dialect.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"

	"github.com/sigap-id/sigap/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the PostgreSQL schema's migrations.
var Migrations = sqlstore.Migrations{Dialect: goose.DialectPostgres, FS: sqlstore.SubFS(migrationFiles, "migrations")}

// Options says how to open the database.
type Options struct {
	Migrate bool
	Log     *slog.Logger
	// MaxConns bounds the connections this process opens.
	MaxConns int
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
	return sqlstore.New(db, sqlstore.Dialect{
		Name:                 "postgres",
		NumberedPlaceholders: true,
		SkipLocked:           "FOR UPDATE SKIP LOCKED",
		InsertReturning:      true,
		Ready:                Migrations.Current,
	}), nil
}
