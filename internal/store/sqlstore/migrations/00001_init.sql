-- +goose Up
-- Times are Unix milliseconds (UTC) so that both engines store and compare
-- them the same way; birth dates are calendar dates, YYYY-MM-DD.

CREATE TABLE applications (
    number             TEXT PRIMARY KEY,
    office             TEXT NOT NULL,
    applicant_name     TEXT NOT NULL,
    birth_date         TEXT NOT NULL,
    passport_type      TEXT NOT NULL,
    stage              TEXT NOT NULL,
    stage_at           {{int64}} NOT NULL,
    billing_code       TEXT NOT NULL DEFAULT '',
    billing_expires_at {{int64}} NOT NULL DEFAULT 0,
    note               TEXT NOT NULL DEFAULT '',
    updated_at         {{int64}} NOT NULL
);
CREATE INDEX applications_office ON applications (office);

CREATE TABLE application_stages (
    number   TEXT NOT NULL REFERENCES applications (number) ON DELETE CASCADE,
    stage    TEXT NOT NULL,
    stage_at {{int64}} NOT NULL,
    note     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (number, stage_at, stage)
);

CREATE TABLE conversations (
    office     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    state      TEXT NOT NULL,
    updated_at {{int64}} NOT NULL,
    PRIMARY KEY (office, user_id)
);

-- The inbox: every inbound message is stored here before its delivery is
-- acknowledged; the unique id is the dedupe claim on the wamid.
CREATE TABLE inbound_messages (
    seq           {{identity}},
    id            TEXT NOT NULL UNIQUE,
    office        TEXT NOT NULL,
    sender        TEXT NOT NULL,
    received_at   {{int64}} NOT NULL,
    payload       TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'pending',
    attempts      INTEGER NOT NULL DEFAULT 0,
    claimed_until {{int64}} NOT NULL DEFAULT 0,
    processed_at  {{int64}} NOT NULL DEFAULT 0
);
CREATE INDEX inbound_pending ON inbound_messages (state, seq);

CREATE TABLE outbox (
    id              {{identity}},
    office          TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    in_reply_to     TEXT NOT NULL DEFAULT '',
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      {{int64}} NOT NULL,
    next_attempt_at {{int64}} NOT NULL,
    claimed_until   {{int64}} NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    sent_id         TEXT NOT NULL DEFAULT '',
    sent_at         {{int64}} NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

-- +goose Down
DROP TABLE outbox;
DROP TABLE inbound_messages;
DROP TABLE conversations;
DROP TABLE application_stages;
DROP TABLE applications;
