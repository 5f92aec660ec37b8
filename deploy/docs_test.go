package deploy_test

import (
	"encoding/csv"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/config"
	"github.com/sigap-id/sigap/internal/content"
	"github.com/sigap-id/sigap/internal/whatsapp"
)

// The operator documentation is checked against the code it describes, so
// that a field or column added later without its documentation fails here.

func readDoc(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// fenced returns the n-th (from 0) fenced block after heading in doc,
// without the indentation of its fence.
func fenced(t *testing.T, doc, heading string, n int) string {
	t.Helper()
	i := strings.Index(doc, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("no heading %q", heading)
	}
	var (
		body   strings.Builder
		indent string
		inside bool
	)
	for line := range strings.Lines(doc[i+1:]) {
		trimmed := strings.TrimLeft(line, " ")
		switch {
		case !inside && strings.HasPrefix(trimmed, "```"):
			inside, indent = true, line[:len(line)-len(trimmed)]
		case inside && strings.HasPrefix(trimmed, "```"):
			if n == 0 {
				return body.String()
			}
			inside = false
			n--
			body.Reset()
		case inside:
			body.WriteString(strings.TrimPrefix(line, indent))
		}
	}
	t.Fatalf("%q: fewer fenced blocks than wanted, or one not closed", heading)
	return ""
}

// officeField is a field the offices file accepts, by its dotted path; in
// names a type of the root package it belongs to (Location, OfficeLimits).
type officeField struct{ path, leaf, in string }

// channelSettings are the channels' settings fields of an office (each
// channel's sigap.ChannelSettings): the field, and the file and struct
// type that name what it holds.
var channelSettings = []struct{ field, file, typ string }{
	{"whatsapp", "../internal/whatsapp/settings.go", "Settings"},
}

// structTypes reads the struct types of Go files by name.
func structTypes(t *testing.T, files ...string) map[string]*ast.StructType {
	t.Helper()
	fset := token.NewFileSet()
	types := map[string]*ast.StructType{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TypeSpec); ok {
				if st, ok := ts.Type.(*ast.StructType); ok {
					types[ts.Name.Name] = st
				}
			}
			return true
		})
	}
	return types
}

