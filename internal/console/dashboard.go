package console

// The dashboard: how the service is doing, for the office chosen (or the
// account's), or every office for a national admin. Charts are SVG drawn
// on the server (internal/charts); figures come from internal/stats.

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/sigap-id/sigap/internal/charts"
	"github.com/sigap-id/sigap/internal/stats"
)

func (p *extraPages) dashboardRoutes() {
	p.c.HandleFunc("GET /admin/dashboard", p.dashboardPage)
	p.c.AddNav(NavDashboard, "/admin/dashboard")
	addWords(dashboardWords)
}

type dashboardData struct {
	Scope      string // office name, or "" for every office
	Days       int
	Choices    []int
	D          stats.Dashboard
	Share      string
	Median     string
	PerDay     template.HTML
	Services   template.HTML
	Handovers  template.HTML
	Tickets    template.HTML
	Failures   template.HTML
	Unanswered bool
}

func (p *extraPages) dashboardPage(w http.ResponseWriter, r *http.Request) {
	days := 14
	if v := r.FormValue("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 90 {
			p.c.BadRequest(w, r, "error.bad_request")
			return
		}
		days = n
	}
	scope := p.scope(r)
	a, _ := AccountFrom(r.Context())
	if scope != "" && !a.MaySee(scope) {
		p.c.NotFound(w, r)
		return
	}
	loc := time.FixedZone("WIB", 7*3600)
	name := ""
	if scope != "" {
		if o, ok := p.c.Office(scope); ok {
			name = o.Name
			if o.TimeZone != nil {
				loc = o.TimeZone
			}
		}
	}
	d, err := stats.Build(r.Context(), p.c.Store(), scope, p.c.Now(), days, loc)
	if err != nil {
		p.c.Unavailable(w, r, err)
		return
	}
	v := p.c.View(r, "dashboard", nil)
	data := dashboardData{Scope: name, Days: days, Choices: []int{7, 14, 30, 90}, D: d,
		Share: fmt.Sprintf("%.1f%%", 100*d.ShareUnplaced()), Unanswered: d.Answered == 0}
	if d.Answered > 0 {
		data.Median = v.Dur(d.FirstAnswer)
	}
	labels := make([]string, len(d.Days))
	for i, day := range d.Days {
		labels[i] = day[5:] // MM-DD
	}
	data.PerDay = charts.Columns(v.T("dash.per_day"), labels, []charts.Series{
		{Name: v.T("dash.understood"), Values: d.Understood},
		{Name: v.T("dash.not_understood"), Values: d.NotUnderstood},
	})
	var bars []charts.Bar
	for _, s := range d.Services {
		bars = append(bars, charts.Bar{Label: v.serviceName(s.Name), Value: float64(s.Count)})
	}
	data.Services = charts.Bars(v.T("dash.services"), bars)
	data.Handovers = charts.Bars(v.T("dash.handovers"), ageBars(d.Handovers))
	data.Tickets = charts.Bars(v.T("dash.tickets"), ageBars(d.Tickets))
	bars = nil
	for _, f := range d.Failures {
		bars = append(bars, charts.Bar{Label: f.Name, Value: float64(f.Count)})
	}
	data.Failures = charts.Bars(v.T("dash.failures"), bars)
	v.Data = data
	p.c.RenderView(w, r, http.StatusOK, v)
}

func ageBars(ages []stats.Age) []charts.Bar {
	var out []charts.Bar
	for _, a := range ages {
		out = append(out, charts.Bar{Label: a.Label, Value: float64(a.Count)})
	}
	return out
}

var dashboardWords = map[string][2]string{
	"dash.title":          {"Dasbor", "Dashboard"},
	"dash.national":       {"Semua kantor", "Every office"},
	"dash.period":         {"%d hari terakhir", "Last %d days"},
	"dash.messages":       {"Pesan dijawab", "Messages answered"},
	"dash.share":          {"Tidak dipahami", "Not understood"},
	"dash.open_handovers": {"Obrolan menunggu petugas", "Chats waiting for staff"},
	"dash.open_tickets":   {"Tiket terbuka", "Open tickets"},
	"dash.median":         {"Median waktu jawab tiket", "Median time to answer a ticket"},
	"dash.median.none":    {"belum ada tiket dijawab", "no ticket answered yet"},
	"dash.median.note":    {"Dari %d tiket yang dijawab dalam periode ini; untuk tiket yang dijawab sebelum konsol mencatat jawaban pertama, perubahan terakhirnya dipakai.", "Over %d tickets answered in the period; for tickets answered before the console recorded first answers, their last change stands for it."},
	"dash.median.exact":   {"Dari jawaban pertama petugas pada %d tiket dalam periode ini.", "From staff's first answer to %d tickets in the period."},
	"dash.per_day":        {"Pesan per hari", "Messages per day"},
	"dash.understood":     {"dipahami", "understood"},
	"dash.not_understood": {"tidak dipahami", "not understood"},
	"dash.services":       {"Layanan yang diminta", "Services asked for"},
	"dash.handovers":      {"Obrolan diserahkan ke petugas, menurut lama menunggu", "Chats handed to staff, by how long they have waited"},
	"dash.tickets":        {"Tiket terbuka, menurut umur", "Open tickets, by age"},
	"dash.failures":       {"Kegagalan kirim, menurut kode galat", "Delivery failures, by error code"},
	"dash.sources":        {"Sumber: hitungan harian per layanan (disimpan 400 hari), tiket, obrolan, dan balasan gagal (disimpan selama SIGAP_RETAIN_REPLIES, bawaan 30 hari).", "Sources: daily counts by service (kept 400 days), tickets, conversations, and failed replies (kept for SIGAP_RETAIN_REPLIES, 30 days by default)."},
}
