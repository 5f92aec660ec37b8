// Command sigap-importbench measures `sigap import applications` against
// each engine's own bulk loader on the same generated CSV, side by side in
// one run: the sqlite3 shell's .import into a table with the same primary
// key, and psql's \copy. Each run loads the file into a new, empty
// database; the runs alternate (loader, sigap, loader, sigap …) so that a
// machine whose speed drifts slows both alike, and the figures are the
// medians: rows a second (wall clock), CPU seconds and peak memory (the
// process's maximum resident set, as /usr/bin/time -v reports it), and
// sigap's rows a second as a fraction of the loader's.
//
//	go run ./cmd/sigap-importbench -rows 100000,1000000 -runs 3 -engine sqlite,postgres
//
// It needs sqlite3 and psql on the PATH, and for PostgreSQL a server that
// -postgres names (a database is created and dropped for each run). The
// sigap binary is built from this module unless -sigap names one; the
// schema is migrated before each timed import, so the import alone is
// timed. See docs/performance.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sigap-id/sigap/internal/importer/importgen"
	"github.com/sigap-id/sigap/internal/store/postgres" // also registers the "pgx" driver
)

const refTable = `CREATE TABLE applications (application_number TEXT PRIMARY KEY, office TEXT, applicant_name TEXT,
	birth_date TEXT, passport_type TEXT, stage TEXT, stage_at TEXT, billing_code TEXT, billing_expires_at TEXT, note TEXT)`

// result is one timed process.
type result struct {
	wall, cpu time.Duration
	rssKB     int64
}

