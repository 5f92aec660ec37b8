package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/receiver"
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
	// AppSecret (WHATSAPP_APP_SECRET) and VerifyToken
	// (WHATSAPP_VERIFY_TOKEN) are its webhook's (Webhook): without them
	// deliveries and the handshake are refused.
	AppSecret, VerifyToken string
	Log                    *slog.Logger
}

var (
	_ sigap.Channel     = (*Channel)(nil)
	_ receiver.Receiver = (*Channel)(nil)
)

// WebhookPath is where the Cloud API delivers (SPEC: the callback URL an
// operator gives Meta).
const WebhookPath = "/webhooks/whatsapp"

// ReceivePath implements receiver.Receiver.
func (c *Channel) ReceivePath() string { return WebhookPath }

// Receiver implements receiver.Receiver: the Cloud API's webhook, which
// checks each delivery's signature with AppSecret and answers Meta's
// handshake with VerifyToken.
func (c *Channel) Receiver(w receiver.Wiring) http.Handler {
	if c.AppSecret == "" {
		w.Log.Warn("WHATSAPP_APP_SECRET is not set: webhook deliveries are refused")
	}
	if c.VerifyToken == "" {
		w.Log.Warn("WHATSAPP_VERIFY_TOKEN is not set: the webhook verification handshake is refused")
	}
	return &Webhook{AppSecret: c.AppSecret, VerifyToken: c.VerifyToken, Offices: w.Offices, Inbox: w.Inbox, Metrics: w.Metrics, Log: w.Log}
}

// Split cuts a text reply longer than the Cloud API takes into several
// (SplitReply).
func (c *Channel) Split(r sigap.Reply) []sigap.Reply { return SplitReply(r) }

// errOutsideWindow is a reply past the 24-hour customer service window of
// an office without a reply_template: as free text it would fail with
// 131047, so it is not sent.
var errOutsideWindow = errors.New("outside the 24-hour customer service window; no reply_template configured")

// Prepare sends a reply that would fall outside the 24-hour customer
// service window as the office's reply_template, or refuses it. A reply
// that is a template already (a notification outside the window) goes as
// it is: a template may be sent at any time.
func (c *Channel) Prepare(office sigap.Office, m sigap.OutboundMessage, now time.Time) (sigap.OutboundMessage, error) {
	if m.WindowEndsAt.IsZero() || !now.After(m.WindowEndsAt) || m.Reply.Template != nil {
		return m, nil
	}
	cfg, err := config(office)
	if err != nil {
		return m, err
	}
	if cfg.ReplyTemplate.Name == "" {
		return m, errOutsideWindow
	}
	t := cfg.ReplyTemplate
	m.Reply = sigap.Reply{Text: m.Reply.Text, Template: &t}
	return m, nil
}

// Budget is the phone number's: whatsapp.messages_per_second.
func (c *Channel) Budget(office sigap.Office) (string, int) {
	cfg, err := config(office)
	if err != nil {
		return "", DefaultMessagesPerSecond // Send refuses it
	}
	return cfg.PhoneNumberID, cfg.MessagesPerSecond
}

// Ready says whether the office has a token to send with: its own
// (whatsapp.access_token_env) or WHATSAPP_ACCESS_TOKEN.
func (c *Channel) Ready(office sigap.Office) error {
	cfg, err := config(office)
	if err != nil {
		return err
	}
	if c.Token == "" && cfg.AccessToken == "" {
		return errors.New("WHATSAPP_ACCESS_TOKEN is not set and the office names no whatsapp.access_token_env")
	}
	return nil
}

// Send renders the reply for the Cloud API and sends it.
func (c *Channel) Send(ctx context.Context, office sigap.Office, m sigap.OutboundMessage) (string, error) {
	cfg, err := config(office)
	if err != nil {
		return "", err
	}
	out, err := Render(m.To, m.Reply)
	if err != nil {
		// The fallback went out instead; the list needs fixing in content.
		c.Log.Warn("reply sent in its plain form", "office", office.Code, "reason", err)
	}
	if m.ID > 0 {
		// Its statuses then name it: a send whose answer is lost (a
		// crash, a timeout) is recognised as sent when its status comes.
		out.BizOpaqueCallbackData = sigap.ReplyRef{Office: office.Code, ID: m.ID}.String()
	}
	return c.Client.Send(ctx, cfg.PhoneNumberID, c.token(cfg), out)
}

// Classify reads the Graph API's error codes (APIError); any other error
// (the network, a timeout) may pass.
func (c *Channel) Classify(err error, attempt int) sigap.SendFailure {
	if errors.Is(err, errOutsideWindow) {
		return sigap.SendFailure{Permanent: true, Code: 131047}
	}
	if errors.Is(err, errNoConfig) {
		return sigap.SendFailure{Permanent: true, NeedsOperator: true}
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
	cfg, err := config(office)
	if err != nil || !cfg.MarkRead {
		return err
	}
	return c.Client.Post(ctx, cfg.PhoneNumberID, c.token(cfg), ReadReceipt(m.ID, true))
}

func (c *Channel) token(cfg *Config) string {
	if cfg.AccessToken != "" {
		return cfg.AccessToken
	}
	return c.Token
}

// errNoConfig is an office without Cloud API settings: one whose
// ChannelConfig the offices file did not give this channel.
var errNoConfig = errors.New("the office has no Cloud API settings (whatsapp:)")

// config is the office's Cloud API settings.
func config(office sigap.Office) (*Config, error) {
	cfg, ok := office.ChannelConfig.(*Config)
	if !ok || cfg == nil {
		return nil, fmt.Errorf("office %s: %w", office.Code, errNoConfig)
	}
	return cfg, nil
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
