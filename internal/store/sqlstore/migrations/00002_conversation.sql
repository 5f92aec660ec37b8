-- +goose Up
-- What the conversation keeps beyond the chat itself: feedback tickets,
-- rate-limit counters and notification subscriptions. Times are Unix
-- milliseconds (UTC), as in 00001.

-- Feedback (#saran, #apresiasi, #aspirasi, #pengaduan). The number is
-- unique per office; message_id makes a message processed twice one ticket.
-- body is what the applicant wrote: for staff only.
CREATE TABLE tickets (
    office     TEXT NOT NULL,
    number     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    lang       TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL,
    message_id TEXT NOT NULL DEFAULT '',
    state      TEXT NOT NULL DEFAULT 'open',
    reply      TEXT NOT NULL DEFAULT '',
    created_at {{int64}} NOT NULL,
    updated_at {{int64}} NOT NULL,
    PRIMARY KEY (office, number)
);
CREATE UNIQUE INDEX tickets_message ON tickets (office, message_id) WHERE message_id <> '';
CREATE INDEX tickets_state ON tickets (office, state, created_at);

-- Fixed-window counters (status look-ups and failures per sender), in the
-- database so that limits survive a restart and hold across replicas.
CREATE TABLE rate_counters (
    limit_key    TEXT NOT NULL,
    window_start {{int64}} NOT NULL,
    hits         INTEGER NOT NULL,
    expires_at   {{int64}} NOT NULL,
    PRIMARY KEY (limit_key, window_start)
);
CREATE INDEX rate_counters_expiry ON rate_counters (expires_at);

-- Who asked (#notif on) to hear when an application changes stage.
CREATE TABLE subscriptions (
    office             TEXT NOT NULL,
    user_id            TEXT NOT NULL,
    application_number TEXT NOT NULL,
    created_at         {{int64}} NOT NULL,
    PRIMARY KEY (office, user_id, application_number)
);
CREATE INDEX subscriptions_application ON subscriptions (office, application_number);

-- +goose Down
DROP TABLE subscriptions;
DROP TABLE rate_counters;
DROP TABLE tickets;
