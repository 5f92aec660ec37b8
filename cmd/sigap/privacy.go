package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/sigap-id/sigap"
)

const privacyUsage = `privacy export WA_ID
       sigap privacy erase WA_ID [--by NAME]

One applicant's data, on their request (UU 27/2022 on personal data
protection; see docs/privacy.md), at every office this database serves.
WA_ID is their WhatsApp number with its country code, with or without "+",
spaces or dashes (+62 812-3456-7890), or a test sender id (sim:…).

export  prints everything stored about WA_ID as JSON on stdout: the messages
        that still name them, conversations, tickets, subscriptions, replies
        and their delivery statuses.
erase   deletes or anonymises all of it in one transaction and prints what
        went, by kind: conversations, subscriptions and replies (those
        waiting to be sent too) are deleted; messages keep only their id, so
        that a redelivery is not answered; tickets keep their kind, state
        and dates for the office's counts. The erasure is recorded with a
        SHA-256 of WA_ID, never WA_ID itself.`

func privacy(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("privacy", privacyUsage, stdout, stderr)
	by := fs.String("by", "", "erase: who erases, for the record (default $USER)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return fs.bad("want export or erase, and a WhatsApp id")
	}
	action := fs.Arg(0)
	if action != "export" && action != "erase" {
		return fs.bad("unknown action %q: want export or erase", action)
	}
	if *by != "" && action != "erase" {
		return fs.bad("--by is for erase")
	}
	waID, err := sigap.ParseWAID(fs.Arg(1))
	if err != nil {
		return fs.bad("%v", err)
	}
	a, err := openWith(ctx, getenv, stderr, false, officesUnused)
	if err != nil {
		return err
	}
	defer a.store.Close()
	if err := a.store.Ready(ctx); err != nil {
		return fmt.Errorf("%w (sigap migrate brings the schema up to date)", err)
	}
	if action == "export" {
		d, err := a.store.ExportSender(ctx, waID)
		if err != nil {
			return err
		}
		return writeExport(stdout, d, a.env.Retention, time.Now())
	}
	if *by == "" {
		*by = getenv("USER")
	}
	if *by == "" {
		*by = "operator"
	}
	removed, err := a.store.EraseSender(ctx, waID, "sigap privacy erase by "+*by, time.Now())
	if err != nil {
		return err
	}
	a.log.Info("erased an applicant's data", "rows", removed.Total())
	return writeErasure(stdout, waID, removed)
}

