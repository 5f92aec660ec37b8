-- The integration API (sigap.Integration, internal/api): tokens, kept as
-- the SHA-256 of the token only; per-token request counts in fixed windows,
-- shared by every replica; the record of every write, kept for
-- SIGAP_RETAIN_API_WRITES; each office's pickup queue number.

-- +goose Up
CREATE TABLE api_tokens (
    name         TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    offices      TEXT NOT NULL,
    all_offices  INTEGER NOT NULL DEFAULT 0,
    created_at   {{int64}} NOT NULL,
    last_used_at {{int64}} NOT NULL DEFAULT 0,
    revoked_at   {{int64}} NOT NULL DEFAULT 0
);

CREATE TABLE api_rate_counters (
    token_name   TEXT NOT NULL,
    window_start {{int64}} NOT NULL,
    hits         INTEGER NOT NULL,
    window_end   {{int64}} NOT NULL,
    PRIMARY KEY (token_name, window_start)
);
CREATE INDEX api_rate_counters_end ON api_rate_counters (window_end);

CREATE TABLE api_writes (
    id                 {{identity}},
    at                 {{int64}} NOT NULL,
    token_name         TEXT NOT NULL,
    method             TEXT NOT NULL,
    path               TEXT NOT NULL,
    office             TEXT NOT NULL DEFAULT '',
    application_number TEXT NOT NULL DEFAULT '',
    status             INTEGER NOT NULL,
    outcome            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX api_writes_at ON api_writes (at);

CREATE TABLE office_queue_numbers (
    office TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    set_at {{int64}} NOT NULL
);

-- +goose Down
DROP TABLE office_queue_numbers;
DROP TABLE api_writes;
DROP TABLE api_rate_counters;
DROP TABLE api_tokens;
