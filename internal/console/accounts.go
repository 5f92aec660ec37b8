package console

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/sigap-id/sigap"
)

func init() {
	addPages(func(c *Console) {
		c.HandleAdmin("GET /admin/accounts", http.HandlerFunc(c.accountsPage))
		c.HandleAdmin("POST /admin/accounts", http.HandlerFunc(c.accountCreate))
		c.HandleAdmin("POST /admin/accounts/{id}/reset", http.HandlerFunc(c.accountReset))
		c.AddNav(NavAccounts, "/admin/accounts")
	})
	addWords(map[string][2]string{
		"nav.accounts":       {"Akun", "Accounts"},
		"accounts.title":     {"Akun petugas", "Staff accounts"},
		"accounts.none":      {"Belum ada akun.", "No accounts yet."},
		"accounts.add":       {"Tambah akun", "Add an account"},
		"accounts.email":     {"Email", "Email"},
		"accounts.role":      {"Peran", "Role"},
		"accounts.office":    {"Kantor", "Office"},
		"accounts.create":    {"Buat akun", "Create account"},
		"accounts.reset":     {"Kata sandi baru", "New password"},
		"accounts.created":   {"Akun %s dibuat. Kata sandinya (hanya ditampilkan sekali, berikan secara langsung):", "Account %s created. Its password (shown once; hand it over in person):"},
		"accounts.was_reset": {"Kata sandi %s diganti dan semua sesinya diakhiri. Kata sandi baru (hanya ditampilkan sekali):", "The password of %s is replaced and all its sessions ended. The new password (shown once):"},
		"accounts.exists":    {"Sudah ada akun dengan email itu. Gunakan \"Kata sandi baru\" pada akun itu.", "An account with that email exists. Use \"New password\" on it."},
		"accounts.invalid":   {"Email, peran atau kantor tidak valid, atau di luar wewenang Anda.", "The email, role or office is not valid, or not yours to give."},
		"accounts.national":  {"(semua kantor)", "(every office)"},
	})
}

// NavAccounts is the navigation slot of the accounts page (admins only).
const NavAccounts = "accounts"

type accountsData struct {
	Accounts []sigap.Account
	Roles    []sigap.Role // the roles this admin may give
	Offices  []sigap.Office
	// Shown once after a creation or a reset.
	Done     string // words key
	Email    string
	Password string
	Problem  string
	Form     sigap.Account
}

// mayManage says whether admin may create or reset an account like a.
func mayManage(admin, a sigap.Account) bool {
	switch admin.Role {
	case sigap.RoleNationalAdmin:
		return true
	case sigap.RoleOfficeAdmin:
		return a.Role != sigap.RoleNationalAdmin && a.Office == admin.Office
	}
	return false
}

func (c *Console) accounts(r *http.Request) (accountsData, error) {
	admin, _ := AccountFrom(r.Context())
	d := accountsData{Offices: c.Offices(admin)}
	office := admin.Office
	if admin.Role == sigap.RoleNationalAdmin {
		office = c.chosenOffice(r, admin)
		d.Roles = sigap.Roles
	} else {
		d.Roles = []sigap.Role{sigap.RoleOfficeAdmin, sigap.RoleStaff}
	}
	var err error
	d.Accounts, err = c.store.ListAccounts(r.Context(), office)
	return d, err
}

func (c *Console) accountsPage(w http.ResponseWriter, r *http.Request) {
	d, err := c.accounts(r)
	if err != nil {
		c.Unavailable(w, r, err)
		return
	}
	c.Render(w, r, http.StatusOK, "accounts", d)
}

func (c *Console) accountCreate(w http.ResponseWriter, r *http.Request) {
	admin, _ := AccountFrom(r.Context())
	d, err := c.accounts(r)
	if err != nil {
		c.Unavailable(w, r, err)
		return
	}
	email, _ := sigap.NormalizeEmail(r.PostFormValue("email"))
	a := sigap.Account{Email: email, Role: sigap.Role(r.PostFormValue("role")), Office: r.PostFormValue("office")}
	if a.Role == sigap.RoleNationalAdmin {
		a.Office = ""
	}
	d.Form = a
	_, known := c.byCode[a.Office]
	if email == "" || a.Validate(func(code string) bool { return known }) != nil || !mayManage(admin, a) {
		d.Problem, d.Form.Email = "accounts.invalid", r.PostFormValue("email")
		c.Render(w, r, http.StatusBadRequest, "accounts", d)
		return
	}
	switch _, err := c.store.AccountByEmail(r.Context(), email); {
	case err == nil:
		d.Problem = "accounts.exists"
		c.Render(w, r, http.StatusConflict, "accounts", d)
		return
	case !errors.Is(err, sigap.ErrNotFound):
		c.Unavailable(w, r, err)
		return
	}
	c.setPassword(w, r, a, nil, "accounts.created")
}

// setPassword stores a with a new, generated password, ends its sessions,
// audits it and shows the password once.
func (c *Console) setPassword(w http.ResponseWriter, r *http.Request, a sigap.Account, before *sigap.Account, done string) {
	password, err := GeneratePassword()
	if err == nil {
		a.PasswordHash, err = HashPassword(password)
	}
	if err != nil {
		c.Unavailable(w, r, err)
		return
	}
	stored, _, err := c.store.PutAccount(r.Context(), a)
	if err != nil {
		c.Unavailable(w, r, err)
		return
	}
	if _, err := c.store.DeleteAccountSessions(r.Context(), stored.ID, c.now()); err != nil {
		c.Unavailable(w, r, err)
		return
	}
	action := "account.create"
	var was any
	if before != nil {
		action, was = "account.reset", auditAccount(*before)
	}
	_ = c.Audit(r, action, stored.Office, stored.Email, was, auditAccount(stored))
	d, err := c.accounts(r)
	if err != nil {
		c.Unavailable(w, r, err)
		return
	}
	d.Done, d.Email, d.Password = done, stored.Email, password
	w.Header().Set("Cache-Control", "no-store")
	c.Render(w, r, http.StatusOK, "accounts", d)
}

// auditAccount is what the audit log keeps of an account: never its hash.
func auditAccount(a sigap.Account) map[string]any {
	return map[string]any{"id": a.ID, "email": a.Email, "role": a.Role, "office": a.Office}
}

func (c *Console) accountReset(w http.ResponseWriter, r *http.Request) {
	admin, _ := AccountFrom(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		c.NotFound(w, r)
		return
	}
	a, err := c.store.AccountByID(r.Context(), id)
	if errors.Is(err, sigap.ErrNotFound) || (err == nil && !mayManage(admin, a)) {
		c.NotFound(w, r)
		return
	}
	if err != nil {
		c.Unavailable(w, r, err)
		return
	}
	c.setPassword(w, r, a, &a, "accounts.was_reset")
}
