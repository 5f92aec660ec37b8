package whatsapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/metrics"
	"github.com/sigap-id/sigap/internal/receiver"
)

// MaxBodyBytes caps a delivery. Meta's payloads reach about 3 MB.
const MaxBodyBytes = 4 << 20

// Errors a webhook request can fail with; Webhook maps them to statuses.
var (
	ErrNoSignature  = errors.New("missing X-Hub-Signature-256")
	ErrBadSignature = errors.New("X-Hub-Signature-256 does not match the body")
	ErrMalformed    = errors.New("malformed delivery")
)

// VerifySignature checks Meta's X-Hub-Signature-256 header, an HMAC-SHA256
// of the raw body keyed with the app secret, in constant time.
func VerifySignature(secret string, body []byte, header string) error {
	if header == "" {
		return ErrNoSignature
	}
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok || len(hexSig) != 2*sha256.Size {
		return ErrBadSignature
	}
	var got, want [sha256.Size]byte
	if _, err := hex.Decode(got[:], []byte(hexSig)); err != nil {
		return ErrBadSignature
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(got[:], mac.Sum(want[:0])) {
		return ErrBadSignature
	}
	return nil
}

// Sign returns the X-Hub-Signature-256 value for body, as Meta computes it.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// ParseDelivery decodes a delivery and checks its envelope.
func ParseDelivery(body []byte) (Delivery, error) {
	var d Delivery
	if err := json.Unmarshal(body, &d); err != nil {
		return d, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if d.Object != "whatsapp_business_account" {
		return d, fmt.Errorf("%w: object is %q, want whatsapp_business_account", ErrMalformed, d.Object)
	}
	return d, nil
}

// OfficeByPhone finds the office that owns a Cloud API phone number id.
type OfficeByPhone func(phoneNumberID string) (sigap.Office, bool)

// Inbound returns the messages of a delivery (see ToDelivery).
func Inbound(d Delivery, offices OfficeByPhone, log *slog.Logger) []sigap.InboundMessage {
	return ToDelivery(d, offices, log).Messages
}

// ToDelivery turns a delivery into the domain's: every message of every
// entry and change, the statuses of sent messages and the errors. Messages
// for phone numbers no office owns are skipped (logged), and so are those
// without an id, which could not be deduplicated.
func ToDelivery(d Delivery, offices OfficeByPhone, log *slog.Logger) sigap.Delivery {
	var out sigap.Delivery
	for _, e := range d.Entry {
		for _, ch := range e.Changes {
			if ch.Field != "messages" {
				continue
			}
			v := ch.Value
			office, known := offices(v.Metadata.PhoneNumberID)
			for _, er := range v.Errors {
				log.Warn("whatsapp reported an error", "phone_number_id", v.Metadata.PhoneNumberID,
					"code", er.Code, "title", er.Title, "details", er.ErrorData.Details)
				out.Errors = append(out.Errors, sigap.ChannelError{Office: office.Code, At: time.Now().UTC(),
					Code: er.Code, Title: clean(er.Title), Details: clean(er.ErrorData.Details)})
			}
			for _, st := range v.Statuses {
				if !validID(st.ID) || clean(st.Status) == "" {
					continue
				}
				u := sigap.StatusUpdate{MessageID: st.ID, Status: clean(st.Status), At: unixTime(st.Timestamp), Recipient: cleanSender(st.RecipientID)}
				if ref, ok := sigap.ParseReplyRef(st.BizOpaqueCallbackData); ok && known && ref.Office == office.Code {
					// Only the office's own replies: the number's statuses
					// cannot mark another office's reply sent.
					u.Reply = ref
				}
				if len(st.Errors) > 0 {
					u.ErrorCode, u.ErrorTitle = st.Errors[0].Code, clean(st.Errors[0].Title)
					log.Warn("a sent message failed", "wamid", st.ID, "code", u.ErrorCode, "title", u.ErrorTitle)
				}
				out.Statuses = append(out.Statuses, u)
			}
			if len(v.Messages) == 0 {
				continue
			}
			if !known {
				log.Warn("delivery for a phone number no office owns; ignored",
					"phone_number_id", v.Metadata.PhoneNumberID, "messages", len(v.Messages))
				continue
			}
			for _, m := range v.Messages {
				if !validID(m.ID) {
					log.Warn("message without a usable id ignored", "office", office.Code, "type", clean(m.Type))
					continue
				}
				im := toInbound(m, v.Contacts)
				if !validSender(im.From) {
					log.Warn("message without a usable sender ignored", "office", office.Code, "wamid", m.ID)
					continue
				}
				im.Office = office.Code
				out.Messages = append(out.Messages, im)
			}
		}
	}
	return out
}

func unixTime(s string) time.Time {
	if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(sec, 0).UTC()
	}
	return time.Now().UTC()
}

// onlyUserID returns the user id of the one contact that has no phone
// number (or of the only contact), or "" when that is ambiguous.
func onlyUserID(contacts []Contact) string {
	if len(contacts) == 1 {
		return contacts[0].UserID
	}
	found := ""
	for _, c := range contacts {
		if c.UserID != "" && c.WaID == "" {
			if found != "" {
				return ""
			}
			found = c.UserID
		}
	}
	return found
}

func toInbound(m Message, contacts []Contact) sigap.InboundMessage {
	im := sigap.InboundMessage{ID: m.ID, From: m.From, Kind: sigap.MessageKind(m.Type)}
	if im.From == "" {
		im.From = m.FromUserID
	}
	if im.From == "" {
		// A user with a username may come without a phone number: key them
		// by their business-scoped user id. Without from_user_id, only an
		// unambiguous contact says who wrote.
		im.From = onlyUserID(contacts)
	}
	im.At = unixTime(m.Timestamp)
	switch {
	case m.Text != nil:
		im.Kind, im.Text = sigap.KindText, m.Text.Body
	case m.Interactive != nil && m.Interactive.ListReply != nil:
		im.Kind, im.Text, im.ChoiceID = sigap.KindInteractive, m.Interactive.ListReply.Title, m.Interactive.ListReply.ID
	case m.Interactive != nil && m.Interactive.ButtonReply != nil:
		im.Kind, im.Text, im.ChoiceID = sigap.KindInteractive, m.Interactive.ButtonReply.Title, m.Interactive.ButtonReply.ID
	case m.Button != nil:
		im.Kind, im.Text, im.ChoiceID = sigap.KindButton, m.Button.Text, m.Button.Payload
	}
	for _, media := range []*Media{m.Image, m.Video, m.Document} {
		if media != nil && media.Caption != "" {
			im.Text = media.Caption
		}
	}
	switch im.Kind {
	case sigap.KindText, sigap.KindInteractive, sigap.KindButton, sigap.KindAudio, sigap.KindImage, sigap.KindVideo,
		sigap.KindDocument, sigap.KindSticker, sigap.KindLocation, sigap.KindContacts, sigap.KindReaction:
	default:
		// "unknown", "system", "order", and whatever Meta adds next.
		im.Kind = sigap.KindUnsupported
	}
	im.Text, im.ChoiceID = clean(im.Text), clean(im.ChoiceID)
	return im
}

// Inbox stores a delivery before it is acknowledged (sigap.Inbox does).
type Inbox = receiver.Inbox

// Webhook serves GET (Meta's verification handshake) and POST (deliveries)
// on the Cloud API callback URL.
type Webhook struct {
	AppSecret   string
	VerifyToken string
	Offices     OfficeByPhone
	Inbox       Inbox
	// Received is called after a delivery's new messages are stored, to wake
	// whoever processes them.
	Received func(added int)
	Metrics  *metrics.Metrics
	Log      *slog.Logger
}

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		h.handshake(w, r)
	case http.MethodPost:
		start := time.Now()
		rec := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.deliver(rec, r)
		h.Metrics.Webhook(rec.code, time.Since(start))
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (h *Webhook) handshake(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	token := q.Get("hub.verify_token")
	if h.VerifyToken == "" || q.Get("hub.mode") != "subscribe" ||
		subtle.ConstantTimeCompare([]byte(token), []byte(h.VerifyToken)) != 1 {
		h.Log.Warn("webhook verification refused", "mode", q.Get("hub.mode"), "token_configured", h.VerifyToken != "")
		http.Error(w, "verification refused", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(q.Get("hub.challenge")))
}

func (h *Webhook) deliver(w http.ResponseWriter, r *http.Request) {
	if h.AppSecret == "" {
		h.Log.Error("webhook delivery refused: WHATSAPP_APP_SECRET is not set")
		http.Error(w, "webhook not configured", http.StatusForbidden)
		return
	}
	// A request that cannot be signed is refused before its body is read:
	// reading costs memory, and only Meta can sign.
	sig := r.Header.Get("X-Hub-Signature-256")
	if err := checkSignatureHeader(sig); err != nil {
		h.Log.Warn("webhook signature refused", "err", err, "remote", r.RemoteAddr)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "delivery too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if err := VerifySignature(h.AppSecret, body, sig); err != nil {
		h.Log.Warn("webhook signature refused", "err", err, "remote", r.RemoteAddr)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	d, err := ParseDelivery(body)
	if err != nil {
		h.Log.Warn("webhook delivery refused", "err", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	del := ToDelivery(d, h.Offices, h.Log)
	added := 0
	if len(del.Messages)+len(del.Statuses)+len(del.Errors) > 0 {
		added, err = h.Inbox.SaveDelivery(r.Context(), del)
		if err != nil {
			// Not stored, so not acknowledged: Meta delivers it again later.
			h.Log.Error("cannot store delivery", "err", err, "messages", len(del.Messages), "statuses", len(del.Statuses))
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
	}
	h.Log.Debug("delivery stored", "messages", len(del.Messages), "new", added, "statuses", len(del.Statuses))
	h.Metrics.Inbound(added, len(del.Messages)-added)
	for _, st := range del.Statuses {
		h.Metrics.Status(st.Status)
	}
	if added > 0 && h.Received != nil {
		h.Received(added)
	}
	w.WriteHeader(http.StatusOK)
}

// checkSignatureHeader refuses what cannot be a signature, without the
// body: no header, or not "sha256=" and 64 hex digits.
func checkSignatureHeader(header string) error {
	if header == "" {
		return ErrNoSignature
	}
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok || len(hexSig) != 2*sha256.Size {
		return ErrBadSignature
	}
	for _, c := range []byte(hexSig) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return ErrBadSignature
		}
	}
	return nil
}

// firstRead is the buffer a body is read into first: a delivery of a few
// messages fits, so most are read without growing it.
const firstRead = 8 << 10

// readBody reads the body up to MaxBodyBytes into a buffer that grows with
// what arrives. The announced Content-Length is trusted only to start
// smaller: a connection that announces 4 MiB and sends 200 bytes costs
// 8 KiB, not 4 MiB, until its signature is checked.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	// A body announced smaller than firstRead (nearly every delivery:
	// about 1 KiB) is read into a buffer of its size and a byte more, to
	// see its end: 8 KiB a request, allocated and cleared, cost each
	// delivery a third more time in BenchmarkWebhookServeHTTP.
	size := int64(firstRead)
	if n := r.ContentLength; n >= 0 && n < firstRead {
		size = n + 1
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow by append's rule
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}
