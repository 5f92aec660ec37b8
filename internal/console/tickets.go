package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/content"
)

func init() {
	addPages(func(c *Console) {
		c.HandleFunc("GET /admin/tickets/{office}/{number}", c.ticketPage)
		c.HandleFunc("POST /admin/tickets/{office}/{number}/reply", c.ticketReply)
		c.HandleFunc("POST /admin/tickets/{office}/{number}/update", c.ticketUpdate)
		c.HandleFunc("POST /admin/tickets/{office}/{number}/note", c.ticketNote)
	})
	addWords(map[string][2]string{
		"ticket.title":         {"Tiket %s", "Ticket %s"},
		"ticket.from":          {"Dari", "From"},
		"ticket.created":       {"Masuk", "Received"},
		"ticket.due":           {"Target tanggapan pertama", "First response due"},
		"ticket.due_help":      {"3 hari; pengaduan 5 hari (KemenPAN-RB).", "3 days; complaints 5 days (KemenPAN-RB)."},
		"ticket.answered_at":   {"Dijawab pertama", "First answered"},
		"ticket.text":          {"Pesan pemohon", "The applicant's message"},
		"ticket.state":         {"Status", "State"},
		"ticket.assignee":      {"Ditangani oleh", "Assigned to"},
		"ticket.nobody":        {"Belum ada", "Nobody"},
		"ticket.save":          {"Simpan", "Save"},
		"ticket.reply":         {"Tanggapan untuk pemohon", "Reply to the applicant"},
		"ticket.reply_help":    {"Dikirim lewat WhatsApp dan bisa dilihat pemohon dengan #tiket %s.", "Sent over WhatsApp, and shown to the applicant by #tiket %s."},
		"ticket.current_reply": {"Tanggapan tersimpan", "Stored reply"},
		"ticket.send":          {"Kirim tanggapan", "Send reply"},
		"ticket.notes":         {"Catatan internal", "Internal notes"},
		"ticket.notes_help":    {"Hanya untuk petugas; tidak pernah ditampilkan ke pemohon.", "For staff only; never shown to the applicant."},
		"ticket.add_note":      {"Tambah catatan", "Add note"},
		"ticket.no_notes":      {"Belum ada catatan.", "No notes yet."},
		"ticket.chat":          {"Lihat percakapan", "See the chat"},
		"ticket.sent":          {"Tanggapan tersimpan dan masuk antrean kirim WhatsApp.", "The reply is stored and queued to be sent over WhatsApp."},
		"ticket.sent_template": {"Tanggapan tersimpan. Jendela 24 jam sudah tutup: yang dikirim adalah template resmi kantor (%s); pemohon melihat tanggapan dengan #tiket.", "The reply is stored. The 24-hour window has closed: the office's approved template (%s) is sent; the applicant sees the reply with #tiket."},
		"ticket.stored_only":   {"Tanggapan tersimpan dan bisa dilihat pemohon dengan #tiket, tetapi TIDAK dikirim: jendela 24 jam sudah tutup dan kantor ini belum mengatur template resmi (whatsapp.reply_template). Hubungi pemohon lewat telepon bila perlu.", "The reply is stored and the applicant can see it with #tiket, but it was NOT sent: the 24-hour window has closed and this office has no approved template configured (whatsapp.reply_template). Call the applicant if needed."},
		"ticket.updated":       {"Tiket diperbarui.", "Ticket updated."},
		"ticket.noted":         {"Catatan ditambahkan.", "Note added."},
		"ticket.bad_state":     {"Status tidak dikenal.", "Unknown state."},
		"ticket.bad_assignee":  {"Petugas itu tidak ada atau bukan dari kantor ini.", "That staff member does not exist or is not of this office."},
		"ticket.too_long":      {"Isian kosong atau terlalu panjang (tanggapan paling banyak 4.096 karakter, catatan 2.000).", "Empty or too long (a reply at most 4,096 characters, a note 2,000)."},
		"ticket.notes_full":    {"Catatan tiket ini sudah penuh.", "This ticket's notes are full."},
	})
}