// writeErasure says what an erasure removed, kind by kind.
func writeErasure(w io.Writer, waID string, r sigap.Removed) error {
	notes := map[string]string{
		"message_texts": "messages: id kept, text and sender blanked",
		"tickets":       "anonymised: kind, state and dates kept",
		"replies":       "those waiting to be sent too",
		"statuses":      "delivery statuses of the replies",
		"audit":         "console audit entries about the sender: who did it kept, subject and words blanked",
	}
	if r.Total() == 0 {
		fmt.Fprintf(w, "nothing is stored about %s; the request is recorded as %s\n", waID, sigap.SubjectHash(waID))
		return nil
	}
	fmt.Fprintf(w, "erased %s: %d rows\n", waID, r.Total())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, k := range r.Kinds() {
		switch {
		case k.Rows > 0 && notes[k.Kind] != "":
			fmt.Fprintf(tw, "  %s\t%d\t%s\n", k.Kind, k.Rows, notes[k.Kind])
		case k.Rows > 0:
			fmt.Fprintf(tw, "  %s\t%d\n", k.Kind, k.Rows)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "recorded as %s\n", sigap.SubjectHash(waID))
	return err
}

// The export's JSON: stable snake_case names, every list present (empty
// rather than null), times in UTC (RFC 3339).
type (
	exportDoc struct {
		WAID          string               `json:"wa_id"`
		ExportedAt    time.Time            `json:"exported_at"`
		Retention     map[string]string    `json:"retention"`
		Messages      []exportMessage      `json:"messages"`
		Conversations []exportConversation `json:"conversations"`
		Tickets       []exportTicket       `json:"tickets"`
		Subscriptions []exportSubscription `json:"subscriptions"`
		Replies       []exportReply        `json:"replies"`
		Statuses      []exportStatus       `json:"statuses"`
	}
	exportMessage struct {
		ID         string            `json:"id"`
		Office     string            `json:"office"`
		ReceivedAt time.Time         `json:"received_at"`
		Answered   bool              `json:"answered"`
		Kind       sigap.MessageKind `json:"kind,omitempty"`
		Text       string            `json:"text,omitempty"`
		ChoiceID   string            `json:"choice_id,omitempty"`
	}
	exportConversation struct {
		Office    string             `json:"office"`
		UpdatedAt time.Time          `json:"updated_at"`
		State     sigap.Conversation `json:"state"`
	}
	exportTicket struct {
		Office    string            `json:"office"`
		Number    string            `json:"number"`
		Kind      sigap.TicketKind  `json:"kind"`
		State     sigap.TicketState `json:"state"`
		Lang      string            `json:"lang,omitempty"`
		Text      string            `json:"text"`
		Reply     string            `json:"reply,omitempty"`
		CreatedAt time.Time         `json:"created_at"`
		UpdatedAt time.Time         `json:"updated_at"`
	}
	exportSubscription struct {
		Office            string    `json:"office"`
		ApplicationNumber string    `json:"application_number"`
		CreatedAt         time.Time `json:"created_at"`
	}
	exportReply struct {
		ID             int64               `json:"id"`
		Office         string              `json:"office"`
		InReplyTo      string              `json:"in_reply_to,omitempty"`
		State          sigap.OutboundState `json:"state"`
		CreatedAt      time.Time           `json:"created_at"`
		DeliveryStatus string              `json:"delivery_status,omitempty"`
		LastError      string              `json:"last_error,omitempty"`
		Reply          sigap.Reply         `json:"reply"`
	}
	exportStatus struct {
		MessageID  string    `json:"message_id"`
		Status     string    `json:"status"`
		At         time.Time `json:"at"`
		ErrorCode  int       `json:"error_code,omitempty"`
		ErrorTitle string    `json:"error_title,omitempty"`
	}
)

// writeExport writes d as the export's JSON, with the periods it is kept for.
func writeExport(w io.Writer, d sigap.SenderData, p sigap.RetentionPolicy, now time.Time) error {
	p = p.OrDefaults()
	doc := exportDoc{
		WAID: d.WAID, ExportedAt: now.UTC(),
		Retention: map[string]string{
			"message_text":  period(p.MessageText),
			"message_ids":   period(p.Messages),
			"replies":       period(p.Replies),
			"conversations": period(p.Conversations) + " after the last message",
			"tickets":       period(p.Tickets) + " after staff answered or closed them",
			"subscriptions": period(p.Subscriptions),
		},
		Messages: []exportMessage{}, Conversations: []exportConversation{}, Tickets: []exportTicket{},
		Subscriptions: []exportSubscription{}, Replies: []exportReply{}, Statuses: []exportStatus{},
	}
	for _, m := range d.Messages {
		doc.Messages = append(doc.Messages, exportMessage{ID: m.Message.ID, Office: m.Message.Office, ReceivedAt: m.ReceivedAt,
			Answered: m.Answered, Kind: m.Message.Kind, Text: m.Message.Text, ChoiceID: m.Message.ChoiceID})
	}
	for _, c := range d.Conversations {
		doc.Conversations = append(doc.Conversations, exportConversation{Office: c.Office, UpdatedAt: c.UpdatedAt, State: c.Conversation})
	}
	for _, t := range d.Tickets {
		doc.Tickets = append(doc.Tickets, exportTicket{Office: t.Office, Number: t.Number, Kind: t.Kind, State: t.State, Lang: t.Lang,
			Text: t.Text, Reply: t.Reply, CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC()})
	}
	for _, s := range d.Subscriptions {
		doc.Subscriptions = append(doc.Subscriptions, exportSubscription{Office: s.Office, ApplicationNumber: s.Number, CreatedAt: s.CreatedAt})
	}
	for _, r := range d.Replies {
		doc.Replies = append(doc.Replies, exportReply{ID: r.ID, Office: r.Office, InReplyTo: r.InReplyTo, State: r.State,
			CreatedAt: r.CreatedAt, DeliveryStatus: r.DeliveryStatus, LastError: r.LastError, Reply: r.Reply})
	}
	for _, st := range d.Statuses {
		doc.Statuses = append(doc.Statuses, exportStatus{MessageID: st.MessageID, Status: st.Status, At: st.At,
			ErrorCode: st.ErrorCode, ErrorTitle: st.ErrorTitle})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// period writes a retention period as an operator sets it: 90d, 36h.
func period(d time.Duration) string {
	if d >= 48*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}
