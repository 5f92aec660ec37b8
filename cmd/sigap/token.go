package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sigap-id/sigap"
)

const tokenUsage = `token create --name NAME (--office CODE[,CODE] | --all-offices)
       sigap token list
       sigap token revoke NAME

Integration API tokens (/api/v1, see README "Integration API"), one per
upstream system, each scoped to offices.

create  makes a token and prints it on stdout, once: only its SHA-256 is
        stored, so it cannot be shown again (revoke it and create another if
        it is lost). With SIGAP_OFFICES set, every --office must be in the
        offices file.
list    shows every token: name, scope, when created, last used (to the
        minute) and revoked. Never the token.
revoke  stops the named token at once, on every replica; its name stays
        taken and listed.`

// officeCode is the offices file's code syntax, checked even when the file
// is not read.
var officeCode = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)

func tokenCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("token", tokenUsage, stdout, stderr)
	name := fs.String("name", "", "create: the integration's `NAME` (a-z, 0-9, -, _, .)")
	offices := fs.String("office", "", "create: the office `CODE`s the token may write and read, comma-separated")
	all := fs.Bool("all-offices", false, "create: the token may write and read every office")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fs.bad("want create, list or revoke")
	}
	action := fs.Arg(0)
	creating := action == "create"
	switch {
	case action != "create" && action != "list" && action != "revoke":
		return fs.bad("unknown action %q: want create, list or revoke", action)
	case !creating && (*name != "" || *offices != "" || *all):
		return fs.bad("--name, --office and --all-offices are for create")
	case action == "revoke" && fs.NArg() != 2:
		return fs.bad("want: sigap token revoke NAME")
	case action != "revoke" && fs.NArg() != 1:
		return fs.bad("unexpected argument %q", fs.Arg(1))
	}
	var tok sigap.APIToken
	if creating {
		if err := sigap.CheckAPITokenName(*name); err != nil {
			return fs.bad("--name %q: want 1 to %d of a-z, 0-9, -, _ and .", *name, sigap.MaxAPITokenName)
		}
		if *all == (*offices != "") {
			return fs.bad("give --office CODE[,CODE] or --all-offices (one of them)")
		}
		tok = sigap.APIToken{Name: *name, AllOffices: *all}
		for _, c := range strings.Split(*offices, ",") {
			c = strings.TrimSpace(c)
			if c != "" && !officeCode.MatchString(c) {
				return fs.bad("--office %q: an office code is a-z, 0-9 and -", c)
			}
			if c != "" && !slices.Contains(tok.Offices, c) {
				tok.Offices = append(tok.Offices, c)
			}
		}
		slices.Sort(tok.Offices)
		if !*all && len(tok.Offices) == 0 {
			return fs.bad("--office %q: want office codes", *offices)
		}
	}
	a, err := openWith(ctx, getenv, stderr, true, officesIfSet)
	if err != nil {
		return err
	}
	defer a.store.Close()
	switch action {
	case "create":
		if a.offices != nil {
			for _, c := range tok.Offices {
				if _, ok := a.offices.ByCode(c); !ok {
					return fs.bad("--office %q: not in the offices file; want one of %s", c, officeNames(a.offices))
				}
			}
		}
		secret := sigap.NewAPIToken()
		tok.CreatedAt = time.Now()
		if err := a.store.CreateAPIToken(ctx, tok, sigap.HashAPIToken(secret)); err != nil {
			return err
		}
		a.log.Info("api token created", "token", tok.Name, "scope", tok.Scope())
		fmt.Fprintln(stdout, secret)
		fmt.Fprintf(stderr, "token %s created for %s: shown this once, keep it now (only its SHA-256 is stored)\n", tok.Name, tok.Scope())
		return nil
	case "revoke":
		if err := a.store.RevokeAPIToken(ctx, fs.Arg(1), time.Now()); err != nil {
			return err
		}
		a.log.Info("api token revoked", "token", fs.Arg(1))
		fmt.Fprintf(stdout, "token %s revoked\n", fs.Arg(1))
		return nil
	}
	list, err := a.store.ListAPITokens(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "no tokens; sigap token create makes one")
		return nil
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format("2006-01-02 15:04Z")
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSCOPE\tCREATED\tLAST USED\tREVOKED")
	for _, t := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Name, t.Scope(), when(t.CreatedAt), when(t.LastUsedAt), when(t.RevokedAt))
	}
	return tw.Flush()
}
