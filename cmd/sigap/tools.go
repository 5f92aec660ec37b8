package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/importer"
)

func importApplications(ctx context.Context, path string, getenv func(string) string, stdout, stderr io.Writer) error {
	a, err := open(ctx, getenv, stderr, true)
	if err != nil {
		return err
	}
	defer a.store.Close()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	known := func(code string) bool { _, ok := a.offices.ByCode(code); return ok }
	rep, err := importer.Import(ctx, f, known, a.store)
	for _, e := range rep.Errors {
		fmt.Fprintf(stdout, "%s:%v\n", path, strings.TrimPrefix(e.Error(), "line "))
	}
	fmt.Fprintf(stdout, "%s: %d rows: %d new, %d updated, %d unchanged, %d with errors\n",
		path, rep.Rows(), rep.Inserted, rep.Updated, rep.Unchanged, len(rep.Errors))
	if err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	if len(rep.Errors) > 0 {
		return fmt.Errorf("import %s: %d rows not loaded (see above)", path, len(rep.Errors))
	}
	return nil
}

func migrate(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	a, err := open(ctx, getenv, stderr, false)
	if err != nil {
		return err
	}
	defer a.store.Close()
	if err := a.migrations.Up(ctx, a.store.DB(), a.log); err != nil {
		return err
	}
	if err := a.store.Ready(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "database schema is up to date")
	return nil
}

// chat talks to the bot from a terminal, one line a message, through the
// same bot and conversation store as WhatsApp.
func chat(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	officeCode := fs.String("office", "", "office code")
	from := fs.String("from", "6281200000000", "the sender's WhatsApp id")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	a, err := open(ctx, getenv, stderr, true)
	if err != nil {
		return err
	}
	defer a.store.Close()
	office, ok := a.offices.ByCode(*officeCode)
	if !ok {
		return fmt.Errorf("--office %q: want one of %s", *officeCode, officeNames(a.offices))
	}
	proc, err := a.processor()
	if err != nil {
		return err
	}
	in := bufio.NewScanner(stdin)
	n := 0
	for {
		fmt.Fprint(stdout, "> ")
		if !in.Scan() {
			fmt.Fprintln(stdout)
			return in.Err()
		}
		n++
		msg := sigap.InboundMessage{
			ID: fmt.Sprintf("chat.%d.%d", time.Now().UnixNano(), n), Office: office.Code, From: *from,
			At: time.Now().UTC(), Kind: sigap.KindText, Text: in.Text(),
		}
		replies, err := proc.Chat(ctx, office, msg)
		if err != nil {
			return err
		}
		for _, r := range replies {
			fmt.Fprintln(stdout, r.Text)
			fmt.Fprintln(stdout)
		}
	}
}

// outboxReport lists replies that are waiting or could not be sent, so that
// an operator sees failures without reading logs.
func outboxReport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("outbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	office := fs.String("office", "", "only this office")
	state := fs.String("state", "failed", "pending, sent, failed or all")
	limit := fs.Int("limit", 50, "at most this many, newest first")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	a, err := open(ctx, getenv, stderr, false)
	if err != nil {
		return err
	}
	defer a.store.Close()
	if err := a.store.Ready(ctx); err != nil {
		return err
	}
	msgs, err := a.store.Outbound(ctx, *office, 10000)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tOFFICE\tTO\tSTATE\tATTEMPTS\tSTATUS\tCREATED\tLAST ERROR")
	shown := 0
	for i := len(msgs) - 1; i >= 0 && shown < *limit; i-- {
		m := msgs[i]
		if *state != "all" && string(m.State) != *state {
			continue
		}
		shown++
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", m.ID, m.Office, maskNumber(m.To), m.State, m.Attempts,
			m.DeliveryStatus, m.CreatedAt.Local().Format("2006-01-02 15:04"), m.LastError)
	}
	return w.Flush()
}

// maskNumber hides the middle of a phone number: 6281234567890 → 6281*****7890.
func maskNumber(s string) string {
	if len(s) < 9 {
		return s
	}
	return s[:4] + strings.Repeat("*", len(s)-8) + s[len(s)-4:]
}
