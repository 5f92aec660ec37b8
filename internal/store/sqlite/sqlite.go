// Package sqlite opens SIGAP's embedded default store: a single SQLite file,
// through a pure-Go driver, so the binary needs no cgo.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/sigap-id/sigap/internal/store/sqlstore"
)

// Migrations are sqlstore's migrations, written for SQLite.
var Migrations = sqlstore.NewMigrations(sqlstore.SQLite())

// Options says how to open the database.
type Options struct {
	// Migrate brings the schema up to date on open.
	Migrate bool
	Log     *slog.Logger
	// Now is the store's clock (sqlstore.Options.Now); default time.Now.
	Now func() time.Time
	// MmapSize, if above 0, is how many bytes of the file each connection
	// reads through a memory map (PRAGMA mmap_size) rather than read
	// calls into its small page cache: with a file far larger than that
	// cache, a look-up then costs what it costs in a small one, once its
	// pages have been mapped (docs/performance.md, look-ups at 10 million).
	MmapSize int64
}

// Open opens (creating if needed) the SQLite database at path.
func Open(ctx context.Context, path string, opt Options) (*sqlstore.Store, error) {
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if err := createPrivate(path, opt.Log); err != nil {
		return nil, err
	}
	// WAL lets readers run beside the writer; synchronous=FULL makes a
	// committed transaction survive a power cut, which an acknowledged
	// webhook promises; immediate transactions take the write lock up front
	// so two writers queue on busy_timeout instead of failing mid-way;
	// temp_store=MEMORY keeps a statement's journal (which a multi-row
	// INSERT inside a transaction needs, to undo itself alone) off the disk:
	// with it in a temporary file, 22% of a bulk import's CPU was that
	// file's system calls, and the import went 46k → 62k rows a second
	// (BenchmarkImport/sqlite/csv).
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)", "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	if opt.MmapSize > 0 {
		q.Add("_pragma", fmt.Sprintf("mmap_size(%d)", opt.MmapSize))
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if opt.Migrate {
		if err := Migrations.Up(ctx, db, opt.Log); err != nil {
			db.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	d := sqlstore.SQLite()
	d.Ready = Migrations.Current
	return sqlstore.New(db, d, sqlstore.Options{Now: opt.Now}), nil
}

// createPrivate creates the database file, and any folder above it that is
// missing, readable by its owner only: the file holds applicants' names,
// birth dates and messages. SQLite gives the -wal, -shm and -journal files
// it makes later the database file's own mode, so they are private too
// whatever the process's umask. An existing file keeps its mode (the
// operator may have chosen it); a world-readable one is warned about.
func createPrivate(path string, log *slog.Logger) error {
	if path == ":memory:" {
		return nil
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create database folder: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		// The umask may have taken bits away, never added them; Chmod
		// makes the mode exactly 0600 either way.
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return fmt.Errorf("create database %s: %w", path, err)
		}
		return f.Close()
	case errors.Is(err, fs.ErrExist):
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o007 != 0 {
			log.Warn("the database file is readable by every user of this machine: chmod 600 it (and its -wal and -shm files)",
				"path", path, "mode", fmt.Sprintf("%#o", fi.Mode().Perm()))
		}
		return nil
	default:
		return fmt.Errorf("create database %s: %w", path, err)
	}
}
