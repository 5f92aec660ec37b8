package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"testing/fstest"
	"text/template"

	"github.com/pressly/goose/v3"

	"github.com/sigap-id/sigap"
)

// The schema's migrations, one file per version for both engines. Where
// the engines differ, a file names the difference as a template function
// that the Dialect answers: {{int64}} (INTEGER on SQLite, BIGINT on
// PostgreSQL), {{identity}} (an assigned, growing 64-bit key) and
// {{if sqlite}}…{{end}} (statements for SQLite only). Times are
// {{int64}}; a column that is INTEGER on both is written INTEGER.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations applies an engine's migrations with goose.
type Migrations struct {
	Dialect goose.Dialect
	FS      fs.FS // the migration files, as the engine takes them
}

// NewMigrations returns the migrations written for d's engine: each file
// rendered once, here, into a file system in memory that goose reads. The
// files are embedded, so a file that does not render is a mistake in this
// package that every store test reports; it panics.
func NewMigrations(d Dialect) Migrations {
	funcs := template.FuncMap{
		"int64":    func() string { return d.Int64 },
		"identity": func() string { return d.Identity },
		// {{if sqlite}}…{{end}}: a change that only SQLite's storage needs.
		"sqlite": func() bool { return d.Name == "sqlite" },
	}
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	rendered := fstest.MapFS{}
	for _, name := range names {
		src, err := migrationFiles.ReadFile(name)
		if err == nil {
			var t *template.Template
			if t, err = template.New(name).Funcs(funcs).Parse(string(src)); err == nil {
				var b bytes.Buffer
				if err = t.Execute(&b, nil); err == nil {
					rendered[path.Base(name)] = &fstest.MapFile{Data: b.Bytes(), Mode: 0o444}
					continue
				}
			}
		}
		panic(fmt.Sprintf("migration %s for %s: %v", name, d.Name, err))
	}
	return Migrations{Dialect: d.Goose, FS: rendered}
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
