-- +goose Up
-- What became of each sent message, from the webhook's statuses[]. One row
-- per (wamid, status): a redelivered status is stored once.
CREATE TABLE message_statuses (
    wamid       TEXT NOT NULL,
    status      TEXT NOT NULL,
    at          {{int64}} NOT NULL,
    recipient   TEXT NOT NULL DEFAULT '',
    error_code  {{int64}} NOT NULL DEFAULT 0,
    error_title TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (wamid, status)
);

-- value.errors[] of deliveries: account- or system-level problems.
CREATE TABLE channel_errors (
    id       {{identity}},
    office   TEXT NOT NULL,
    at       {{int64}} NOT NULL,
    code     {{int64}} NOT NULL,
    title    TEXT NOT NULL,
    details  TEXT NOT NULL DEFAULT ''
);

-- The best status seen for a sent reply, ranked so that a late "delivered"
-- does not overwrite "read"; window_ends_at is when the applicant's 24-hour
-- customer service window closes; doubtful counts claims taken over from a
-- sender that died mid-send.
ALTER TABLE outbox ADD COLUMN delivery_status TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN status_rank {{int64}} NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN window_ends_at {{int64}} NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN doubtful {{int64}} NOT NULL DEFAULT 0;
CREATE INDEX outbox_sent_id ON outbox (sent_id);

-- The inbox is claimed head-of-line per sender.
CREATE INDEX inbound_sender ON inbound_messages (office, sender, state, seq);

-- The send budget of each phone number, per second, shared by replicas.
CREATE TABLE send_budget (
    phone_number_id TEXT NOT NULL,
    second          {{int64}} NOT NULL,
    used            {{int64}} NOT NULL,
    PRIMARY KEY (phone_number_id, second)
);

-- Leases for work that one replica at a time should do (pruning).
CREATE TABLE job_leases (
    name         TEXT PRIMARY KEY,
    holder       TEXT NOT NULL,
    leased_until {{int64}} NOT NULL
);

-- +goose Down
DROP TABLE job_leases;
DROP TABLE send_budget;
DROP INDEX inbound_sender;
DROP INDEX outbox_sent_id;
ALTER TABLE outbox DROP COLUMN doubtful;
ALTER TABLE outbox DROP COLUMN window_ends_at;
ALTER TABLE outbox DROP COLUMN status_rank;
ALTER TABLE outbox DROP COLUMN delivery_status;
DROP TABLE channel_errors;
DROP TABLE message_statuses;
