package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sigap-id/sigap"
)

func init() {
	addPages(func(c *Console) {
		c.HandleFunc("GET /admin/chats/{office}/{user}", c.chatPage)
		c.HandleFunc("POST /admin/chats/{office}/{user}/reply", c.chatReply)
		c.HandleFunc("POST /admin/chats/{office}/{user}/handback", c.chatHandBack)
	})
	addWords(map[string][2]string{
		"chat.title":          {"Percakapan %s", "Chat with %s"},
		"chat.handed":         {"Diteruskan ke petugas %s lalu. Bot otomatis diam untuk pemohon ini sampai percakapan dikembalikan, pemohon mengetik menu, atau %s lagi.", "Handed to staff %s ago. The bot stays quiet for this applicant until the chat is handed back, they type menu, or in %s."},
		"chat.not_handed":     {"Percakapan ini tidak sedang diteruskan ke petugas: bot otomatis yang menjawab.", "This chat is not handed to staff: the bot answers it."},
		"chat.empty":          {"Belum ada pesan yang tersimpan (pesan lama dihapus sesuai masa simpan).", "No stored messages (old ones are removed after their retention period)."},
		"chat.reply":          {"Balasan", "Reply"},
		"chat.send":           {"Kirim lewat WhatsApp", "Send over WhatsApp"},
		"chat.handback":       {"Kembalikan ke bot", "Hand back to the bot"},
		"chat.handback_help":  {"Bot otomatis akan menjawab pemohon ini lagi.", "The bot will answer this applicant again."},
		"chat.sent":           {"Balasan masuk antrean kirim WhatsApp.", "The reply is queued to be sent over WhatsApp."},
		"chat.sent_template":  {"Jendela 24 jam sudah tutup: yang dikirim adalah template resmi kantor (%s), yang mengajak pemohon membalas. Setelah pemohon membalas, kirim lagi balasan Anda.", "The 24-hour window has closed: the office's approved template (%s) is sent, inviting the applicant to write back. Once they do, send your reply again."},
		"chat.window_open":    {"Jendela 24 jam WhatsApp terbuka sampai %s: balasan bebas bisa dikirim.", "WhatsApp's 24-hour window is open until %s: a free-form reply can be sent."},
		"chat.window_closed":  {"Jendela 24 jam sudah tutup (pesan terakhir pemohon %s lalu).", "The 24-hour window has closed (the applicant's last message was %s ago)."},
		"chat.window_refused": {"Jendela 24 jam sudah tutup: WhatsApp hanya menerima template resmi di luar jendela, dan kantor ini belum mengatur template (whatsapp.reply_template di berkas kantor). Balasan tidak dikirim. Yang bisa dilakukan: tunggu pemohon menulis lagi (jendela terbuka kembali), hubungi pemohon lewat telepon, atau minta admin mengatur template yang disetujui Meta.", "The 24-hour window has closed: outside it WhatsApp takes only approved templates, and this office has none configured (whatsapp.reply_template in the offices file). The reply was not sent. What can be done: wait for the applicant to write again (the window opens again), call them, or ask an admin to configure a template approved by Meta."},
		"chat.handed_back":    {"Percakapan dikembalikan ke bot otomatis.", "The chat is handed back to the bot."},
		"chat.too_long":       {"Balasan kosong atau terlalu panjang (paling banyak 4.096 karakter).", "The reply is empty or too long (at most 4,096 characters)."},
		"chat.staff":          {"petugas", "staff"},
		"chat.bot":            {"bot", "bot"},
		"chat.failed":         {"gagal: %s", "failed: %s"},
		"chat.template":       {"template %s", "template %s"},
		"out.pending":         {"menunggu kirim", "queued"},
		"out.sent":            {"terkirim", "sent"},
		"out.delivered":       {"diterima", "delivered"},
		"out.read":            {"dibaca", "read"},
		"out.failed":          {"gagal", "failed"},
		"kind.text":           {"", ""},
	})
}

// chatHistoryLimit is how many of a chat's newest messages the page shows.
const chatHistoryLimit = 200

type chatData struct {
	Office  sigap.Office
	User    string
	Handed  bool
	Chat    sigap.HandoverChat
	History []sigap.ChatEntry
	// WindowEnds is when the applicant's 24-hour window closes (zero: no
	// message from them stored).
	WindowEnds time.Time
	WindowOpen bool
	LastIn     time.Time
	Flash      string // a words key
	FlashArg   string
	Problem    string // a words key
	Draft      string
}

// chatOffice returns the office in the path if the account may see it.
func (c *Console) pathOffice(r *http.Request) (sigap.Office, bool) {
	a, _ := AccountFrom(r.Context())
	o, ok := c.byCode[r.PathValue("office")]
	if !ok || !a.MaySee(o.Code) {
		return sigap.Office{}, false
	}
	return o, true
}

