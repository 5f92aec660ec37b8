package console

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/sigap-id/sigap"
)

func init() {
	addPages(func(c *Console) {
		c.HandleFunc("GET /admin/inbox", c.inboxPage)
		c.HandleFunc("GET /admin/inbox/items", c.inboxItems)
		c.AddNav(NavInbox, "/admin/inbox")
	})
	addWords(map[string][2]string{
		"inbox.title":              {"Kotak masuk", "Inbox"},
		"inbox.chats":              {"Percakapan dengan petugas", "Chats handed to staff"},
		"inbox.tickets":            {"Tiket terbuka", "Open tickets"},
		"inbox.no_chats":           {"Tidak ada percakapan yang diteruskan ke petugas.", "No chat is handed to staff."},
		"inbox.no_tickets":         {"Tidak ada tiket terbuka.", "No open ticket."},
		"inbox.waiting":            {"menunggu %s", "waiting %s"},
		"inbox.answered":           {"sudah dibalas, menunggu pemohon", "answered, waiting for the applicant"},
		"inbox.last_message":       {"pesan terakhir %s lalu", "last message %s ago"},
		"inbox.bot_back":           {"kembali ke bot otomatis dalam %s", "back to the bot by itself in %s"},
		"inbox.due":                {"target tanggapan %s", "response due %s"},
		"inbox.overdue":            {"lewat target", "overdue"},
		"inbox.auto":               {"Halaman ini diperbarui sendiri tiap 10 detik.", "This page updates itself every 10 seconds."},
		"inbox.count":              {"%d menunggu", "%d waiting"},
		"ticket.kind.suggestion":   {"Saran", "Suggestion"},
		"ticket.kind.aspiration":   {"Aspirasi", "Aspiration"},
		"ticket.kind.appreciation": {"Apresiasi", "Appreciation"},
		"ticket.kind.complaint":    {"Pengaduan", "Complaint"},
		"ticket.state.open":        {"Baru", "New"},
		"ticket.state.in_progress": {"Diproses", "In progress"},
		"ticket.state.answered":    {"Sudah dijawab", "Answered"},
		"ticket.state.closed":      {"Selesai", "Closed"},
	})
}

// inboxData is what the inbox shows: handed-over chats and open tickets of
// the offices the account sees (or the one chosen).
type inboxData struct {
	Chats   []sigap.HandoverChat
	Tickets []sigap.StaffTicket
	Waiting int  // chats waiting for staff and tickets not yet answered
	Many    bool // more than one office: name each item's
}

// maxExcerpt bounds the part of a ticket's text shown in the inbox.
const maxExcerpt = 160

func (c *Console) inbox(r *http.Request) (inboxData, error) {
	var d inboxData
	now := c.now()
	codes := c.OfficeCodes(r)
	d.Many = len(codes) > 1
	for _, code := range codes {
		chats, err := c.store.ListHandovers(r.Context(), code, now)
		if err != nil {
			return d, err
		}
		d.Chats = append(d.Chats, chats...)
		tickets, err := c.store.OpenTickets(r.Context(), code)
		if err != nil {
			return d, err
		}
		d.Tickets = append(d.Tickets, tickets...)
	}
	// Newest waiting first; chats answered and waiting for the applicant
	// after them.
	slices.SortStableFunc(d.Chats, func(a, b sigap.HandoverChat) int {
		if a.Waiting() != b.Waiting() {
			if a.Waiting() {
				return -1
			}
			return 1
		}
		return b.WaitingSince().Compare(a.WaitingSince())
	})
	slices.SortStableFunc(d.Tickets, func(a, b sigap.StaffTicket) int { return cmp.Compare(b.CreatedAt.UnixMilli(), a.CreatedAt.UnixMilli()) })
	for _, ch := range d.Chats {
		if ch.Waiting() {
			d.Waiting++
		}
	}
	for _, t := range d.Tickets {
		if t.FirstAnsweredAt.IsZero() {
			d.Waiting++
		}
	}
	return d, nil
}

func (c *Console) inboxPage(w http.ResponseWriter, r *http.Request) {
	d, err := c.inbox(r)
	if err != nil {
		c.Unavailable(w, r, err)
		return
	}
	v := c.View(r, "inbox", d)
	v.Waiting = d.Waiting
	c.RenderView(w, r, http.StatusOK, v)
}

// inboxItems is the inbox's lists alone, for the page's script to replace
// them every few seconds; X-Waiting carries the count for the title.
func (c *Console) inboxItems(w http.ResponseWriter, r *http.Request) {
	d, err := c.inbox(r)
	if err != nil {
		c.log.Error("inbox", "err", err)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("X-Waiting", strconv.Itoa(d.Waiting))
	c.Partial(w, c.View(r, "inbox", d), "items")
}

// Excerpt returns the start of an applicant's text for a list.
func (v View) Excerpt(s string) string {
	rs := []rune(s)
	if len(rs) <= maxExcerpt {
		return s
	}
	return string(rs[:maxExcerpt]) + "…"
}

// Until says how long until t.
func (v View) Until(t time.Time) string { return v.Dur(t.Sub(v.now)) }
