package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sigap-id/sigap"
)

const migrateUsage = `migrate

Brings the database schema (SIGAP_DATABASE) up to date and exits. sigap serve
does this at start unless run with --no-migrate; with several replicas, run
sigap migrate once before starting them.`

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", migrateUsage, stdout, stderr)
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.noArgs(); err != nil {
		return err
	}
	a, err := openWith(ctx, getenv, stderr, false, officesUnused)
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

const chatUsage = `chat --office CODE [--from WA_ID]

Chats with the bot in the terminal, one line a message, through the same bot
and conversation store as WhatsApp; replies are printed, not sent. Without
SIGAP_OFFICES it uses the embedded demo offices, and says so.`

// chat talks to the bot from a terminal, one line a message, through the
// same bot and conversation store as WhatsApp.
func chat(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("chat", chatUsage, stdout, stderr)
	officeCode := fs.String("office", "", "the `CODE` of the office to chat with (required)")
	from := fs.String("from", "6281200000000", "chat as the WhatsApp id `WA_ID`")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.noArgs(); err != nil {
		return err
	}
	if *officeCode == "" {
		return fs.bad("--office is required")
	}
	a, err := openWith(ctx, getenv, stderr, true, officesOrDemoWarn)
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
			At: time.Now().UTC(), Kind: sigap.KindText, Text: sigap.CleanText(in.Text()),
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

const outboxUsage = `outbox [--state failed|pending|doubt|sent|all] [--office CODE] [--to WA_ID] [--limit N]

Lists replies that wait (pending), could not be sent (failed) or were sent,
newest first; the database selects them, however many there are. Recipients'
numbers are masked. doubt lists the pending replies in doubt: a sender
claimed them and its claim ran out without an outcome (it died or stalled,
perhaps mid-send); each waits for its status before its one retry.`

// outboxReport lists replies that are waiting or could not be sent, so that
// an operator sees failures without reading logs.
func outboxReport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("outbox", outboxUsage, stdout, stderr)
	office := fs.String("office", "", "only the replies of the office with this `CODE`")
	state := fs.String("state", "failed", "only replies in this `STATE`: failed, pending, doubt, sent or all")
	to := fs.String("to", "", "only replies to this `WA_ID` (digits, as 6281234567890)")
	limit := fs.Int("limit", 50, fmt.Sprintf("at most `N` replies, newest first (1 to %d)", sigap.MaxOutboxQueryLimit))
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.noArgs(); err != nil {
		return err
	}
	q := sigap.OutboxQuery{Office: *office, State: sigap.OutboundState(*state), To: strings.TrimPrefix(*to, "+"), Limit: *limit}
	switch q.State {
	case "all":
		q.State = ""
	case "doubt":
		q.State, q.InDoubt, q.Now = sigap.OutboundPending, true, time.Now()
	case sigap.OutboundFailed, sigap.OutboundPending, sigap.OutboundSent:
	default:
		return fs.bad("--state %q: want failed, pending, doubt, sent or all", *state)
	}
	if q.Limit < 1 || q.Limit > sigap.MaxOutboxQueryLimit {
		return fs.bad("--limit %d: want 1 to %d", q.Limit, sigap.MaxOutboxQueryLimit)
	}
	if q.To != "" && !isDigits(q.To) {
		return fs.bad("--to %q: want a WhatsApp id, digits only (as 6281234567890)", *to)
	}
	a, err := openWith(ctx, getenv, stderr, false, officesIfSet)
	if err != nil {
		return err
	}
	defer a.store.Close()
	if a.offices != nil && q.Office != "" {
		if _, known := a.offices.ByCode(q.Office); !known {
			return fmt.Errorf("--office %q: want one of %s", q.Office, officeNames(a.offices))
		}
	}
	if err := a.store.Ready(ctx); err != nil {
		return err
	}
	msgs, err := a.store.ListOutbound(ctx, q)
	if err != nil {
		return err
	}
	if len(msgs) == 0 {
		fmt.Fprintf(stdout, "no %s\n", describeOutbox(q))
		return nil
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if q.InDoubt {
		// When the claim ran out says how long the reply has waited for
		// its status; SIGAP_OUTBOX_DOUBT_WAIT after it, it is sent again.
		fmt.Fprintln(w, "ID\tOFFICE\tTO\tSTATE\tATTEMPTS\tCREATED\tCLAIM RAN OUT\tLAST ERROR")
		for _, m := range msgs {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", m.ID, m.Office, maskNumber(m.To), m.State, m.Attempts,
				m.CreatedAt.Local().Format("2006-01-02 15:04"), m.LeaseEnds.Local().Format("2006-01-02 15:04:05"), oneLine(m.LastError))
		}
	} else {
		fmt.Fprintln(w, "ID\tOFFICE\tTO\tSTATE\tATTEMPTS\tSTATUS\tCREATED\tLAST ERROR")
		for _, m := range msgs {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", m.ID, m.Office, maskNumber(m.To), m.State, m.Attempts,
				m.DeliveryStatus, m.CreatedAt.Local().Format("2006-01-02 15:04"), oneLine(m.LastError))
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(msgs) == q.Limit {
		fmt.Fprintf(stdout, "the newest %d %s; --limit N shows more\n", len(msgs), describeOutbox(q))
	}
	return nil
}

// describeOutbox says in words which replies q selects.
func describeOutbox(q sigap.OutboxQuery) string {
	s := "replies"
	switch {
	case q.InDoubt:
		s = "replies in doubt"
	case q.State != "":
		s = string(q.State) + " replies"
	}
	if q.Office != "" {
		s += " of office " + q.Office
	}
	if q.To != "" {
		s += " to " + maskNumber(q.To)
	}
	return s
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// oneLine keeps a stored error on its table row.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// maskNumber hides the middle of a phone number: 6281234567890 → 6281*****7890.
func maskNumber(s string) string {
	if len(s) < 9 {
		return s
	}
	return s[:4] + strings.Repeat("*", len(s)-8) + s[len(s)-4:]
}