func (c *Console) chat(r *http.Request, o sigap.Office, user string) (chatData, bool, error) {
	d := chatData{Office: o, User: user}
	ctx := r.Context()
	h, err := c.store.HandoverChat(ctx, o.Code, user, c.now())
	switch {
	case err == nil:
		d.Handed, d.Chat = true, h
	case !errors.Is(err, sigap.ErrNotFound):
		return d, false, err
	}
	if d.History, err = c.store.ChatHistory(ctx, o.Code, user, chatHistoryLimit); err != nil {
		return d, false, err
	}
	if !d.Handed && len(d.History) == 0 {
		return d, false, nil
	}
	conv, err := c.store.Conversation(ctx, o.Code, user)
	if err != nil {
		return d, false, err
	}
	d.LastIn = conv.LastInboundAt
	if !d.LastIn.IsZero() {
		d.WindowEnds = d.LastIn.Add(sigap.CustomerServiceWindow)
		d.WindowOpen = c.now().Before(d.WindowEnds)
	}
	return d, true, nil
}

func (c *Console) chatPage(w http.ResponseWriter, r *http.Request) {
	o, ok := c.pathOffice(r)
	if !ok {
		c.NotFound(w, r)
		return
	}
	d, found, err := c.chat(r, o, r.PathValue("user"))
	if err != nil {
		c.Unavailable(w, r, err)
		return
	}
	if !found {
		c.NotFound(w, r)
		return
	}
	switch q := r.URL.Query(); {
	case q.Get("sent") == "1":
		d.Flash = "chat.sent"
	case q.Get("sent") == "template":
		d.Flash, d.FlashArg = "chat.sent_template", q.Get("t")
	}
	c.Render(w, r, http.StatusOK, "chat", d)
}

// replyText reads and checks a reply form's text.
func replyText(r *http.Request) (string, bool) {
	raw := r.PostFormValue("text")
	if utf8.RuneCountInString(raw) > sigap.MaxTextRunes {
		return "", false
	}
	text := strings.TrimSpace(sigap.CleanText(raw))
	return text, text != ""
}

// prepared asks the office's channel how a message would go out now:
// as it is, as the office's template (returned), or not at all (ok false).
func (c *Console) prepared(o sigap.Office, m sigap.OutboundMessage) (out sigap.OutboundMessage, ok bool) {
	if m.WindowEndsAt.IsZero() || c.now().Before(m.WindowEndsAt) {
		return m, true
	}
	if c.opt.Channel == nil {
		return m, false
	}
	ch, found := c.opt.Channel(o.ChannelName())
	if !found {
		return m, false
	}
	p, err := ch.Prepare(o, m, c.now())
	if err != nil || p.Reply.Template == nil {
		return m, false
	}
	return p, true
}

func (c *Console) chatReply(w http.ResponseWriter, r *http.Request) {
	o, ok := c.pathOffice(r)
	if !ok {
		c.NotFound(w, r)
		return
	}
	user := r.PathValue("user")
	d, found, err := c.chat(r, o, user)
	if err != nil {
		c.Unavailable(w, r, err)
		return
	}
	if !found || !d.Handed {
		c.NotFound(w, r)
		return
	}
	text, ok := replyText(r)
	if !ok {
		d.Problem, d.Draft = "chat.too_long", r.PostFormValue("text")
		c.Render(w, r, http.StatusBadRequest, "chat", d)
		return
	}
	m := sigap.OutboundMessage{Office: o.Code, To: user, Reply: sigap.Reply{Text: text}, WindowEndsAt: d.WindowEnds}
	if d.WindowEnds.IsZero() {
		// No message from them stored: the window cannot be open.
		m.WindowEndsAt = c.now().Add(-time.Second)
	}
	m, ok = c.prepared(o, m)
	if !ok {
		d.Problem, d.Draft = "chat.window_refused", text
		c.Render(w, r, http.StatusConflict, "chat", d)
		return
	}
	if _, err := c.store.Enqueue(r.Context(), []sigap.OutboundMessage{m}); err != nil {
		c.Unavailable(w, r, err)
		return
	}
	if err := c.store.RecordStaffReply(r.Context(), o.Code, user, c.now()); err != nil {
		c.log.Warn("record staff reply", "err", err)
	}
	after := map[string]any{"text": text}
	if m.Reply.Template != nil {
		after["template"] = m.Reply.Template.Name
	}
	_ = c.Audit(r, "chat.reply", o.Code, user, nil, after)
	to := "/admin/chats/" + o.Code + "/" + url.PathEscape(user) + "?sent=1"
	if m.Reply.Template != nil {
		to = "/admin/chats/" + o.Code + "/" + url.PathEscape(user) + "?sent=template&t=" + url.QueryEscape(m.Reply.Template.Name)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (c *Console) chatHandBack(w http.ResponseWriter, r *http.Request) {
	o, ok := c.pathOffice(r)
	if !ok {
		c.NotFound(w, r)
		return
	}
	user := r.PathValue("user")
	was, err := c.store.HandBack(r.Context(), o.Code, user)
	if errors.Is(err, sigap.ErrNotFound) {
		c.NotFound(w, r)
		return
	}
	if err != nil {
		c.Unavailable(w, r, err)
		return
	}
	_ = c.Audit(r, "chat.handback", o.Code, user,
		map[string]any{"handover_since": was.HandoverSince, "handover_until": was.HandoverUntil}, map[string]any{"handover": false})
	http.Redirect(w, r, "/admin/inbox?handedback="+url.QueryEscape(user), http.StatusSeeOther)
}
