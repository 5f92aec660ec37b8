-- Personal data is kept only for its period (sigap.RetentionPolicy,
-- docs/privacy.md): the scheduled retention job and sigap privacy
-- export/erase find what they remove through these indexes instead of
-- reading whole tables. The partial indexes hold only the rows still to be
-- removed. Inbound messages and replies, stored with every message, get no
-- index of their own by age or by person: the job deletes them by key range
-- (their keys grow with time, sqlstore.firstSince), and an export or erasure,
-- rare, reads the tables. Conversations are not indexed by updated_at: every
-- message rewrites it, and the idle ones are looked for once a run.
--
-- retention_runs records every run of the job and every erasure: when, by
-- whom, how many rows of each kind (counts, JSON), and for an erasure the
-- SHA-256 of the WhatsApp id (never the id itself).

-- +goose Up
CREATE TABLE retention_runs (
    id      {{identity}},
    at      {{int64}} NOT NULL,
    holder  TEXT NOT NULL,
    what    TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    total   {{int64}} NOT NULL,
    counts  TEXT NOT NULL
);
CREATE INDEX retention_runs_at ON retention_runs (at);

-- Inbound messages: text and sender blanked once answered and old enough
-- (the rows still naming a sender, about a day's).
CREATE INDEX inbound_identified ON inbound_messages (received_at) WHERE sender <> '';

-- Delivery statuses: by age (their key is the wamid, which does not grow).
CREATE INDEX message_statuses_at ON message_statuses (at);

-- One sender at every office; the simulator's test senders by last use.
CREATE INDEX conversations_user ON conversations (user_id);
CREATE INDEX conversations_test ON conversations (updated_at) WHERE substr(user_id, 1, 4) = 'sim:';
CREATE INDEX tickets_user ON tickets (user_id);
CREATE INDEX tickets_done ON tickets (updated_at) WHERE state <> 'open';
CREATE INDEX subscriptions_user ON subscriptions (user_id);

-- Applications in a final stage (sigap.FinalStages), by when they entered it.
CREATE INDEX applications_final ON applications (stage_at) WHERE stage IN ('collected', 'shipped', 'rejected', 'cancelled');

-- +goose Down
DROP INDEX applications_final;
DROP INDEX subscriptions_user;
DROP INDEX tickets_done;
DROP INDEX tickets_user;
DROP INDEX conversations_test;
DROP INDEX conversations_user;
DROP INDEX message_statuses_at;
DROP INDEX inbound_identified;
DROP TABLE retention_runs;
