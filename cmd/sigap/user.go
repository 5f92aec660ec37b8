package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/console"
)

const userUsage = `user add --email EMAIL --role ROLE [--office CODE] [--demo]

Creates a staff console account, or resets one: an email that has an
account already gets the new role, office and password, and its sessions
are ended (this is how a forgotten password is replaced).

ROLE is national_admin (every office; no --office), office_admin (one
office: its staff, texts and settings, and the inbox) or staff (one office:
the inbox and applications). --office names an office of SIGAP_OFFICES
(--demo: of the embedded demo offices when SIGAP_OFFICES is not set).

The password is read from standard input (its first line, at least 10
characters). When standard input is a terminal or empty, a random password
is generated and printed once: only its argon2id hash is stored.`

func user(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("user", userUsage, stdout, stderr)
	email := fs.String("email", "", "the account's `EMAIL` (its sign-in name)")
	role := fs.String("role", "", "`ROLE`: national_admin, office_admin or staff")
	office := fs.String("office", "", "the office `CODE` of an office_admin or staff account")
	withDemo := fs.Bool("demo", false, "the embedded demo offices when SIGAP_OFFICES is not set")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || fs.Arg(0) != "add" {
		return fs.bad("want: user add --email EMAIL --role ROLE [--office CODE]")
	}
	addr, err := sigap.NormalizeEmail(*email)
	if err != nil {
		return fs.bad("--email: %v", err)
	}
	r, err := sigap.ParseRole(*role)
	if err != nil {
		return fs.bad("--role: %v", err)
	}
	acct := sigap.Account{Email: addr, Role: r, Office: *office}
	if err := acct.Validate(nil); err != nil {
		return fs.bad("%v", err)
	}
	password, generated, err := readPassword(stdin)
	if err != nil {
		return err
	}
	rule := officesIfSet
	if *withDemo {
		rule = officesOrDemo
	}
	a, err := openWith(ctx, getenv, stderr, false, rule)
	if err != nil {
		return err
	}
	defer a.store.Close()
	if acct.Office != "" {
		if a.offices == nil {
			return fmt.Errorf("--office %s: SIGAP_OFFICES is not set, so no office can be checked (or give --demo for the demo offices)", acct.Office)
		}
		if err := acct.Validate(func(code string) bool { _, ok := a.offices.ByCode(code); return ok }); err != nil {
			return err
		}
	}
	if err := a.store.Ready(ctx); err != nil {
		return fmt.Errorf("%w (sigap migrate brings the schema up to date)", err)
	}
	if acct.PasswordHash, err = console.HashPassword(password); err != nil {
		return err
	}
	before, err := a.store.AccountByEmail(ctx, addr)
	existed := err == nil
	stored, created, err := a.store.PutAccount(ctx, acct)
	if err != nil {
		return err
	}
	ended, err := a.store.DeleteAccountSessions(ctx, stored.ID, a.now())
	if err != nil {
		return err
	}
	action := "account.create"
	if !created {
		action = "account.reset"
	}
	who := getenv("USER")
	if who == "" {
		who = "operator"
	}
	entry := sigap.AuditEntry{At: a.now(), Actor: "sigap user add (" + who + ")", Office: stored.Office, Action: action, Subject: stored.Email}
	entry.After = accountJSON(stored)
	if existed {
		entry.Before = accountJSON(before)
	}
	if err := a.store.RecordAudit(ctx, entry); err != nil {
		return err
	}
	verb := "created"
	if !created {
		verb = fmt.Sprintf("reset (new role, office and password; %d session(s) ended)", ended)
	}
	fmt.Fprintf(stdout, "account %s %s: %s", stored.Email, verb, stored.Role)
	if stored.Office != "" {
		fmt.Fprintf(stdout, " of %s", stored.Office)
	}
	fmt.Fprintln(stdout)
	if generated {
		fmt.Fprintf(stdout, "password (shown once, only its hash is stored): %s\n", password)
	}
	return nil
}

// accountJSON is what the audit log keeps of an account: never its hash.
func accountJSON(a sigap.Account) []byte {
	return fmt.Appendf(nil, `{"id":%d,"email":%q,"role":%q,"office":%q}`, a.ID, a.Email, a.Role, a.Office)
}

// readPassword reads the password from stdin's first line, or generates
// one when stdin is a terminal or empty.
func readPassword(stdin io.Reader) (string, bool, error) {
	if f, ok := stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p, err := console.GeneratePassword()
			return p, true, err
		}
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, console.MaxPasswordLen+2)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", false, fmt.Errorf("read the password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		p, err := console.GeneratePassword()
		return p, true, err
	}
	if err := console.CheckPasswordRules(line); err != nil {
		return "", false, fmt.Errorf("the password on standard input: %w", err)
	}
	return line, false, nil
}