func main() {
	var (
		rowsFlag = flag.String("rows", "100000", "rows of the generated file; several, comma-separated, for one file each")
		runs     = flag.Int("runs", 3, "timed runs of each command")
		engines  = flag.String("engine", "sqlite", "sqlite, postgres or both (comma-separated)")
		pgURL    = flag.String("postgres", envOr("SIGAP_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"), "PostgreSQL server for -engine postgres")
		bin      = flag.String("sigap", "", "sigap binary (default: built from this module)")
		dir      = flag.String("dir", "", "working directory for files and databases (default: a new temporary one, removed after)")
	)
	var (
		withFloors   = flag.Bool("floors", false, "also time simpler ways to load the file, what the driver and the schema cost at least (see floor.go)")
		goFloorRows  = flag.Int("go-floor-rows", 0, "load FILE into DB (the arguments) with the pure-Go driver, this many rows a statement, and exit (a floor; see floor.go)")
		goFloorSigap = flag.Bool("go-floor-sigap", false, "with -go-floor-rows: through a staging table into SIGAP's schema, which DB has (sigap migrate)")
		goFloorPG    = flag.Bool("go-floor-dollar", false, "with -go-floor-rows: placeholders $1, $2, … instead of ?")
	)
	flag.Parse()
	if *goFloorRows > 0 {
		if err := goFloor(flag.Arg(0), flag.Arg(1), *goFloorRows, *goFloorSigap, *goFloorPG); err != nil {
			fmt.Fprintln(os.Stderr, "sigap-importbench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*rowsFlag, *runs, *engines, *pgURL, *bin, *dir, *withFloors); err != nil {
		fmt.Fprintln(os.Stderr, "sigap-importbench:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func run(rowsFlag string, runs int, engines, pgURL, bin, dir string, withFloors bool) error {
	ctx := context.Background()
	if dir == "" {
		d, err := os.MkdirTemp("", "sigap-importbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	if bin == "" {
		bin = filepath.Join(dir, "sigap")
		build := exec.Command("go", "build", "-o", bin, "./cmd/sigap")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build sigap: %w", err)
		}
	}
	fmt.Printf("machine: %s/%s, %d CPUs; %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), loadavg())
	for _, rs := range strings.Split(rowsFlag, ",") {
		rows, err := strconv.Atoi(strings.TrimSpace(rs))
		if err != nil || rows <= 0 {
			return fmt.Errorf("-rows %q: want positive numbers", rs)
		}
		file := filepath.Join(dir, fmt.Sprintf("applications-%d.csv", rows))
		if err := generate(file, rows); err != nil {
			return err
		}
		for _, engine := range strings.Split(engines, ",") {
			var ref, sig []result
			var fl [][]floor
			for i := range runs {
				r, s, err := pair(ctx, strings.TrimSpace(engine), i, rows, file, bin, pgURL, dir)
				if err != nil {
					return err
				}
				ref, sig = append(ref, r), append(sig, s)
				fmt.Printf("  %s rows=%d run %d: loader %s, sigap %s\n", engine, rows, i+1, show(r, rows), show(s, rows))
				if withFloors {
					f, err := floors(ctx, strings.TrimSpace(engine), i, file, bin, pgURL, dir)
					if err != nil {
						return fmt.Errorf("floors: %w", err)
					}
					for _, x := range f {
						fmt.Printf("    floor %s: %s\n", x.name, show(x.r, rows))
					}
					fl = append(fl, f)
				}
			}
			report(engine, rows, ref, sig)
			reportFloors(rows, ref, fl)
		}
	}
	return nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load unknown"
	}
	f := strings.Fields(string(b))
	return "load average " + strings.Join(f[:3], " ")
}

func generate(file string, rows int) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := importgen.Write(f, rows, []string{"jakpus", "mataram"}, false); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// pair times the engine's loader and sigap, each into a new database.
func pair(ctx context.Context, engine string, i, rows int, file, bin, pgURL, dir string) (ref, sig result, err error) {
	switch engine {
	case "sqlite":
		refDB := filepath.Join(dir, fmt.Sprintf("ref-%d.db", i))
		sigDB := filepath.Join(dir, fmt.Sprintf("sigap-%d.db", i))
		defer removeDB(refDB)
		defer removeDB(sigDB)
		ref, err = timed(nil, "sqlite3", refDB, refTable, ".import --csv --skip 1 "+file+" applications")
		if err != nil {
			return
		}
		sig, err = timedSigap(bin, "sqlite:"+sigDB, file, rows)
		return
	case "postgres":
		var refURL, sigURL string
		var dropRef, dropSig func()
		if refURL, dropRef, err = freshPostgres(ctx, pgURL); err != nil {
			return
		}
		defer dropRef()
		if sigURL, dropSig, err = freshPostgres(ctx, pgURL); err != nil {
			return
		}
		defer dropSig()
		if _, err = timed(nil, "psql", "-q", "-v", "ON_ERROR_STOP=1", refURL, "-c", refTable); err != nil {
			return
		}
		ref, err = timed(nil, "psql", "-q", "-v", "ON_ERROR_STOP=1", refURL, "-c", `\copy applications FROM '`+file+`' CSV HEADER`)
		if err != nil {
			return
		}
		sig, err = timedSigap(bin, sigURL, file, rows)
		return
	}
	return ref, sig, fmt.Errorf("-engine %q: want sqlite or postgres", engine)
}

func removeDB(path string) {
	for _, f := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		os.Remove(f)
	}
}

// timedSigap migrates a new database (not timed), then times the import.
func timedSigap(bin, database, file string, rows int) (result, error) {
	env := []string{"SIGAP_DATABASE=" + database, "SIGAP_LOG_LEVEL=warn", "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	if _, err := timed(env, bin, "migrate"); err != nil {
		return result{}, err
	}
	var out strings.Builder
	r, err := timedOut(env, &out, bin, "import", "applications", "--demo", file)
	if err != nil {
		return r, fmt.Errorf("%w: %s", err, out.String())
	}
	if want := fmt.Sprintf(": %d rows in %d lines: %d new,", rows, rows+1, rows); !strings.Contains(out.String(), want) {
		return r, fmt.Errorf("sigap import did not load every row: %s", out.String())
	}
	return r, nil
}

func timed(env []string, name string, args ...string) (result, error) {
	var out strings.Builder
	r, err := timedOut(env, &out, name, args...)
	if err != nil {
		return r, fmt.Errorf("%s: %w: %s", name, err, out.String())
	}
	return r, nil
}

func timedOut(env []string, out *strings.Builder, name string, args ...string) (result, error) {
	cmd := exec.Command(name, args...)
	if env != nil {
		cmd.Env = env
	}
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	err := cmd.Run()
	r := result{wall: time.Since(start)}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			r.rssKB = ru.Maxrss // kilobytes on Linux
		}
	}
	return r, err
}

func show(r result, rows int) string {
	return fmt.Sprintf("%.0f rows/s (%.2f s wall, %.2f s CPU, %d MB)", float64(rows)/r.wall.Seconds(), r.wall.Seconds(), r.cpu.Seconds(), r.rssKB>>10)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func report(engine string, rows int, ref, sig []result) {
	col := func(rs []result, f func(result) float64) float64 {
		var xs []float64
		for _, r := range rs {
			xs = append(xs, f(r))
		}
		return median(xs)
	}
	rate := func(r result) float64 { return float64(rows) / r.wall.Seconds() }
	cpu := func(r result) float64 { return r.cpu.Seconds() }
	rss := func(r result) float64 { return float64(r.rssKB) / 1024 }
	var ratios, cpuRatios []float64
	for i := range ref {
		ratios = append(ratios, rate(sig[i])/rate(ref[i]))
		cpuRatios = append(cpuRatios, ref[i].cpu.Seconds()/sig[i].cpu.Seconds())
	}
	loader := map[string]string{"sqlite": "sqlite3 .import", "postgres": `psql \copy`}[engine]
	fmt.Printf("%s, %d rows, medians of %d runs:\n", engine, rows, len(ref))
	fmt.Printf("  %-16s %10.0f rows/s  %7.2f s CPU  %6.0f MB peak\n", loader, col(ref, rate), col(ref, cpu), col(ref, rss))
	fmt.Printf("  %-16s %10.0f rows/s  %7.2f s CPU  %6.0f MB peak\n", "sigap import", col(sig, rate), col(sig, cpu), col(sig, rss))
	fmt.Printf("  sigap / loader: %.3f of its rows a second (wall), %.3f by CPU time (medians of the pairs)\n", median(ratios), median(cpuRatios))
}

// freshPostgres creates a database of its own on the server base names,
// and returns its URL and how to drop it.
func freshPostgres(ctx context.Context, base string) (string, func(), error) {
	u, drop, err := postgres.ScratchDatabase(ctx, base, "sigap_importbench")
	if err != nil {
		return "", nil, fmt.Errorf("-postgres: %w", err)
	}
	return u, func() {
		if err := drop(); err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, err)
		}
	}, nil
}

// reportFloors prints each floor's median rows a second, and as a
// fraction of the loader's in the same run.
func reportFloors(rows int, ref []result, fl [][]floor) {
	if len(fl) == 0 {
		return
	}
	for j := range fl[0] {
		var rates, ratios []float64
		for i, f := range fl {
			rate := float64(rows) / f[j].r.wall.Seconds()
			rates = append(rates, rate)
			ratios = append(ratios, rate/(float64(rows)/ref[i].wall.Seconds()))
		}
		fmt.Printf("  floor %-24s %10.0f rows/s, %.3f of the loader's (medians)\n", fl[0][j].name, median(rates), median(ratios))
	}
}
