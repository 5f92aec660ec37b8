package sigap

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// Role is what a console account may do.
type Role string

const (
	// RoleNationalAdmin sees and changes every office.
	RoleNationalAdmin Role = "national_admin"
	// RoleOfficeAdmin runs one office: its staff, texts and settings, and
	// everything staff do.
	RoleOfficeAdmin Role = "office_admin"
	// RoleStaff works one office's inbox and applications.
	RoleStaff Role = "staff"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleNationalAdmin, RoleOfficeAdmin, RoleStaff}

// ParseRole accepts a role code.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if Role(s) == r {
			return r, nil
		}
	}
	return "", fmt.Errorf("%w: unknown role %q (want national_admin, office_admin or staff)", ErrInvalid, s)
}

// MaxEmailLen bounds an account's email address.
const MaxEmailLen = 254

// Account is a person who signs in to the staff console.
type Account struct {
	ID    int64
	Email string // lower case, as NormalizeEmail returns it; unique
	Role  Role
	// Office is the office code of an office_admin or staff account; empty
	// for a national_admin.
	Office string
	// PasswordHash is the argon2id hash in PHC form ("$argon2id$v=19$…");
	// never the password.
	PasswordHash string
	// Lang is the console language the person chose ("id" or "en"; empty:
	// Indonesian).
	Lang      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// NormalizeEmail checks an email address and returns it trimmed and in
// lower case, the form accounts are stored and looked up by.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > MaxEmailLen {
		return "", fmt.Errorf("%w: email address empty or longer than %d bytes", ErrInvalid, MaxEmailLen)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", fmt.Errorf("%w: %q is not an email address", ErrInvalid, s)
	}
	return s, nil
}

// Validate checks the account's role and office: a national admin has no
// office, everyone else exactly one. exists, when not nil, says whether an
// office code exists.
func (a Account) Validate(exists func(code string) bool) error {
	if _, err := ParseRole(string(a.Role)); err != nil {
		return err
	}
	if _, err := NormalizeEmail(a.Email); err != nil {
		return err
	}
	switch {
	case a.Role == RoleNationalAdmin && a.Office != "":
		return fmt.Errorf("%w: a national_admin serves every office and names none (office %q)", ErrInvalid, a.Office)
	case a.Role != RoleNationalAdmin && a.Office == "":
		return fmt.Errorf("%w: role %s needs an office", ErrInvalid, a.Role)
	case a.Office != "" && exists != nil && !exists(a.Office):
		return fmt.Errorf("%w: no office %q in the offices file", ErrInvalid, a.Office)
	}
	return nil
}

// MaySee says whether the account may see (and work on, as staff do: answer
// chats and tickets) the office's data.
func (a Account) MaySee(office string) bool {
	return a.Role == RoleNationalAdmin || (a.Office != "" && a.Office == office)
}

// MayAdmin says whether the account may run the office: its staff, texts
// and settings, and read its audit log.
func (a Account) MayAdmin(office string) bool {
	return a.Role == RoleNationalAdmin || (a.Role == RoleOfficeAdmin && a.Office == office)
}

// IsAdmin says whether the account administers anything (a national or an
// office admin).
func (a Account) IsAdmin() bool { return a.Role == RoleNationalAdmin || a.Role == RoleOfficeAdmin }

// VisibleOffices returns those of the codes the account may see, in order.
func (a Account) VisibleOffices(codes []string) []string {
	var out []string
	for _, c := range codes {
		if a.MaySee(c) {
			out = append(out, c)
		}
	}
	return out
}

// Accounts stores console accounts.
type Accounts interface {
	// PutAccount stores a by its email: a new account, or, when one with
	// that email exists, that account with a's role, office and password
	// hash (its id and language kept). It reports whether it created one.
	PutAccount(ctx context.Context, a Account) (Account, bool, error)
	// AccountByEmail returns the account with that (normalized) email, or
	// an error wrapping ErrNotFound.
	AccountByEmail(ctx context.Context, email string) (Account, error)
	// AccountByID returns the account, or an error wrapping ErrNotFound.
	AccountByID(ctx context.Context, id int64) (Account, error)
	// ListAccounts lists the accounts of office (every account when office
	// is empty), by email.
	ListAccounts(ctx context.Context, office string) ([]Account, error)
	// SetAccountLang stores the console language the account chose.
	SetAccountLang(ctx context.Context, id int64, lang string) error
}
