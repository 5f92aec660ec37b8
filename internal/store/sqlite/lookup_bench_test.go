package sqlite_test

// Status look-ups at 10,000 and at 10 million applications. The large
// database takes minutes to build, so it is built once, by
// BulkInsertApplications, into a file kept in the user's cache directory
// (or $SIGAP_BENCH_CACHE), and only when asked:
//
//	SIGAP_BENCH_BUILD=1 go test -run '^$' -bench FindApplicationAt -timeout 60m ./internal/store/sqlite/
//
// Without the file and SIGAP_BENCH_BUILD, the 10 million case is skipped
// with a message saying so. The file holds generated data only.

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigap-id/sigap/internal/store/sqlite"
	"github.com/sigap-id/sigap/internal/store/sqlstore"
	"github.com/sigap-id/sigap/internal/store/storetest"
)

// benchCacheDir is where sized databases are kept between runs.
func benchCacheDir(b *testing.B) string {
	if d := os.Getenv("SIGAP_BENCH_CACHE"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "sigap-bench")
}

// sizedStore opens a database of n benchApps applications, building it
// (if allowed) the first time. The file is named for its size and whether
// it was finished: a build cut short leaves a .partial file, started over
// next time.
func sizedStore(b *testing.B, n int, mmap int64) *sqlstore.Store {
	b.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	if n <= 100_000 {
		path := filepath.Join(b.TempDir(), "sigap.db")
		s, err := sqlite.Open(ctx, path, sqlite.Options{Migrate: true, Log: log})
		if err == nil {
			_, err = s.BulkInsertApplications(ctx, benchApps(n), nil)
		}
		if cerr := s.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			b.Fatal(err)
		}
		return openSized(b, path, mmap)
	}
	dir := benchCacheDir(b)
	path := filepath.Join(dir, fmt.Sprintf("applications-%d.db", n))
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("SIGAP_BENCH_BUILD") == "" {
			b.Skipf("no database of %d applications at %s: set SIGAP_BENCH_BUILD=1 to build it (minutes, about %d MB)", n, path, n/5000)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			b.Fatal(err)
		}
		partial := path + ".partial"
		for _, f := range []string{partial, partial + "-wal", partial + "-shm"} {
			os.Remove(f)
		}
		s, err := sqlite.Open(ctx, partial, sqlite.Options{Migrate: true, Log: log})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		_, err = s.BulkInsertApplications(ctx, benchApps(n), func(done int64) {
			if done%1_000_000 == 0 {
				b.Logf("%d of %d applications (%.0f a second)", done, n, float64(done)/time.Since(start).Seconds())
			}
		})
		if err == nil {
			_, err = s.DB().ExecContext(ctx, `ANALYZE`)
		}
		if cerr := s.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(partial, path); err != nil {
			b.Fatal(err)
		}
		b.Logf("built %s: %d applications in %s", path, n, time.Since(start).Round(time.Second))
	}
	return openSized(b, path, mmap)
}

// openSized opens the database at path with mmap bytes of it mapped
// (sqlite.Options.MmapSize). Mapped, its pages are first read through
// the connection once, by a scan: a server that has run a while has
// mapped the pages it looks up, and the benchmark measures that state,
// not the page faults of a connection's first touch of each page.
func openSized(b *testing.B, path string, mmap int64) *sqlstore.Store {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, sqlite.Options{Log: slog.New(slog.DiscardHandler), MmapSize: mmap})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if mmap > 0 {
		// database/sql hands the connection used last to the next caller:
		// the look-ups below run on the one this scan mapped.
		var rows, size int64
		if err := s.DB().QueryRowContext(ctx, `SELECT count(*), sum(length(applicant_name) + length(note)) FROM applications`).Scan(&rows, &size); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// BenchmarkFindApplicationAt: a status look-up (found, and an unknown
// number) at 10,000 applications and at 10 million: one primary-key probe,
// whose depth grows with the log of the table; read through SQLite's page
// cache and read calls (mmap=0, the default), and through a memory map
// (SIGAP_SQLITE_MMAP), which a file far larger than the page cache needs
// to be looked up as fast as a small one.
func BenchmarkFindApplicationAt(b *testing.B) {
	for _, c := range []struct {
		n    int
		mmap int64
	}{{10_000, 0}, {10_000_000, 0}, {10_000, 4 << 30}, {10_000_000, 4 << 30}} {
		n := c.n
		b.Run(fmt.Sprintf("apps=%d/mmap=%dGiB", n, c.mmap>>30), func(b *testing.B) {
			s := sizedStore(b, n, c.mmap)
			storetest.BenchLookups(b, s, n)
		})
	}
}
