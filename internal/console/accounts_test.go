package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sigap-id/sigap"
)

var shownPassword = regexp.MustCompile(`<code>([^<]+)</code>`)

func TestAccountsPage(t *testing.T) {
	e := newEnv(t)
	e.account("admin@kanim.go.id", sigap.RoleNationalAdmin, "")
	e.account("kepala@kanim.go.id", sigap.RoleOfficeAdmin, "jakpus")
	budi := e.account("budi@jaksel.go.id", sigap.RoleStaff, "jaksel")
	ctx := context.Background()

	head := e.browser()
	head.login("kepala@kanim.go.id")
	r := head.get("/admin/accounts")
	if r.status != http.StatusOK || strings.Contains(r.body, "budi@jaksel.go.id") || strings.Contains(r.body, "admin@kanim.go.id") {
		t.Fatalf("office admin's accounts page: %d; want its office's accounts only", r.status)
	}
	r = head.post("/admin/accounts", url.Values{"email": {"Siti@Kanim.go.id"}, "role": {"staff"}, "office": {"jakpus"}})
	m := shownPassword.FindStringSubmatch(r.body)
	if r.status != http.StatusOK || m == nil {
		t.Fatalf("create staff: %d; want the password shown once", r.status)
	}
	siti, err := e.store.AccountByEmail(ctx, "siti@kanim.go.id")
	if err != nil || siti.Role != sigap.RoleStaff || siti.Office != "jakpus" {
		t.Fatalf("created account = %+v, %v", siti, err)
	}
	if ok, _ := VerifyPassword(siti.PasswordHash, m[1]); !ok {
		t.Error("the shown password does not sign in")
	}
	// Not theirs to give: another office, a national admin; an existing email.
	for _, form := range []url.Values{
		{"email": {"x@kanim.go.id"}, "role": {"staff"}, "office": {"jaksel"}},
		{"email": {"x@kanim.go.id"}, "role": {"national_admin"}},
		{"email": {"x@kanim.go.id"}, "role": {"staff"}, "office": {"nowhere"}},
		{"email": {"not an email"}, "role": {"staff"}, "office": {"jakpus"}},
	} {
		if r = head.post("/admin/accounts", form); r.status != http.StatusBadRequest {
			t.Errorf("create %v: %d, want 400", form, r.status)
		}
	}
	if r = head.post("/admin/accounts", url.Values{"email": {"siti@kanim.go.id"}, "role": {"staff"}, "office": {"jakpus"}}); r.status != http.StatusConflict {
		t.Errorf("create an existing email: %d, want 409", r.status)
	}
	// Reset: a new password, sessions ended; another office's account is
	// out of reach.
	s := e.browser()
	s.loginWith("siti@kanim.go.id", m[1])
	r = head.post("/admin/accounts/"+itoa(siti.ID)+"/reset", nil)
	if m = shownPassword.FindStringSubmatch(r.body); r.status != http.StatusOK || m == nil {
		t.Fatalf("reset: %d", r.status)
	}
	if r = s.get("/admin/inbox"); r.status != http.StatusSeeOther {
		t.Errorf("the reset account's session still works: %d", r.status)
	}
	if r = head.post("/admin/accounts/"+itoa(budi.ID)+"/reset", nil); r.status != http.StatusNotFound {
		t.Errorf("reset another office's account: %d, want 404", r.status)
	}
	if r = head.post("/admin/accounts/"+itoa(siti.ID)+"/reset", url.Values{"csrf_token": {""}}); r.status != http.StatusForbidden {
		t.Errorf("reset without csrf_token: %d, want 403", r.status)
	}
	log, _ := e.store.AuditLog(ctx, sigap.AuditQuery{})
	if len(log) != 2 || log[0].Action != "account.reset" || log[1].Action != "account.create" || strings.Contains(string(log[0].After), "argon2") {
		t.Errorf("audit log: %d entries; want create and reset, without the hash", len(log))
	}
	// The new password signs in; staff may not manage accounts.
	s.loginWith("siti@kanim.go.id", m[1])
	for _, p := range []string{"/admin/accounts"} {
		if r = s.get(p); r.status != http.StatusForbidden {
			t.Errorf("staff GET %s: %d, want 403", p, r.status)
		}
	}
	s.get("/admin/inbox")
	if r = s.post("/admin/accounts", url.Values{"email": {"y@kanim.go.id"}, "role": {"staff"}, "office": {"jakpus"}}); r.status != http.StatusForbidden {
		t.Errorf("staff creating an account: %d, want 403", r.status)
	}
	if _, err := e.store.AccountByEmail(ctx, "y@kanim.go.id"); err == nil {
		t.Error("staff created an account")
	}
	// The national admin sees every account.
	n := e.browser()
	n.login("admin@kanim.go.id")
	if r = n.get("/admin/accounts"); !strings.Contains(r.body, "budi@jaksel.go.id") || !strings.Contains(r.body, "siti@kanim.go.id") {
		t.Error("national admin's accounts page lacks some accounts")
	}
}
