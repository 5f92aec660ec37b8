package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
)

// testAccounts: an account is stored by its email, found by email and id,
// listed by office; putting it again replaces its role, office and hash
// and keeps its id and language.
func testAccounts(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	a, created, err := s.PutAccount(ctx, sigap.Account{Email: " Siti@Kanim.go.id", Role: sigap.RoleStaff, Office: "jakpus", PasswordHash: "$argon2id$x"})
	if err != nil || !created || a.ID == 0 || a.Email != "siti@kanim.go.id" {
		t.Fatalf("PutAccount = %+v, %v, %v; want a new account with an id and its email in lower case", a, created, err)
	}
	if _, _, err := s.PutAccount(ctx, sigap.Account{Email: "x@y.id", Role: sigap.RoleStaff, PasswordHash: "h"}); !errors.Is(err, sigap.ErrInvalid) {
		t.Errorf("staff without an office: %v, want ErrInvalid", err)
	}
	if _, _, err := s.PutAccount(ctx, sigap.Account{Email: "x@y.id", Role: sigap.RoleStaff, Office: "jakpus"}); !errors.Is(err, sigap.ErrInvalid) {
		t.Errorf("no password hash: %v, want ErrInvalid", err)
	}
	if err := s.SetAccountLang(ctx, a.ID, "en"); err != nil {
		t.Fatal(err)
	}
	b, created, err := s.PutAccount(ctx, sigap.Account{Email: "siti@kanim.go.id", Role: sigap.RoleOfficeAdmin, Office: "jaksel", PasswordHash: "$argon2id$y"})
	if err != nil || created || b.ID != a.ID || b.Role != sigap.RoleOfficeAdmin || b.Office != "jaksel" || b.PasswordHash != "$argon2id$y" || b.Lang != "en" {
		t.Fatalf("PutAccount again = %+v, %v, %v; want the same account replaced, language kept", b, created, err)
	}
	got, err := s.AccountByEmail(ctx, "siti@kanim.go.id")
	if err != nil || got.ID != a.ID || got.Role != sigap.RoleOfficeAdmin {
		t.Errorf("AccountByEmail = %+v, %v", got, err)
	}
	if got, err := s.AccountByID(ctx, a.ID); err != nil || got.Email != "siti@kanim.go.id" {
		t.Errorf("AccountByID = %+v, %v", got, err)
	}
	if _, err := s.AccountByEmail(ctx, "nobody@kanim.go.id"); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("unknown email: %v, want ErrNotFound", err)
	}
	if _, err := s.AccountByID(ctx, a.ID+1000); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("unknown id: %v, want ErrNotFound", err)
	}
	if _, _, err := s.PutAccount(ctx, sigap.Account{Email: "admin@kanim.go.id", Role: sigap.RoleNationalAdmin, PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	all, err := s.ListAccounts(ctx, "")
	if err != nil || len(all) != 2 || all[0].Email != "admin@kanim.go.id" {
		t.Errorf("ListAccounts(all) = %+v, %v; want both, by email", all, err)
	}
	jaksel, err := s.ListAccounts(ctx, "jaksel")
	if err != nil || len(jaksel) != 1 || jaksel[0].ID != a.ID {
		t.Errorf("ListAccounts(jaksel) = %+v, %v", jaksel, err)
	}
	if err := s.SetAccountLang(ctx, a.ID+1000, "en"); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("SetAccountLang(unknown) = %v, want ErrNotFound", err)
	}
}