// officeFields reads the yaml tags of the offices file's office entry
// (internal/config), of the channels' settings, and of the root package's
// types they use.
func officeFields(t *testing.T) []officeField {
	t.Helper()
	files, err := filepath.Glob("../*.go")
	if err != nil {
		t.Fatal(err)
	}
	types := structTypes(t, files...)
	entry := structTypes(t, "../internal/config/offices.go")["officeEntry"]
	if entry == nil {
		t.Fatal("internal/config/offices.go has no officeEntry: where is the offices file read now?")
	}
	var out []officeField
	var walk func(st *ast.StructType, prefix, in string)
	walk = func(st *ast.StructType, prefix, in string) {
		for _, f := range st.Fields.List {
			if f.Tag == nil {
				continue
			}
			tag, _ := strconv.Unquote(f.Tag.Value)
			name, _, _ := strings.Cut(reflect.StructTag(tag).Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			typ := f.Type
			if star, ok := typ.(*ast.StarExpr); ok {
				typ = star.X
			}
			switch x := typ.(type) {
			case *ast.StructType:
				walk(x, prefix+name+".", in)
				continue
			case *ast.SelectorExpr:
				if st := types[x.Sel.Name]; st != nil {
					walk(st, prefix+name+".", x.Sel.Name)
					continue
				}
			}
			out = append(out, officeField{prefix + name, name, in})
		}
	}
	walk(entry, "", "")
	for _, cs := range channelSettings {
		st := structTypes(t, cs.file)[cs.typ]
		if st == nil {
			t.Fatalf("%s has no %s: where are an office's %s: settings read now?", cs.file, cs.typ, cs.field)
		}
		walk(st, cs.field+".", "")
	}
	return out
}

// channels are the channels an offices file may name in these tests.
var channels = map[string]sigap.Channel{whatsapp.ChannelName: &whatsapp.Channel{}}

// TestOfficesReferenceIsWhole: docs/offices.md names every field the
// offices file accepts and every service an office may add keywords to.
func TestOfficesReferenceIsWhole(t *testing.T) {
	doc := readDoc(t, "docs/offices.md")
	fields := officeFields(t)
	if len(fields) < 10 {
		t.Fatalf("found only %d fields of the offices file: %v", len(fields), fields)
	}
	for _, f := range fields {
		// A field of a shared type may be named by itself inside its
		// parent's row ("latitude" in location's).
		if !strings.Contains(doc, "`"+f.path+"`") && (f.in == "" || !strings.Contains(doc, "`"+f.leaf+"`")) {
			t.Errorf("docs/offices.md does not describe the offices file's field %s", f.path)
		}
	}
	cat, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, intent := range cat.Intents() {
		if !strings.Contains(doc, "`"+intent+"`") {
			t.Errorf("docs/offices.md does not list the service %s (keywords:)", intent)
		}
	}
}

// TestOfficesReferenceExamples: the whole office in docs/offices.md is a
// valid offices file holding every field, and the mistakes it shows are
// reported as it says.
func TestOfficesReferenceExamples(t *testing.T) {
	doc := readDoc(t, "docs/offices.md")
	whole := fenced(t, doc, "## A whole office", 0)
	env := map[string]string{"JAKPUS_WA_TOKEN": "token"}
	if _, err := config.ParseOffices("docs/offices.md", []byte(whole), func(k string) string { return env[k] }, channels); err != nil {
		t.Errorf("the whole office in docs/offices.md is not valid:\n%v", err)
	}
	for _, f := range officeFields(t) {
		if f.in == "Location" {
			continue // written inline: {latitude: ..., longitude: ...}
		}
		parts := strings.Split(f.path, ".")
		key := parts[len(parts)-1]
		if f.in != "" {
			key = parts[len(parts)-2] // limits:, reply_template: hold theirs inline
		}
		if !regexp.MustCompile(`(?m)^\s+(- )?` + regexp.QuoteMeta(key) + `:`).MatchString(whole) {
			t.Errorf("the whole office in docs/offices.md has no %s", f.path)
		}
	}

	bad := fenced(t, doc, "## Checked at start", 0)
	want := strings.TrimPrefix(strings.TrimSpace(fenced(t, doc, "## Checked at start", 1)), "sigap: ")
	_, err := config.ParseOffices("/etc/sigap/offices.yaml", []byte(bad), func(string) string { return "" }, channels)
	if err == nil || err.Error() != want {
		t.Errorf("the mistakes shown in docs/offices.md are reported as\n%v\nnot as the page says:\n%s", err, want)
	}
}

// TestREADMEDescribesTheCSV: the README's applications CSV section lists
// every column with the limits the code enforces and every stage code, and
// its example rows are valid applications.
func TestREADMEDescribesTheCSV(t *testing.T) {
	readme := readDoc(t, "README.md")
	i := strings.Index(readme, "\n### The applications CSV\n")
	if i < 0 {
		t.Fatal("README.md has no section \"The applications CSV\"")
	}
	section := readme[i:]
	section = section[:strings.Index(section, "\n## ")]
	rows := map[string]string{}
	for line := range strings.Lines(section) {
		if m := regexp.MustCompile("^\\| `([a-z_]+)` \\|").FindStringSubmatch(line); m != nil {
			rows[m[1]] = line
		}
	}
	for _, col := range sigap.ApplicationFields {
		if rows[col] == "" {
			t.Errorf("README.md's CSV table has no column %s", col)
		}
	}
	for _, st := range sigap.Stages {
		if rows[string(st)] == "" {
			t.Errorf("README.md's stage table has no stage %s", st)
		}
	}
	for col, limit := range map[string]int{
		"applicant_name": sigap.MaxApplicantNameRunes, "note": sigap.MaxNoteRunes,
		"office": sigap.MaxOfficeCodeRunes, "billing_code": sigap.BillingCodeLen,
		"application_number": sigap.ApplicationNumberLen,
	} {
		if !strings.Contains(rows[col], "| "+strconv.Itoa(limit)+" ") {
			t.Errorf("README.md: column %s's limit is %d, the row says: %s", col, limit, rows[col])
		}
	}

	example := fenced(t, readme, "### The applications CSV", 0)
	r := csv.NewReader(strings.NewReader(example))
	records, err := r.ReadAll()
	if err != nil || len(records) < 2 {
		t.Fatalf("README.md's example CSV: %v (%d records)", err, len(records))
	}
	if !slices.Equal(records[0], sigap.ApplicationFields) {
		t.Errorf("README.md's example header %v, want %v", records[0], sigap.ApplicationFields)
	}
	for n, rec := range records[1:] {
		v := map[string]string{}
		for i, col := range records[0] {
			v[col] = rec[i]
		}
		at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339, s); return tm }
		birth, _ := time.Parse(time.DateOnly, v["birth_date"])
		a := sigap.Application{
			Number: v["application_number"], Office: v["office"], ApplicantName: v["applicant_name"],
			BirthDate: birth, PassportType: sigap.PassportType(v["passport_type"]), Stage: sigap.Stage(v["stage"]),
			StageAt: at(v["stage_at"]), BillingCode: v["billing_code"], BillingExpiresAt: at(v["billing_expires_at"]), Note: v["note"],
		}
		if err := a.Validate(); err != nil {
			t.Errorf("README.md's example row %d: %v", n+1, err)
		}
	}
}

// TestDeploymentGuideStepsAreTheUnits: the steps docs/deployment.md gives
// are the ones in the units' headers, which TestInstallSteps follows.
func TestDeploymentGuideStepsAreTheUnits(t *testing.T) {
	doc := readDoc(t, "docs/deployment.md")
	for heading, unit := range map[string]string{
		"## One server with systemd (Debian)": "sigap.service",
		"## Running N replicas on PostgreSQL": "sigap@.service",
	} {
		var got []string
		for line := range strings.Lines(fenced(t, doc, heading, 0)) {
			if i := strings.Index(line, " #"); i >= 0 {
				line = line[:i]
			}
			if line = strings.TrimSpace(line); line != "" {
				got = append(got, line)
			}
		}
		if want := installSteps(t, unit); !slices.Equal(got, want) {
			t.Errorf("docs/deployment.md (%s) gives the steps\n%s\nbut %s's header\n%s",
				heading, strings.Join(got, "\n"), unit, strings.Join(want, "\n"))
		}
	}
}
