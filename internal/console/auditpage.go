package console

import (
	"net/http"
	"strconv"

	"github.com/sigap-id/sigap"
)

func init() {
	addPages(func(c *Console) {
		c.HandleAdmin("GET /admin/audit", http.HandlerFunc(c.auditPage))
		c.AddNav(NavAudit, "/admin/audit")
	})
	addWords(map[string][2]string{
		"audit.title":   {"Log audit", "Audit log"},
		"audit.intro":   {"Setiap perubahan oleh petugas: siapa, apa, kapan, sebelum dan sesudah.", "Every change made by staff: who, what, when, before and after."},
		"audit.when":    {"Waktu", "When"},
		"audit.who":     {"Siapa", "Who"},
		"audit.what":    {"Apa", "What"},
		"audit.office":  {"Kantor", "Office"},
		"audit.subject": {"Objek", "Subject"},
		"audit.before":  {"Sebelum", "Before"},
		"audit.after":   {"Sesudah", "After"},
		"audit.none":    {"Belum ada perubahan tercatat.", "No changes recorded yet."},
		"audit.older":   {"Lebih lama", "Older"},
	})
}

const auditPageSize = 100

type auditData struct {
	Entries []sigap.AuditEntry
	Older   int64 // the id to page on from, 0 when there is no more
}

// auditPage lists the audit log: a national admin every entry (or the
// chosen office's), an office admin its office's.
func (c *Console) auditPage(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	q := sigap.AuditQuery{Limit: auditPageSize}
	if v := r.URL.Query().Get("before"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			c.BadRequest(w, r, "error.bad_request")
			return
		}
		q.BeforeID = id
	}
	switch {
	case a.Role == sigap.RoleNationalAdmin && c.chosenOffice(r, a) == "":
		// every entry, national ones too
	default:
		q.Offices = c.OfficeCodes(r)
		if q.Offices == nil {
			q.Offices = []string{}
		}
	}
	es, err := c.store.AuditLog(r.Context(), q)
	if err != nil {
		c.Unavailable(w, r, err)
		return
	}
	d := auditData{Entries: es}
	if len(es) == auditPageSize {
		d.Older = es[len(es)-1].ID
	}
	c.Render(w, r, http.StatusOK, "audit", d)
}