// maxNoteRunes bounds one internal note.
const maxNoteRunes = 2000

type ticketData struct {
	Office   sigap.Office
	Ticket   sigap.StaffTicket
	Staff    []sigap.Account // who it may be assigned to
	States   []sigap.TicketState
	HasChat  bool
	Flash    string
	FlashArg string
	Problem  string
}

// AssigneeEmail names the account a ticket is assigned to.
func (d ticketData) AssigneeEmail() string {
	for _, a := range d.Staff {
		if a.ID == d.Ticket.Assignee {
			return a.Email
		}
	}
	if d.Ticket.Assignee != 0 {
		return "#" + strconv.FormatInt(d.Ticket.Assignee, 10)
	}
	return ""
}

// ticketOr404 is the ticket the request names, or false once it has
// answered 404 (no such ticket at an office the account may see) or 503.
func (c *Console) ticketOr404(w http.ResponseWriter, r *http.Request) (ticketData, bool) {
	d, found, err := c.ticket(r)
	if err != nil {
		c.Unavailable(w, r, err)
		return d, false
	}
	if !found {
		c.NotFound(w, r)
		return d, false
	}
	return d, true
}

func (c *Console) ticket(r *http.Request) (ticketData, bool, error) {
	o, ok := c.pathOffice(r)
	if !ok {
		return ticketData{}, false, nil
	}
	number, ok := sigap.ParseTicketNumber(r.PathValue("number"))
	if !ok {
		return ticketData{}, false, nil
	}
	t, err := c.store.StaffTicket(r.Context(), o.Code, number)
	if errors.Is(err, sigap.ErrNotFound) {
		return ticketData{}, false, nil
	}
	if err != nil {
		return ticketData{}, false, err
	}
	d := ticketData{Office: o, Ticket: t, States: sigap.StaffTicketStates}
	staff, err := c.store.ListAccounts(r.Context(), o.Code)
	if err != nil {
		return d, false, err
	}
	d.Staff = staff
	if a, _ := AccountFrom(r.Context()); a.Office == "" && !slices.ContainsFunc(staff, func(s sigap.Account) bool { return s.ID == a.ID }) {
		d.Staff = append(d.Staff, a) // a national admin may take it too
	}
	if h, err := c.store.ChatHistory(r.Context(), o.Code, t.User, 1); err == nil && len(h) > 0 {
		d.HasChat = true
	}
	return d, true, nil
}

func (c *Console) ticketPage(w http.ResponseWriter, r *http.Request) {
	d, ok := c.ticketOr404(w, r)
	if !ok {
		return
	}
	switch q := r.URL.Query().Get("done"); q {
	case "sent", "stored_only", "updated", "noted":
		d.Flash = "ticket." + q
	case "sent_template":
		d.Flash, d.FlashArg = "ticket.sent_template", r.URL.Query().Get("t")
	}
	c.Render(w, r, http.StatusOK, "ticket", d)
}

func ticketURL(t sigap.StaffTicket, done string) string {
	return "/admin/tickets/" + t.Office + "/" + t.Number + "?done=" + done
}

