package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/demo"
	"github.com/sigap-id/sigap/internal/store/sqlite"
)

// inEmptyDir runs the test in a new, empty working directory and returns
// it, so that a subcommand that opens the default database
// (sqlite:data/sigap.db) leaves a trace there.
func inEmptyDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	return dir
}

// wantNoFiles fails the test if anything was created in dir.
func wantNoFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("%s was created", filepath.Join(dir, e.Name()))
	}
}

func noEnv(string) string { return "" }

// TestHelp: every subcommand's --help and -h print its usage to stdout
// and do nothing else: no database opened or created, nothing logged, success.
func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want string // how stdout starts
	}{
		{[]string{"--help"}, "usage: sigap COMMAND"},
		{[]string{"-h"}, "usage: sigap COMMAND"},
		{[]string{"help"}, "usage: sigap COMMAND"},
		{[]string{"help", "outbox"}, "usage: sigap outbox"},
		{[]string{"serve", "--help"}, "usage: sigap serve"},
		{[]string{"serve", "-h"}, "usage: sigap serve"},
		{[]string{"serve", "--demo", "--help"}, "usage: sigap serve"},
		{[]string{"migrate", "--help"}, "usage: sigap migrate"},
		{[]string{"migrate", "-h"}, "usage: sigap migrate"},
		{[]string{"chat", "--help"}, "usage: sigap chat"},
		{[]string{"chat", "--office", "jakpus", "-h"}, "usage: sigap chat"},
		{[]string{"outbox", "--help"}, "usage: sigap outbox"},
		{[]string{"outbox", "--state", "pending", "-h"}, "usage: sigap outbox"},
		{[]string{"import", "applications", "--help"}, "usage: sigap import applications"},
		{[]string{"import", "applications", "-h"}, "usage: sigap import applications"},
		{[]string{"privacy", "--help"}, "usage: sigap privacy"},
		{[]string{"privacy", "export", "--help"}, "usage: sigap privacy"},
		{[]string{"privacy", "erase", "--help"}, "usage: sigap privacy"},
		{[]string{"user", "--help"}, "usage: sigap user"},
		{[]string{"user", "add", "--email", "a@b.c", "-h"}, "usage: sigap user"},
		{[]string{"token", "--help"}, "usage: sigap token"},
		{[]string{"token", "create", "--name", "x", "--help"}, "usage: sigap token"},
		{[]string{"help", "token"}, "usage: sigap token"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			dir := inEmptyDir(t)
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, noEnv, strings.NewReader(""), &stdout, &stderr)
			if err != nil {
				t.Errorf("run = %v, want success", err)
			}
			if !strings.HasPrefix(stdout.String(), tt.want) {
				t.Errorf("stdout does not start with %q:\n%s", tt.want, stdout.String())
			}
			if stderr.Len() > 0 {
				t.Errorf("stderr, want nothing:\n%s", stderr.String())
			}
			wantNoFiles(t, dir)
		})
	}
}

// TestUsageErrors: a command line that cannot be run is refused before
// anything is opened, with what is wrong and the usage on stderr (exit 2).
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string // in stderr
	}{
		{nil, "usage: sigap COMMAND"},
		{[]string{"serv"}, `unknown command "serv"`},
		{[]string{"help", "serve", "now"}, "usage: sigap COMMAND"},
		{[]string{"serve", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"serve", "now"}, `unexpected argument "now"`},
		{[]string{"serve", "--demo=maybe"}, `invalid boolean value "maybe" for -demo`},
		{[]string{"migrate", "--force"}, "flag provided but not defined: -force"},
		{[]string{"migrate", "down"}, `unexpected argument "down"`},
		{[]string{"chat"}, "--office is required"},
		{[]string{"chat", "--office"}, "flag needs an argument: -office"},
		{[]string{"outbox", "--state", "faild"}, `--state "faild": want failed, pending, doubt, sent or all`},
		{[]string{"outbox", "--state", "all", "--limit", "0"}, "--limit 0: want 1 to 10000"},
		{[]string{"outbox", "--limit", "many"}, `invalid value "many" for flag -limit`},
		{[]string{"outbox", "--to", "+62 812"}, `--to "+62 812": want a WhatsApp id, digits only`},
		{[]string{"outbox", "failed"}, `unexpected argument "failed"`},
		{[]string{"user", "add", "--email", "x", "--role", "staff", "--office", "jakpus"}, `--email: invalid: "x" is not an email address`},
		{[]string{"user", "add", "--email", "a@b.id", "--role", "boss"}, `--role: invalid: unknown role "boss"`},
		{[]string{"user", "add", "--email", "a@b.id", "--role", "staff"}, "role staff needs an office"},
		{[]string{"user", "add", "--email", "a@b.id", "--role", "national_admin", "--office", "jakpus"}, "a national_admin serves every office"},
		{[]string{"user", "remove"}, "want: user add"},
		{[]string{"token"}, "want create, list or revoke"},
		{[]string{"token", "create", "--name", "x"}, "give --office CODE[,CODE] or --all-offices"},
		{[]string{"token", "create", "--name", "x", "--office", "jakpus", "--all-offices"}, "give --office CODE[,CODE] or --all-offices"},
		{[]string{"token", "create", "--name", "Bad Name", "--all-offices"}, `--name "Bad Name"`},
		{[]string{"token", "revoke"}, "want: sigap token revoke NAME"},
		{[]string{"token", "create", "--name", "x", "--office", "Jakpus"}, `--office "Jakpus": an office code is a-z, 0-9 and -`},
		{[]string{"token", "list", "--name", "x"}, "--name, --office and --all-offices are for create"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			dir := inEmptyDir(t)
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, noEnv, strings.NewReader(""), &stdout, &stderr)
			if !errors.Is(err, errUsage) {
				t.Errorf("run = %v, want a usage error (exit 2)", err)
			}
			if !strings.Contains(stderr.String(), tt.want) || !strings.Contains(stderr.String(), "usage: sigap") {
				t.Errorf("stderr does not hold %q and the usage:\n%s", tt.want, stderr.String())
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout, want nothing:\n%s", stdout.String())
			}
			wantNoFiles(t, dir)
		})
	}
}

