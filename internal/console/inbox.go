package console

import "net/http"

func init() {
	addPages(func(c *Console) {
		c.HandleFunc("GET /admin/inbox", c.inboxPage)
		c.AddNav(NavInbox, "/admin/inbox")
	})
	addWords(map[string][2]string{
		"inbox.title": {"Kotak masuk", "Inbox"},
		"inbox.empty": {"Tidak ada yang menunggu.", "Nothing is waiting."},
	})
}

func (c *Console) inboxPage(w http.ResponseWriter, r *http.Request) {
	c.Render(w, r, http.StatusOK, "inbox", nil)
}