func (c *Console) ticketReply(w http.ResponseWriter, r *http.Request) {
	d, ok := c.ticketOr404(w, r)
	if !ok {
		return
	}
	text, ok := replyText(r)
	if !ok {
		d.Problem = "ticket.too_long"
		c.Render(w, r, http.StatusBadRequest, "ticket", d)
		return
	}
	ctx := r.Context()
	before := d.Ticket
	t, err := c.store.ReplyTicket(ctx, d.Office.Code, before.Number, text, c.now())
	if err != nil {
		c.Unavailable(w, r, err)
		return
	}
	// The reply also goes to the applicant over WhatsApp, in the ticket's
	// language, inside their 24-hour window (or as the office's template).
	conv, err := c.store.Conversation(ctx, t.Office, t.User)
	if err != nil {
		c.Unavailable(w, r, err)
		return
	}
	msg, err := c.opt.Content.Text(t.Lang, "staff_ticket_reply", content.Data{Office: officeName(d.Office), Ticket: t.Number, Reply: text})
	if err != nil {
		c.Unavailable(w, r, fmt.Errorf("ticket reply text: %w", err))
		return
	}
	m := sigap.OutboundMessage{Office: t.Office, To: t.User, Reply: sigap.Reply{Text: msg}}
	m.WindowEndsAt = conv.LastInboundAt.Add(sigap.CustomerServiceWindow)
	if conv.LastInboundAt.IsZero() {
		m.WindowEndsAt = t.CreatedAt.Add(sigap.CustomerServiceWindow)
	}
	done := "sent"
	m, ok = c.prepared(d.Office, m)
	switch {
	case !ok:
		done = "stored_only"
	default:
		if _, err := c.store.Enqueue(ctx, []sigap.OutboundMessage{m}); err != nil {
			c.Unavailable(w, r, err)
			return
		}
		if m.Reply.Template != nil {
			done = "sent_template&t=" + url.QueryEscape(m.Reply.Template.Name)
		}
	}
	after := map[string]any{"reply": t.Reply, "state": t.State, "sent": ok}
	_ = c.Audit(r, "ticket.reply", t.Office, t.Number, map[string]any{"reply": before.Reply, "state": before.State}, after)
	http.Redirect(w, r, ticketURL(t, done), http.StatusSeeOther)
}

func officeName(o sigap.Office) string {
	if o.Name != "" {
		return o.Name
	}
	return o.Code
}

func (c *Console) ticketUpdate(w http.ResponseWriter, r *http.Request) {
	d, ok := c.ticketOr404(w, r)
	if !ok {
		return
	}
	state := sigap.TicketState(r.PostFormValue("state"))
	if !slices.Contains(sigap.StaffTicketStates, state) {
		d.Problem = "ticket.bad_state"
		c.Render(w, r, http.StatusBadRequest, "ticket", d)
		return
	}
	var assignee int64
	if v := r.PostFormValue("assignee"); v != "" && v != "0" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || !slices.ContainsFunc(d.Staff, func(a sigap.Account) bool { return a.ID == id }) {
			d.Problem = "ticket.bad_assignee"
			c.Render(w, r, http.StatusBadRequest, "ticket", d)
			return
		}
		assignee = id
	}
	before := d.Ticket
	t, err := c.store.UpdateTicket(r.Context(), d.Office.Code, before.Number, state, assignee, c.now())
	if err != nil {
		c.Unavailable(w, r, err)
		return
	}
	_ = c.Audit(r, "ticket.update", t.Office, t.Number,
		map[string]any{"state": before.State, "assignee": before.Assignee}, map[string]any{"state": t.State, "assignee": t.Assignee})
	http.Redirect(w, r, ticketURL(t, "updated"), http.StatusSeeOther)
}

func (c *Console) ticketNote(w http.ResponseWriter, r *http.Request) {
	d, ok := c.ticketOr404(w, r)
	if !ok {
		return
	}
	note := strings.TrimSpace(sigap.CleanText(r.PostFormValue("note")))
	if n := utf8.RuneCountInString(note); n == 0 || n > maxNoteRunes {
		d.Problem = "ticket.too_long"
		c.Render(w, r, http.StatusBadRequest, "ticket", d)
		return
	}
	a, _ := AccountFrom(r.Context())
	entry := fmt.Sprintf("[%s %s] %s\n", c.now().In(c.zone()).Format("02-01-2006 15:04"), a.Email, note)
	t, err := c.store.AddTicketNote(r.Context(), d.Office.Code, d.Ticket.Number, entry, c.now())
	if errors.Is(err, sigap.ErrInvalid) {
		d.Problem = "ticket.notes_full"
		c.Render(w, r, http.StatusBadRequest, "ticket", d)
		return
	}
	if err != nil {
		c.Unavailable(w, r, err)
		return
	}
	_ = c.Audit(r, "ticket.note", t.Office, t.Number, nil, map[string]any{"note": note})
	http.Redirect(w, r, ticketURL(t, "noted"), http.StatusSeeOther)
}
