package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // the driver the store uses
)

// Floors: how fast the same file loads by simpler means, to tell what of
// sigap's gap to the loader is the driver's and what is the schema's (-floors):
//
//   - go-driver: a Go program with the store's pure-Go driver (modernc)
//     inserting the file into the loader's own one-table schema (refTable),
//     one transaction, one prepared INSERT of goFloorStmtRows rows bound
//     with bare ? (goFloor);
//   - sqlite3-sigap-schema: the sqlite3 shell (C) importing the file into a
//     staging table, then INSERT … SELECT into SIGAP's migrated schema (the
//     applications with their indexes, a row of history each), with the
//     store's pragmas, in one transaction;
//   - go-driver-sigap-schema: the same two steps in a Go program with the
//     pure-Go driver (goFloor with sigapSchema);
//   - psql-sigap-schema: psql \copy into a staging table, then INSERT …
//     SELECT into SIGAP's migrated schema, in one transaction.
//
// None of them reads stored applications, decides per row, checks values
// or reports line errors, as sigap import does: they are what the engine
// and the driver cost at least.
const goFloorStmtRows = 50

// goFloor loads file into db with the pure-Go driver: into the loader's
// table (refTable), or, if sigapSchema, into a staging table and from there
// into SIGAP's schema, which db must already have (sigap migrate). dollar
// writes the placeholders $1, $2, … instead of bare ?, to measure what that
// costs the driver.
func goFloor(file, db string, perStmt int, sigapSchema, dollar bool) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	dsn := "file:" + db
	if sigapSchema {
		// The store's own settings (internal/store/sqlite).
		dsn += "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)"
	}
	d, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	d.SetMaxOpenConns(1) // the temporary table is the connection's
	table := "applications"
	if sigapSchema {
		table = "staging"
		if _, err := d.Exec(stagingTable("TEMP TABLE staging")); err != nil {
			return err
		}
	} else if _, err := d.Exec(refTable); err != nil {
		return err
	}
	tx, err := d.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	const cols = 10
	query := func(rows int) string {
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " VALUES ")
		for r := range rows {
			if r > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for c := range cols {
				if c > 0 {
					b.WriteString(", ")
				}
				if dollar {
					fmt.Fprintf(&b, "$%d", r*cols+c+1)
				} else {
					b.WriteString("?")
				}
			}
			b.WriteString(")")
		}
		return b.String()
	}
	stmt, err := tx.Prepare(query(perStmt))
	if err != nil {
		return err
	}
	cr := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
	cr.ReuseRecord = true
	if _, err := cr.Read(); err != nil { // the header
		return err
	}
	args := make([]any, 0, perStmt*cols)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if len(rec) != cols {
			return fmt.Errorf("want %d columns, got %d", cols, len(rec))
		}
		for _, v := range rec {
			args = append(args, v)
		}
		if len(args) == cap(args) {
			if _, err := stmt.Exec(args...); err != nil {
				return err
			}
			args = args[:0]
		}
	}
	if len(args) > 0 {
		if _, err := tx.Exec(query(len(args)/cols), args...); err != nil {
			return err
		}
	}
	if sigapSchema {
		for _, q := range stagingToSigap(sqliteMillis) {
			if _, err := tx.Exec(q); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

// stagingTable is refTable without its key, as table.
func stagingTable(table string) string {
	return strings.Replace(strings.Replace(refTable, "TABLE applications", table, 1), " PRIMARY KEY", "", 1)
}

// sqliteMillis and postgresMillis turn the file's RFC 3339 times into the
// milliseconds SIGAP stores, in each engine's SQL.
func sqliteMillis(col string) string { return "unixepoch(" + col + ") * 1000" }

func postgresMillis(col string) string {
	return "(extract(epoch FROM " + col + "::timestamptz) * 1000)::bigint"
}

// stagingToSigap moves the staging table's rows into SIGAP's schema as a
// set: the applications (their key, the office and final-stage indexes)
// and a row of history each (its key, a foreign-key probe). Plain INSERTs:
// the database is new, and ON CONFLICT's checks would cost time (on
// PostgreSQL a fifth more).
func stagingToSigap(millis func(string) string) []string {
	return []string{
		`INSERT INTO applications (number, office, applicant_name, birth_date, passport_type, stage, stage_at, billing_code, billing_expires_at, note, updated_at)
		SELECT application_number, office, applicant_name, birth_date, passport_type, stage, ` + millis("stage_at") + `, coalesce(billing_code, ''),
			coalesce(` + millis("nullif(billing_expires_at, '')") + `, 0), coalesce(note, ''), 0 FROM staging`,
		`INSERT INTO application_stages (number, stage, stage_at, note)
		SELECT application_number, stage, ` + millis("stage_at") + `, coalesce(note, '') FROM staging`,
	}
}

// floor is one floor's timed run.
type floor struct {
	name string
	r    result
}

// floors times the engine's floors on file, each into a new database,
// SIGAP's schema migrated by bin first (untimed).
func floors(ctx context.Context, engine string, i int, file, bin, pgURL, dir string) ([]floor, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var out []floor
	add := func(name string, r result, err error) error {
		if err == nil {
			out = append(out, floor{name, r})
		}
		return err
	}
	migrate := func(database string) error {
		_, err := timed([]string{"SIGAP_DATABASE=" + database, "SIGAP_LOG_LEVEL=warn", "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, bin, "migrate")
		return err
	}
	script := func(name, text string) (string, error) {
		p := filepath.Join(dir, name)
		return p, os.WriteFile(p, []byte(text), 0o600)
	}
	switch engine {
	case "sqlite":
		db := filepath.Join(dir, fmt.Sprintf("floor-%d.db", i))
		defer removeDB(db)
		r, err := timed(nil, self, "-go-floor-rows", fmt.Sprint(goFloorStmtRows), file, db)
		if err := add("go-driver", r, err); err != nil {
			return nil, err
		}
		removeDB(db)
		if err := migrate("sqlite:" + db); err != nil {
			return nil, err
		}
		sc, err := script("floor-sqlite.sql", "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\nPRAGMA foreign_keys=ON;\nPRAGMA temp_store=MEMORY;\n"+
			stagingTable("TEMP TABLE staging")+";\n.import --csv --skip 1 "+file+" staging\nBEGIN;\n"+
			strings.Join(stagingToSigap(sqliteMillis), ";\n")+";\nCOMMIT;\n")
		if err != nil {
			return nil, err
		}
		r, err = timed(nil, "sqlite3", "-bail", db, ".read "+sc)
		if err := add("sqlite3-sigap-schema", r, err); err != nil {
			return nil, err
		}
		removeDB(db)
		if err := migrate("sqlite:" + db); err != nil {
			return nil, err
		}
		r, err = timed(nil, self, "-go-floor-rows", fmt.Sprint(goFloorStmtRows), "-go-floor-sigap", file, db)
		if err := add("go-driver-sigap-schema", r, err); err != nil {
			return nil, err
		}
	case "postgres":
		u, drop, err := freshPostgres(ctx, pgURL)
		if err != nil {
			return nil, err
		}
		defer drop()
		if err := migrate(u); err != nil {
			return nil, err
		}
		sc, err := script("floor-postgres.sql", stagingTable("TEMP TABLE staging")+";\n\\copy staging FROM '"+file+"' CSV HEADER\nBEGIN;\n"+
			strings.Join(stagingToSigap(postgresMillis), ";\n")+";\nCOMMIT;\n")
		if err != nil {
			return nil, err
		}
		r, err := timed(nil, "psql", "-q", "-v", "ON_ERROR_STOP=1", u, "-f", sc)
		if err := add("psql-sigap-schema", r, err); err != nil {
			return nil, err
		}
	}
	return out, nil
}
