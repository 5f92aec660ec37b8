package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/sigap-id/sigap"
)

func init() {
	addPages(func(c *Console) {
		c.HandleFunc("GET /admin/applications", c.applicationsPage)
		c.HandleFunc("POST /admin/applications/{office}/{number}/stage", c.applicationStage)
		c.AddNav(NavApplications, "/admin/applications")
	})
	addWords(map[string][2]string{
		"apps.title":        {"Permohonan paspor", "Passport applications"},
		"apps.number":       {"Nomor permohonan (16 digit)", "Application number (16 digits)"},
		"apps.search":       {"Cari", "Search"},
		"apps.bad_number":   {"Nomor permohonan harus 16 digit.", "An application number has 16 digits."},
		"apps.not_found":    {"Tidak ada permohonan dengan nomor itu di kantor Anda.", "No application with that number at your offices."},
		"apps.name":         {"Nama pemohon", "Applicant"},
		"apps.birth":        {"Tanggal lahir", "Birth date"},
		"apps.type":         {"Jenis paspor", "Passport type"},
		"apps.stage":        {"Tahap", "Stage"},
		"apps.since":        {"Sejak", "Since"},
		"apps.billing":      {"Kode billing", "Billing code"},
		"apps.note":         {"Catatan untuk pemohon", "Note for the applicant"},
		"apps.history":      {"Riwayat tahap", "Stage history"},
		"apps.correct":      {"Koreksi tahap", "Correct the stage"},
		"apps.correct_help": {"Tercatat di log audit. Pemohon yang berlangganan notifikasi diberi tahu.", "Recorded in the audit log. Applicants who subscribed to notifications are told."},
		"apps.corrected":    {"Tahap permohonan dikoreksi.", "The application's stage is corrected."},
		"apps.unchanged":    {"Tidak ada yang berubah.", "Nothing changed."},
		"apps.bad_stage":    {"Tahap tidak dikenal atau catatan terlalu panjang.", "Unknown stage, or the note is too long."},
	})
}

type appsData struct {
	Query   string
	Problem string
	Flash   string
	Found   bool
	App     sigap.Application
	Office  sigap.Office
	History []sigap.StageChange
	Stages  []sigap.Stage
	// Askers are the senders the bot told this application's status (they
	// looked it up with the right birth date); their chats show what it
	// said.
	Askers []string
}

// digitsOnly keeps the digits of an application number as staff may type
// it (with spaces, dots or dashes).
func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// findApplication looks the number up at the offices the account sees.
func (c *Console) findApplication(r *http.Request, number string) (appsData, error) {
	d := appsData{Query: number, Stages: sigap.Stages}
	a, _ := AccountFrom(r.Context())
	for _, o := range c.Offices(a) {
		app, err := c.store.FindApplication(r.Context(), o.Code, number)
		if errors.Is(err, sigap.ErrNotFound) {
			continue
		}
		if err != nil {
			return d, err
		}
		d.Found, d.App, d.Office = true, app, o
		if d.History, err = c.store.ApplicationHistory(r.Context(), number); err != nil {
			return d, err
		}
		d.Askers, err = c.store.ApplicationAskers(r.Context(), o.Code, number)
		return d, err
	}
	return d, nil
}

func (c *Console) applicationsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("number")
	if q == "" {
		c.Render(w, r, http.StatusOK, "applications", appsData{})
		return
	}
	number := digitsOnly(q)
	if len(q) > 64 || !sigap.ValidApplicationNumber(number) {
		c.Render(w, r, http.StatusBadRequest, "applications", appsData{Query: q, Problem: "apps.bad_number"})
		return
	}
	d, err := c.findApplication(r, number)
	if err != nil {
		c.Unavailable(w, r, err)
		return
	}
	status := http.StatusOK
	if !d.Found {
		d.Problem, status = "apps.not_found", http.StatusNotFound
	}
	switch r.URL.Query().Get("done") {
	case "corrected", "unchanged":
		d.Flash = "apps." + r.URL.Query().Get("done")
	}
	c.Render(w, r, status, "applications", d)
}

// applicationStage corrects an application's stage: a new entry in its
// history, from now, which the notifier tells subscribed applicants.
func (c *Console) applicationStage(w http.ResponseWriter, r *http.Request) {
	o, ok := c.pathOffice(r)
	number := r.PathValue("number")
	if !ok || !sigap.ValidApplicationNumber(number) {
		c.NotFound(w, r)
		return
	}
	app, err := c.store.FindApplication(r.Context(), o.Code, number)
	if errors.Is(err, sigap.ErrNotFound) {
		c.NotFound(w, r)
		return
	}
	if err != nil {
		c.Unavailable(w, r, err)
		return
	}
	before := app
	stage, err := sigap.ParseStage(r.PostFormValue("stage"))
	app.Stage, app.StageAt, app.Note = stage, c.now(), strings.TrimSpace(sigap.CleanText(r.PostFormValue("note")))
	if err == nil {
		err = app.Validate()
	}
	if err != nil {
		d, ferr := c.findApplication(r, number)
		if ferr != nil {
			c.Unavailable(w, r, ferr)
			return
		}
		d.Problem = "apps.bad_stage"
		c.Render(w, r, http.StatusBadRequest, "applications", d)
		return
	}
	res, err := c.store.UpsertApplication(r.Context(), app)
	if err != nil {
		c.Unavailable(w, r, err)
		return
	}
	done := "unchanged"
	if res != sigap.Unchanged {
		done = "corrected"
		_ = c.Audit(r, "application.stage", o.Code, number,
			map[string]any{"stage": before.Stage, "stage_at": before.StageAt, "note": before.Note},
			map[string]any{"stage": app.Stage, "stage_at": app.StageAt, "note": app.Note})
	}
	http.Redirect(w, r, "/admin/applications?number="+number+"&done="+done, http.StatusSeeOther)
}
