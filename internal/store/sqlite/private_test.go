//go:build unix

package sqlite_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/store/sqlite"
)

// TestFilesArePrivate: a new database, its -wal and -shm files and the
// folder made for it are the owner's alone, even under a umask that would
// let everyone read them (0 here; 022 is the usual default).
func TestFilesArePrivate(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0))
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "state", "sigap")
	path := filepath.Join(dir, "sigap.db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A write makes sure the WAL and its index exist.
	m := sigap.InboundMessage{ID: "wamid.private", Office: "jakpus", From: "62811", Kind: sigap.KindText, Text: "halo"}
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{m}}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{
		path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600,
		dir: 0o700 | os.ModeDir, filepath.Dir(dir): 0o700 | os.ModeDir,
	} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Errorf("%v (want the file to exist)", err)
			continue
		}
		if got := fi.Mode() & (os.ModePerm | os.ModeDir); got != want {
			t.Errorf("%s: mode %v, want %v", name, got, want)
		}
	}
}

// TestExistingFileKeepsItsMode: the operator's own choice of mode for an
// existing database is left alone; a world-readable one is warned about.
func TestExistingFileKeepsItsMode(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		mode os.FileMode
		warn bool
	}{{0o640, false}, {0o644, true}} {
		path := filepath.Join(t.TempDir(), "sigap.db")
		if err := os.WriteFile(path, nil, tc.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, tc.mode); err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		s, err := sqlite.Open(ctx, path, sqlite.Options{Log: slog.New(slog.NewTextHandler(&log, nil))})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != tc.mode {
			t.Errorf("mode %v: after Open the file is %v, %v; want it unchanged", tc.mode, fi.Mode().Perm(), err)
		}
		if warned := strings.Contains(log.String(), "level=WARN"); warned != tc.warn {
			t.Errorf("mode %v: warned = %v, want %v; log:\n%s", tc.mode, warned, tc.warn, log.String())
		}
	}
}
