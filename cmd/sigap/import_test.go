package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigap-id/sigap/internal/demo"
)

// TestImportUsage: help and mistakes on the import command line open
// nothing and create nothing.
func TestImportUsage(t *testing.T) {
	for _, tt := range []struct {
		args     []string
		usageErr string // "" for help
	}{
		{[]string{"import", "--help"}, ""},
		{[]string{"import", "applications", "--move-office", "--help"}, ""},
		{[]string{"import", "applications", "apps.csv", "-h"}, ""},
		{[]string{"import"}, "want: sigap import applications FILE"},
		{[]string{"import", "apps.csv"}, "want: sigap import applications FILE"},
		{[]string{"import", "applications"}, "want one FILE, got 0 arguments"},
		{[]string{"import", "applications", "a.csv", "b.csv"}, "want one FILE, got 2 arguments"},
		{[]string{"import", "applications", "--bogus", "a.csv"}, "flag provided but not defined: -bogus"},
		{[]string{"import", "applications", "--move-office=maybe", "a.csv"}, `invalid boolean value "maybe" for -move-office`},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			dir := inEmptyDir(t)
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, noEnv, strings.NewReader(""), &stdout, &stderr)
			if tt.usageErr == "" {
				if err != nil || !strings.HasPrefix(stdout.String(), "usage: sigap import applications [--move-office]") ||
					!strings.Contains(stdout.String(), "-move-office") || stderr.Len() > 0 {
					t.Errorf("run = %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
				}
			} else if !errors.Is(err, errUsage) || !strings.Contains(stderr.String(), tt.usageErr) ||
				!strings.Contains(stderr.String(), "usage: sigap import applications") {
				t.Errorf("run = %v, want a usage error with %q; stderr:\n%s", err, tt.usageErr, stderr.String())
			}
			wantNoFiles(t, dir)
		})
	}
}

// importEnv sets up the demo offices file and a SQLite database in dir.
func importEnv(t *testing.T, dir string) func(string) string {
	t.Helper()
	offices := filepath.Join(dir, "offices.yaml")
	if err := os.WriteFile(offices, demo.OfficesYAML, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SIGAP_OFFICES": offices, "SIGAP_DATABASE": "sqlite:" + filepath.Join(dir, "sigap.db"), "SIGAP_LOG_LEVEL": "warn"}
	return func(k string) string { return env[k] }
}

const importHead = "application_number,office,applicant_name,birth_date,passport_type,stage,stage_at,note\n"

func importRow(i int, office, note string) string {
	return fmt.Sprintf("%016d,%s,Pemohon %d,1990-08-17,electronic,registered,2026-11-20T09:00:00+07:00,%s\n", 1060000000000000+i, office, i, note)
}

func runImport(t *testing.T, getenv func(string) string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"import", "applications"}, args...), getenv, strings.NewReader(""), &stdout, &stderr)
	return stdout.String(), err
}

// TestImportApplications: the operator's view of a file with an
// unterminated quote on line 6 (it used to report "4 rows" for 401) and of
// rows that would move applications to another office.
func TestImportApplications(t *testing.T) {
	dir := t.TempDir()
	getenv := importEnv(t, dir)
	var b strings.Builder
	b.WriteString(importHead)
	for i := 1; i <= 400; i++ {
		note := ""
		if i == 5 {
			note = `"Bawa akta kelahiran`
		}
		b.WriteString(importRow(i, "jakpus", note))
	}
	file := filepath.Join(dir, "apps.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runImport(t, getenv, file)
	want := file + `:6: unterminated quote: the " opened on this line is never closed; the lines after it are read as rows of their own` + "\n" +
		file + ": 400 rows in 401 lines: 399 new, 0 updated, 0 unchanged, 1 not loaded\n"
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
	if err == nil || err.Error() != "import "+file+": 1 rows not loaded (see above)" {
		t.Errorf("err = %v, want 1 row not loaded (exit 1)", err)
	}

	moved := filepath.Join(dir, "moved.csv")
	if err := os.WriteFile(moved, []byte(importHead+importRow(1, "mataram", "")+importRow(2, "jakpus", "")), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runImport(t, getenv, moved)
	want = moved + `:2: application is at office "jakpus", not "mataram"; it is moved to another office only when that is asked for` + "\n" +
		moved + ": 2 rows in 3 lines: 0 new, 0 updated, 1 unchanged, 1 not loaded\n" +
		moved + ": 1 rows name another office than their application's; if those applications moved, import them again with --move-office\n"
	if out != want || err == nil {
		t.Errorf("stdout:\n%s\nwant:\n%s\nerr = %v", out, want, err)
	}
	// The flag after the file works as well as before it.
	out, err = runImport(t, getenv, moved, "--move-office")
	if want := moved + ": 2 rows in 3 lines: 0 new, 1 updated, 1 unchanged, 0 not loaded\n"; out != want || err != nil {
		t.Errorf("--move-office: %v\nstdout:\n%s\nwant:\n%s", err, out, want)
	}
}

// TestImportMissingFile: a wrong path is an error and creates no database.
func TestImportMissingFile(t *testing.T) {
	dir := inEmptyDir(t)
	getenv := func(k string) string {
		if k == "SIGAP_OFFICES" {
			return "/nonexistent/offices.yaml"
		}
		return ""
	}
	if _, err := runImport(t, getenv, "nope.csv"); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want the file's", err)
	}
	wantNoFiles(t, dir)
}

// TestImportNDJSON: a .ndjson file is read as NDJSON, and --format says so
// for any name; errors name the file's lines.
func TestImportNDJSON(t *testing.T) {
	dir := t.TempDir()
	getenv := importEnv(t, dir)
	body := `{"application_number":"1060000000000001","office":"jakpus","applicant_name":"Budi","birth_date":"1990-08-17","passport_type":"electronic","stage":"registered","stage_at":"2026-11-20T09:00:00+07:00"}` + "\n" +
		`{"application_number":"1060000000000002"}` + "\n"
	for _, name := range []string{"apps.ndjson", "apps.txt"} {
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		args := []string{file}
		if name == "apps.txt" {
			args = []string{"--format", "ndjson", file}
		}
		out, err := runImport(t, getenv, args...)
		new := 1
		if name == "apps.txt" {
			new = 0
		}
		want := fmt.Sprintf("%s:2: missing field(s) office, applicant_name, birth_date, passport_type, stage, stage_at\n"+
			"%s: 2 rows in 2 lines: %d new, 0 updated, %d unchanged, 1 not loaded\n", file, file, new, 1-new)
		if out != want || err == nil {
			t.Errorf("%s: %v\n%s\nwant\n%s", name, err, out, want)
		}
	}
	if _, err := runImport(t, getenv, "--format", "xml", filepath.Join(dir, "apps.txt")); !errors.Is(err, errUsage) {
		t.Errorf("--format xml: %v, want a usage error", err)
	}
}
