package sigap

import (
	"context"
	"encoding/json"
	"time"
)

// AuditEntry is one change made by staff in the console: who, what, when,
// and the thing before and after, as JSON.
type AuditEntry struct {
	ID        int64
	At        time.Time
	AccountID int64
	Actor     string // the account's email when it acted
	// Office is the office the change concerns; empty for a change to no
	// one office (a national setting).
	Office  string
	Action  string // e.g. "ticket.reply", "chat.handback", "account.create"
	Subject string // what it was done to: a ticket number, a WhatsApp id, an email
	Before  json.RawMessage
	After   json.RawMessage
}

// AuditQuery selects entries of the audit log, newest first.
type AuditQuery struct {
	// Offices limits the entries to these offices; nil means every entry
	// (a national admin), an empty non-nil list none.
	Offices []string
	// BeforeID, when not 0, pages on: entries older than that one.
	BeforeID int64
	Limit    int // 1 to 500; 0 means 100
}

// Audit is the log of staff changes.
type Audit interface {
	RecordAudit(ctx context.Context, e AuditEntry) error
	AuditLog(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
}
