package importer_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/importer"
	"github.com/sigap-id/sigap/internal/importer/importgen"
	"github.com/sigap-id/sigap/internal/store/pgtest"
	"github.com/sigap-id/sigap/internal/store/postgres"
	"github.com/sigap-id/sigap/internal/store/sqlite"
)

var genOffices = []string{"jakpus", "mataram"}

// TestGeneratedFilesImport: the generator's files, both formats, load
// whole and the same: a benchmark of them measures loading, not errors.
func TestGeneratedFilesImport(t *testing.T) {
	ctx := context.Background()
	for _, ndjson := range []bool{false, true} {
		var buf bytes.Buffer
		if err := importgen.Write(&buf, 1000, genOffices, ndjson); err != nil {
			t.Fatal(err)
		}
		s := open(t)
		o := opts
		if ndjson {
			o.Format = importer.NDJSON
		}
		rep, err := importer.Import(ctx, &buf, s, o)
		if err != nil || rep.Inserted != 1000 || len(rep.Errors) != 0 {
			t.Fatalf("ndjson %v: %+v, %v", ndjson, rep, err)
		}
		for _, i := range []int{0, 1, 9, 999} {
			want := importgen.App(i, genOffices)
			got, err := s.FindApplication(ctx, want.Office, want.Number)
			if err != nil || got.Stage != want.Stage || !got.StageAt.Equal(want.StageAt) || got.Note != want.Note || got.BillingCode != want.BillingCode {
				t.Errorf("ndjson %v, row %d: %+v, %v; want %+v", ndjson, i, got, err, want)
			}
		}
	}
}

// benchImport imports a generated file of rows rows into a new store each
// iteration and reports rows a second.
func benchImport(b *testing.B, rows int, ndjson bool, newStore func(b *testing.B) sigap.Store) {
	var buf bytes.Buffer
	if err := importgen.Write(&buf, rows, genOffices, ndjson); err != nil {
		b.Fatal(err)
	}
	o := opts
	if ndjson {
		o.Format = importer.NDJSON
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	var total float64
	for b.Loop() {
		b.StopTimer()
		s := newStore(b)
		b.StartTimer()
		rep, err := importer.Import(context.Background(), bytes.NewReader(buf.Bytes()), s, o)
		if err != nil || rep.Inserted != rows {
			b.Fatalf("%+v, %v", rep, err)
		}
		total += float64(rows)
	}
	b.ReportMetric(total/b.Elapsed().Seconds(), "rows/s")
}

func sqliteStore(b *testing.B) sigap.Store {
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "sigap.db"),
		sqlite.Options{Migrate: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func postgresStore(b *testing.B) sigap.Store {
	s, err := postgres.Open(context.Background(), pgtest.Schema(b),
		postgres.Options{Migrate: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkImport: a new file of 50,000 rows into an empty store, CSV and
// NDJSON, on SQLite and (with SIGAP_TEST_POSTGRES) PostgreSQL. cmd/sigap-
// importbench compares the whole command with the engines' own loaders.
func BenchmarkImport(b *testing.B) {
	const rows = 50_000
	for _, engine := range []struct {
		name string
		open func(b *testing.B) sigap.Store
	}{{"sqlite", sqliteStore}, {"postgres", postgresStore}} {
		for _, ndjson := range []bool{false, true} {
			name := engine.name + "/csv"
			if ndjson {
				name = engine.name + "/ndjson"
			}
			b.Run(name+"/rows="+strconv.Itoa(rows), func(b *testing.B) {
				benchImport(b, rows, ndjson, engine.open)
			})
		}
	}
}

// BenchmarkImportAgain: the same 50,000 rows into a store that has them:
// every row read, compared and found unchanged.
func BenchmarkImportAgain(b *testing.B) {
	const rows = 50_000
	var buf bytes.Buffer
	if err := importgen.Write(&buf, rows, genOffices, false); err != nil {
		b.Fatal(err)
	}
	s := sqliteStore(b)
	if _, err := importer.Import(context.Background(), bytes.NewReader(buf.Bytes()), s, opts); err != nil {
		b.Fatal(err)
	}
	var total float64
	for b.Loop() {
		rep, err := importer.Import(context.Background(), bytes.NewReader(buf.Bytes()), s, opts)
		if err != nil || rep.Unchanged != rows {
			b.Fatalf("%+v, %v", rep, err)
		}
		total += rows
	}
	b.ReportMetric(total/b.Elapsed().Seconds(), "rows/s")
}
