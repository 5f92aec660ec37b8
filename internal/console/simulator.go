package console

// The simulator as a page of the console: signed-in staff talk to their
// offices' bot as test senders ("sim:" ids, kept apart from WhatsApp's and
// removed early), through the same engine. Outside serve --demo this is
// the only simulator, because it answers status questions without
// WhatsApp's proof of the sender's number.

import (
	"html/template"
	"net/http"

	"github.com/sigap-id/sigap/internal/web"
)

func (p *extraPages) simulatorRoutes() {
	c := p.c
	sim := p.x.Simulator
	sim.Allowed = func(r *http.Request) func(string) bool {
		a, ok := AccountFrom(r.Context())
		return func(code string) bool { return ok && a.MaySee(code) }
	}
	c.HandleFunc("GET /admin/simulator", p.simulatorPage)
	// Writes pass the console's CSRF check: the page's script sends the
	// token as X-CSRF-Token.
	c.HandleFunc("POST /admin/simulator/messages", sim.ServeMessage)
	c.Handle("GET /admin/simulator/static/", http.StripPrefix("/admin/simulator", web.StaticHandler()))
	c.AddNav(NavSimulator, "/admin/simulator")
	addWords(map[string][2]string{
		"sim.title": {"Simulator", "Simulator"},
		"sim.intro": {"Bicara dengan bot kantor Anda sebagai pengirim uji, lewat mesin yang sama dengan WhatsApp. Balasan tidak dikirim ke WhatsApp; percakapan uji dihapus setelah 24 jam.", "Talk to your office's bot as a test sender, through the same engine as WhatsApp. Replies are not sent to WhatsApp; test conversations are deleted after 24 hours."},
	})
}

type simulatorData struct{ Phone template.HTML }

func (p *extraPages) simulatorPage(w http.ResponseWriter, r *http.Request) {
	phone, err := p.x.Simulator.Phone(r, "/admin/simulator/messages", CSRFToken(r.Context()), p.c.view(r, "simulator", nil).Lang)
	if err != nil {
		p.c.Unavailable(w, r, err)
		return
	}
	p.c.Render(w, r, http.StatusOK, "simulator", simulatorData{Phone: phone})
}
