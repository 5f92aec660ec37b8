package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/console"
)

// demoAdminEmail is the demo national admin that serve --demo creates
// (named by the product contract).
const demoAdminEmail = "admin@demo.local"

// newConsole builds the staff console on the app's store, offices and clock.
func newConsole(a *app, getenv func(string) string) (*console.Console, error) {
	return console.New(console.Options{
		Store: a.store, Offices: a.offices.List(), Now: a.now, Log: a.log,
		PublicURL: getenv("SIGAP_PUBLIC_URL"), Channel: a.channel,
		Extensions: a.consoleExt,
	})
}

// ensureDemoAdmin creates the demo national admin with a random password
// when it does not exist, and returns the line to print: its password
// (shown once), or that it exists and how to reset it.
func ensureDemoAdmin(ctx context.Context, a *app) (string, error) {
	_, err := a.store.AccountByEmail(ctx, demoAdminEmail)
	switch {
	case err == nil:
		return fmt.Sprintf("demo admin %s exists; a new password: sigap user add --email %s --role national_admin",
			demoAdminEmail, demoAdminEmail), nil
	case !errors.Is(err, sigap.ErrNotFound):
		return "", err
	}
	password, err := console.GeneratePassword()
	if err != nil {
		return "", err
	}
	hash, err := console.HashPassword(password)
	if err != nil {
		return "", err
	}
	acct, _, err := a.store.PutAccount(ctx, sigap.Account{Email: demoAdminEmail, Role: sigap.RoleNationalAdmin, PasswordHash: hash})
	if err != nil {
		return "", fmt.Errorf("demo admin: %w", err)
	}
	if err := a.store.RecordAudit(ctx, sigap.AuditEntry{At: a.now(), Actor: "sigap serve --demo", Action: "account.create",
		Subject: acct.Email, After: accountJSON(acct)}); err != nil {
		return "", err
	}
	a.log.Info("demo admin created", "email", demoAdminEmail)
	return fmt.Sprintf("sign in as %s with password %s (shown once)", demoAdminEmail, password), nil
}
