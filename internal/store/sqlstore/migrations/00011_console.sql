-- The staff console (issue 19): accounts, their sessions (only a SHA-256
-- of each token), failed sign-ins counted per key for throttling, and the
-- audit log of staff changes. Conversations get the handover's times as
-- columns, kept in step with the state by every statement that stores a
-- conversation, so that the inbox can list handed-over chats by an index
-- (a handover begun before this migration is listed once its conversation
-- is stored again, at the applicant's next message). Tickets get what
-- staff work needs: who has it, internal notes, when it was first
-- answered.

-- +goose Up
CREATE TABLE accounts (
    id            {{identity}},
    email         TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    office        TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    lang          TEXT NOT NULL DEFAULT '',
    created_at    {{int64}} NOT NULL,
    updated_at    {{int64}} NOT NULL
);
CREATE INDEX accounts_office ON accounts (office, email);

CREATE TABLE console_sessions (
    token_hash   TEXT PRIMARY KEY,
    account_id   {{int64}} NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   {{int64}} NOT NULL,
    last_seen_at {{int64}} NOT NULL,
    expires_at   {{int64}} NOT NULL
);
CREATE INDEX console_sessions_account ON console_sessions (account_id);

CREATE TABLE login_failures (
    throttle_key TEXT NOT NULL,
    at           {{int64}} NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (throttle_key, at);

CREATE TABLE audit_log (
    id          {{identity}},
    at          {{int64}} NOT NULL,
    account_id  {{int64}} NOT NULL,
    actor       TEXT NOT NULL,
    office      TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL DEFAULT '',
    before_json TEXT NOT NULL DEFAULT '',
    after_json  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_office ON audit_log (office, id);

ALTER TABLE conversations ADD COLUMN handover_since {{int64}} NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN handover_until {{int64}} NOT NULL DEFAULT 0;
-- Staff's latest reply in a handed-over chat (the console writes it; the
-- bot's saves leave it alone).
ALTER TABLE conversations ADD COLUMN staff_replied_at {{int64}} NOT NULL DEFAULT 0;
CREATE INDEX conversations_handover ON conversations (handover_until, office);

ALTER TABLE tickets ADD COLUMN assignee {{int64}} NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN notes TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN first_answered_at {{int64}} NOT NULL DEFAULT 0;
-- A ticket in progress (state in_progress) is not done: retention deletes
-- answered and closed tickets only.
DROP INDEX tickets_done;
CREATE INDEX tickets_done ON tickets (updated_at) WHERE state IN ('answered', 'closed');

-- +goose Down
DROP INDEX tickets_done;
CREATE INDEX tickets_done ON tickets (updated_at) WHERE state <> 'open';
ALTER TABLE tickets DROP COLUMN first_answered_at;
ALTER TABLE tickets DROP COLUMN notes;
ALTER TABLE tickets DROP COLUMN assignee;
DROP INDEX conversations_handover;
ALTER TABLE conversations DROP COLUMN staff_replied_at;
ALTER TABLE conversations DROP COLUMN handover_until;
ALTER TABLE conversations DROP COLUMN handover_since;
DROP TABLE audit_log;
DROP TABLE login_failures;
DROP TABLE console_sessions;
DROP TABLE accounts;
