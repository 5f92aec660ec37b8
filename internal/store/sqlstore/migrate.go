package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"

	"github.com/sigap-id/sigap"
)

// Migrations applies an engine's embedded migrations with goose.
type Migrations struct {
	Dialect goose.Dialect
	FS      fs.FS
}

func (m Migrations) provider(db *sql.DB) (*goose.Provider, error) {
	p, err := goose.NewProvider(m.Dialect, db, m.FS, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, nil
}

// Up brings the schema up to date and logs what it applied.
func (m Migrations) Up(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	p, err := m.provider(db)
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
	}
	return nil
}

// Current reports an error unless every migration has been applied.
func (m Migrations) Current(ctx context.Context, db *sql.DB) error {
	p, err := m.provider(db)
	if err != nil {
		return err
	}
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("%w: schema version: %v", sigap.ErrUnavailable, err)
	}
	if current != target {
		return fmt.Errorf("%w: schema at version %d, want %d: run sigap migrate", sigap.ErrUnavailable, current, target)
	}
	return nil
}

// SubFS is the migrations folder of an engine's embedded files.
func SubFS(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the folder is embedded by the caller: a build error, not a runtime one
	}
	return sub
}