// TestOfficesRequired: sigap serve and sigap import without SIGAP_OFFICES
// refuse, before they open the database, rather than run on the demo
// offices in production or store rows naming them.
func TestOfficesRequired(t *testing.T) {
	const want = "SIGAP_OFFICES is not set: set it to your offices file, or run with --demo to use the demo offices"
	for _, args := range [][]string{{"serve"}, {"import", "applications", "apps.csv"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			dir := inEmptyDir(t)
			if err := os.WriteFile("apps.csv", []byte(demoCSV), 0o600); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), args, noEnv, strings.NewReader(""), &stdout, &stderr)
			if err == nil || err.Error() != want {
				t.Errorf("without SIGAP_OFFICES = %v, want %q", err, want)
			}
			os.Remove("apps.csv")
			wantNoFiles(t, dir)
		})
	}
}

// demoCSV is one application at a demo office.
const demoCSV = `application_number,office,applicant_name,birth_date,passport_type,stage,stage_at
1060202611000099,jakpus,Budi Santoso,1990-08-17,electronic,registered,2026-01-12T09:05:00+07:00
`

// TestImportDemoOffices: sigap import applications --demo, for trying
// SIGAP out, imports into the demo offices when SIGAP_OFFICES is not set.
func TestImportDemoOffices(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "apps.csv")
	if err := os.WriteFile(csv, []byte(demoCSV), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SIGAP_DATABASE": "sqlite:" + filepath.Join(dir, "sigap.db")}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"import", "applications", "--demo", csv}, func(k string) string { return env[k] },
		strings.NewReader(""), &stdout, &stderr)
	if err != nil {
		t.Fatalf("import --demo: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "1 new") || !strings.Contains(stderr.String(), "using the embedded demo offices") {
		t.Errorf("import --demo printed:\n%s\nand logged:\n%s", stdout.String(), stderr.String())
	}
}

// TestServeDemoOffices: with --demo and no SIGAP_OFFICES, the embedded demo
// offices are used, and the log says so.
func TestServeDemoOffices(t *testing.T) {
	env := map[string]string{
		"SIGAP_ADDR":     "127.0.0.1:0",
		"SIGAP_DATABASE": "sqlite:" + filepath.Join(t.TempDir(), "sigap.db"),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	var log lockedBuffer
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"serve", "--demo"}, func(k string) string { return env[k] }, strings.NewReader(""), outW, &log)
		outW.Close()
		done <- err
	}()
	lines := bufio.NewScanner(outR)
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "SIGAP is running at ") {
		cancel()
		t.Fatalf("serve --demo did not start: %v\n%s", <-done, log.String())
	}
	go io.Copy(io.Discard, outR) //nolint:errcheck
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve --demo: %v", err)
	}
	if !strings.Contains(log.String(), "--demo and no SIGAP_OFFICES: using the embedded demo offices") {
		t.Errorf("the log does not say the demo offices are used:\n%s", log.String())
	}
}

// TestChatDemoOffices: sigap chat, a developer's tool, runs on the demo
// offices without SIGAP_OFFICES, with a warning.
func TestChatDemoOffices(t *testing.T) {
	env := map[string]string{"SIGAP_DATABASE": "sqlite:" + filepath.Join(t.TempDir(), "sigap.db")}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"chat", "--office", "jakpus"}, func(k string) string { return env[k] },
		strings.NewReader("#jam\n"), &stdout, &stderr)
	if err != nil {
		t.Fatalf("chat: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "level=WARN") || !strings.Contains(stderr.String(), "SIGAP_OFFICES is not set: using the embedded demo offices") {
		t.Errorf("no warning about the demo offices:\n%s", stderr.String())
	}
	if !strings.Contains(stdout.String(), "> ") || len(strings.TrimSpace(strings.Trim(stdout.String(), "> \n"))) == 0 {
		t.Errorf("no reply:\n%s", stdout.String())
	}
	err = run(context.Background(), []string{"chat", "--office", "nowhere"}, func(k string) string { return env[k] },
		strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), `--office "nowhere": want one of jakpus`) {
		t.Errorf("chat --office nowhere = %v, want the offices named", err)
	}
}

