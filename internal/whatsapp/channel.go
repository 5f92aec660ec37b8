package whatsapp

import (
	"context"
	"errors"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/sigap-id/sigap"
)

// ChannelName is the Cloud API's name in the offices file (channel:).
const ChannelName = sigap.DefaultChannel

// Channel is the Cloud API as a sigap.Channel: it sends from each office's
// phone number (whatsapp.phone_number_id), with the office's token or
// WHATSAPP_ACCESS_TOKEN, within the number's budget, and knows the Cloud
// API's limits, its 24-hour window and its error codes.
type Channel struct {
	Client *Client
	// Token is WHATSAPP_ACCESS_TOKEN, used where an office names none.
	Token string
	Log   *slog.Logger
}

var _ sigap.Channel = (*Channel)(nil)

// Split cuts a text reply longer than the Cloud API takes into several
// (SplitReply).
func (c *Channel) Split(r sigap.Reply) []sigap.Reply { return SplitReply(r) }

// errOutsideWindow is a reply past the 24-hour customer service window of
// an office without a reply_template: as free text it would fail with
// 131047, so it is not sent.
var errOutsideWindow = errors.New("outside the 24-hour customer service window; no reply_template configured")

// Prepare sends a reply that would fall outside the 24-hour customer
// service window as the office's reply_template, or refuses it.
func (c *Channel) Prepare(office sigap.Office, m sigap.OutboundMessage, now time.Time) (sigap.OutboundMessage, error) {
	if m.WindowEndsAt.IsZero() || !now.After(m.WindowEndsAt) {
		return m, nil
	}
	if office.ReplyTemplate.Name == "" {
		return m, errOutsideWindow
	}
	t := office.ReplyTemplate
	m.Reply = sigap.Reply{Text: m.Reply.Text, Template: &t}
	return m, nil
}

// Budget is the phone number's: whatsapp.messages_per_second.
func (c *Channel) Budget(office sigap.Office) (string, int) {
	return office.PhoneNumberID, office.MessagesPerSecond
}

// Send renders the reply for the Cloud API and sends it.
func (c *Channel) Send(ctx context.Context, office sigap.Office, m sigap.OutboundMessage) (string, error) {
	out, err := Render(m.To, m.Reply)
	if err != nil {
		// The fallback went out instead; the list needs fixing in content.
		c.Log.Warn("reply sent in its plain form", "office", office.Code, "reason", err)
	}
	return c.Client.Send(ctx, office.PhoneNumberID, c.token(office), out)
}

// Classify reads the Graph API's error codes (APIError); any other error
// (the network, a timeout) may pass.
func (c *Channel) Classify(err error, attempt int) sigap.SendFailure {
	if errors.Is(err, errOutsideWindow) {
		return sigap.SendFailure{Permanent: true, Code: 131047}
	}
	var e *APIError
	if !errors.As(err, &e) {
		return sigap.SendFailure{}
	}
	f := sigap.SendFailure{Permanent: e.Permanent(), RetryAfter: e.RetryAfter(attempt), Code: e.Code}
	f.NeedsOperator = f.Permanent && e.NeedsOperator()
	return f
}

// MarkRead marks an inbound message read and shows the typing indicator,
// for offices with whatsapp.mark_read.
func (c *Channel) MarkRead(ctx context.Context, office sigap.Office, m sigap.InboundMessage) error {
	if !office.MarkRead {
		return nil
	}
	return c.Client.Post(ctx, office.PhoneNumberID, c.token(office), ReadReceipt(m.ID, true))
}

func (c *Channel) token(office sigap.Office) string {
	if office.AccessToken != "" {
		return office.AccessToken
	}
	return c.Token
}

// SplitReply cuts a text reply longer than the Cloud API takes into several
// replies, so that nothing is lost to truncation.
func SplitReply(r sigap.Reply) []sigap.Reply {
	if r.List != nil || r.Location != nil || r.Template != nil || utf8.RuneCountInString(r.Text) <= MaxTextRunes {
		return []sigap.Reply{r}
	}
	var out []sigap.Reply
	for _, part := range SplitText(r.Text, MaxTextRunes) {
		out = append(out, sigap.Reply{Text: part})
	}
	return out
}