// testSessions: a session is found by its token hash, touched, deleted
// alone or with all of its account's.
func testSessions(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	a, _, err := s.PutAccount(ctx, sigap.Account{Email: "budi@kanim.go.id", Role: sigap.RoleStaff, Office: "jakpus", PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	se := sigap.Session{TokenHash: "aa", AccountID: a.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(7 * 24 * time.Hour)}
	if err := s.CreateSession(ctx, se); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, sigap.Session{TokenHash: "bb", AccountID: a.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.SessionByToken(ctx, "aa")
	if err != nil || got != se {
		t.Fatalf("SessionByToken = %+v, %v; want %+v", got, err, se)
	}
	if err := s.TouchSession(ctx, "aa", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchSession(ctx, "aa", t0.Add(time.Minute)); err != nil { // late, older: no step back
		t.Fatal(err)
	}
	if got, _ := s.SessionByToken(ctx, "aa"); !got.LastSeenAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("LastSeenAt = %v, want %v", got.LastSeenAt, t0.Add(time.Hour))
	}
	if !got.Valid(t0.Add(time.Hour), 8*time.Hour) || got.Valid(t0.Add(9*time.Hour), 8*time.Hour) {
		t.Errorf("Valid: want valid within the idle time only")
	}
	if err := s.DeleteSession(ctx, "aa"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByToken(ctx, "aa"); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("deleted session: %v, want ErrNotFound", err)
	}
	if n, err := s.DeleteAccountSessions(ctx, a.ID, t0); err != nil || n != 1 {
		t.Errorf("DeleteAccountSessions = %d, %v; want 1", n, err)
	}
	if _, err := s.SessionByToken(ctx, "bb"); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("account's session: %v, want ErrNotFound", err)
	}
	// Pruning deletes the sessions that ended (nobody came back to end
	// them) and keeps the others.
	for _, se := range []sigap.Session{
		{TokenHash: "ended", AccountID: a.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)},
		{TokenHash: "open", AccountID: a.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(7 * 24 * time.Hour)},
	} {
		if err := s.CreateSession(ctx, se); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Prune(ctx, t0.Add(2*time.Hour), t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByToken(ctx, "ended"); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("ended session after pruning: %v, want ErrNotFound", err)
	}
	if _, err := s.SessionByToken(ctx, "open"); err != nil {
		t.Errorf("open session after pruning: %v", err)
	}
}

// testLoginThrottle: failures are counted per key within the window,
// forgotten when old, and cleared.
func testLoginThrottle(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	for i := range 3 {
		at := t0.Add(time.Duration(i) * time.Minute)
		if err := s.RecordLoginFailure(ctx, []string{"email:a@b.id", "addr:10.0.0.1"}, at, at.Add(-15*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	count := func(key string, since time.Time) int {
		n, err := s.LoginFailures(ctx, key, since)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count("email:a@b.id", t0); n != 3 {
		t.Errorf("failures = %d, want 3", n)
	}
	if n := count("addr:10.0.0.1", t0.Add(time.Minute)); n != 2 {
		t.Errorf("failures since the second = %d, want 2", n)
	}
	if n := count("email:other@b.id", t0); n != 0 {
		t.Errorf("another key's failures = %d, want 0", n)
	}
	if err := s.ClearLoginFailures(ctx, "email:a@b.id"); err != nil {
		t.Fatal(err)
	}
	if n := count("email:a@b.id", t0); n != 0 {
		t.Errorf("after clearing: %d, want 0", n)
	}
	if n := count("addr:10.0.0.1", t0); n != 3 {
		t.Errorf("another key after clearing: %d, want 3", n)
	}
}

// testAudit: entries come back newest first, by office, paged.
func testAudit(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	for i, o := range []string{"jakpus", "jaksel", "jakpus", ""} {
		e := sigap.AuditEntry{At: t0.Add(time.Duration(i) * time.Minute), AccountID: 7, Actor: "siti@kanim.go.id", Office: o,
			Action: "ticket.reply", Subject: "K7M-3QX", Before: []byte(`{"state":"open"}`), After: []byte(`{"state":"answered"}`)}
		if i == 3 {
			e.Before, e.After = nil, nil
		}
		if err := s.RecordAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.AuditLog(ctx, sigap.AuditQuery{})
	if err != nil || len(all) != 4 {
		t.Fatalf("AuditLog(all) = %d entries, %v; want 4", len(all), err)
	}
	if all[0].Office != "" || all[3].Office != "jakpus" || !all[3].At.Equal(t0) || string(all[3].After) != `{"state":"answered"}` ||
		all[0].Before != nil || all[3].Actor != "siti@kanim.go.id" {
		t.Errorf("AuditLog(all) = %+v; want newest first, as recorded", all)
	}
	jakpus, err := s.AuditLog(ctx, sigap.AuditQuery{Offices: []string{"jakpus"}})
	if err != nil || len(jakpus) != 2 || jakpus[0].ID <= jakpus[1].ID {
		t.Errorf("AuditLog(jakpus) = %+v, %v; want its 2, newest first", jakpus, err)
	}
	two, err := s.AuditLog(ctx, sigap.AuditQuery{Offices: []string{"jakpus", "jaksel"}, Limit: 2})
	if err != nil || len(two) != 2 || two[0].Office != "jakpus" || two[1].Office != "jaksel" {
		t.Errorf("AuditLog(jakpus, jaksel, 2) = %+v, %v", two, err)
	}
	older, err := s.AuditLog(ctx, sigap.AuditQuery{BeforeID: all[1].ID})
	if err != nil || len(older) != 2 || older[0].ID != all[2].ID {
		t.Errorf("AuditLog(before) = %+v, %v", older, err)
	}
	if none, err := s.AuditLog(ctx, sigap.AuditQuery{Offices: []string{}}); err != nil || len(none) != 0 {
		t.Errorf("AuditLog(no offices) = %+v, %v; want none", none, err)
	}
	// Retention deletes the entries past SIGAP_RETAIN_AUDIT: here the
	// first two (t0 and a minute after), kept for an hour at t0+1h+1.5m.
	p := sigap.DefaultRetention()
	p.Audit = time.Hour
	removed, err := s.ApplyRetention(ctx, p, "test", t0.Add(time.Hour+90*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if removed.Audit != 2 {
		t.Errorf("retention removed %d audit entries, want 2", removed.Audit)
	}
	if left, err := s.AuditLog(ctx, sigap.AuditQuery{}); err != nil || len(left) != 2 || !left[1].At.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("after retention: %+v, %v; want the two newest", left, err)
	}
}