// TestOutbox runs sigap outbox on a database with replies in every state.
func TestOutbox(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "sigap.db")
	offices := demoOfficesFile(t)
	s, err := sqlite.Open(ctx, db, sqlite.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	deliver := func(id string, replies ...sigap.OutboundMessage) {
		t.Helper()
		in := sigap.InboundMessage{ID: id, Office: "jakpus", From: "6281200000001", At: time.Now(), Kind: sigap.KindText, Text: "halo"}
		if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{in}}); err != nil {
			t.Fatal(err)
		}
		if err := s.CompleteInbound(ctx, id, sigap.Conversation{Office: "jakpus", User: in.From}, replies); err != nil {
			t.Fatal(err)
		}
	}
	reply := func(to, text string) sigap.OutboundMessage {
		return sigap.OutboundMessage{Office: "jakpus", To: to, Reply: sigap.Reply{Text: text}}
	}
	// One reply fails, then 60 are sent: more than a page of the newest.
	deliver("wamid.1", reply("6281299990001", "failed"))
	var later []sigap.OutboundMessage
	for i := range 60 {
		later = append(later, reply(fmt.Sprint("62813", 10000000+i), "sent"))
	}
	deliver("wamid.2", later...)
	deliver("wamid.3", reply("6281299990002", "pending"))
	claimed, err := s.ClaimOutbound(ctx, time.Now().Add(time.Second), time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range claimed {
		switch m.Reply.Text {
		case "failed":
			err = s.MarkFailed(ctx, m.ID, "131026 Message undeliverable")
		case "sent":
			err = s.MarkSent(ctx, m.ID, fmt.Sprint("wamid.out.", m.ID), time.Now())
		default:
			err = s.Release(ctx, m)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// One more is claimed by a sender whose claim ran out 30 s ago without
	// an outcome: it is in doubt.
	deliver("wamid.4", reply("6281299990003", "doubt"))
	claimed, err = s.ClaimOutbound(ctx, time.Now(), -30*time.Second, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range claimed {
		if m.Reply.Text != "doubt" {
			if err := s.Release(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.Close()

	env := map[string]string{"SIGAP_DATABASE": "sqlite:" + db, "SIGAP_LOG_LEVEL": "warn"}
	outbox := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := run(ctx, append([]string{"outbox"}, args...), func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
		return stdout.String() + stderr.String(), err
	}
	out, err := outbox()
	if err != nil {
		t.Fatalf("outbox: %v\n%s", err, out)
	}
	if rows := strings.Split(strings.TrimSpace(out), "\n"); len(rows) != 2 || !strings.Contains(rows[1], "6281*****0001") ||
		!strings.Contains(rows[1], "failed") || !strings.Contains(rows[1], "131026 Message undeliverable") {
		t.Errorf("outbox shows, want the failed reply alone, its number masked:\n%s", out)
	}
	if strings.Contains(out, "6281299990001") {
		t.Errorf("outbox shows a whole number:\n%s", out)
	}
	if out, _ := outbox("--state", "pending", "--to", "6281299990002"); !strings.Contains(out, "6281*****0002") || !strings.Contains(out, "pending") {
		t.Errorf("outbox --state pending --to: %s", out)
	}
	out, _ = outbox("--state", "doubt")
	if rows := strings.Split(strings.TrimSpace(out), "\n"); len(rows) != 2 || !strings.Contains(rows[0], "CLAIM RAN OUT") ||
		!strings.Contains(rows[1], "6281*****0003") || !strings.Contains(rows[1], "pending") {
		t.Errorf("outbox --state doubt shows, want the reply in doubt alone:\n%s", out)
	}
	if out, _ := outbox("--state", "doubt", "--to", "6281299990002"); strings.TrimSpace(out) != "no replies in doubt to 6281*****0002" {
		t.Errorf("outbox --state doubt for none = %q, want it to say there are none", out)
	}
	if out, _ := outbox("--state", "failed", "--to", "6281299990002"); strings.TrimSpace(out) != "no failed replies to 6281*****0002" {
		t.Errorf("outbox for none = %q, want it to say there are none", out)
	}
	out, _ = outbox("--state", "all", "--limit", "5")
	if n := strings.Count(out, "\n"); n != 1+5+1 || !strings.Contains(out, "the newest 5 replies; --limit N shows more") {
		t.Errorf("outbox --state all --limit 5: %d lines, want a header, 5 rows and a note:\n%s", n, out)
	}

	env["SIGAP_OFFICES"] = offices
	if _, err := outbox("--office", "jakpsu"); err == nil || !strings.Contains(err.Error(), `--office "jakpsu": want one of jakpus`) {
		t.Errorf("outbox --office jakpsu = %v, want the offices named", err)
	}
	if _, err := outbox("--office", "jakpus"); err != nil {
		t.Errorf("outbox --office jakpus: %v", err)
	}
}

// demoOfficesFile writes the embedded demo offices to a file, for tests
// that run subcommands which need SIGAP_OFFICES.
func demoOfficesFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "offices.yaml")
	if err := os.WriteFile(path, demo.OfficesYAML, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
