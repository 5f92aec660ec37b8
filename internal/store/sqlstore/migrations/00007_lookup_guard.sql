-- Wrong birth dates counted per application number across all senders
-- (sigap.LookupGuard), and the numbers they locked. Rows exist only for
-- applications that exist; each row carries its own expiry for Prune. No
-- sender is stored.

-- +goose Up
CREATE TABLE lookup_failures (
    office     TEXT NOT NULL,
    number     TEXT NOT NULL,
    message_id TEXT NOT NULL,
    at         {{int64}} NOT NULL,
    expires_at {{int64}} NOT NULL,
    PRIMARY KEY (office, number, message_id)
);
CREATE INDEX lookup_failures_expiry ON lookup_failures (expires_at);

CREATE TABLE lookup_locks (
    office       TEXT NOT NULL,
    number       TEXT NOT NULL,
    locked_at    {{int64}} NOT NULL,
    locked_until {{int64}} NOT NULL,
    PRIMARY KEY (office, number)
);
CREATE INDEX lookup_locks_expiry ON lookup_locks (locked_until);

-- +goose Down
DROP TABLE lookup_locks;
DROP TABLE lookup_failures;
