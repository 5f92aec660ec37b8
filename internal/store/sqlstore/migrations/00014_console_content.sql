-- The staff console's content, "not understood" and dashboard (issue 19).
--
-- content_overrides: an office's own texts, keywords and synonyms, edited in
-- the console. kind is 'text' (lang, item = the text key, value = the
-- template), 'keyword' or 'synonym' (item = the service, ident = the word
-- as the bot compares it, value = as written). They are laid over the
-- offices file's; deleting a text's row takes the office back to the
-- national default. content_version has one row, counted up in the same
-- transaction as every change: each replica reads it (one row, one
-- column) at most once a second and reloads the overrides only when it
-- moved, so an edit is live on every replica within a second.
--
-- unplaced_messages: messages the bot could not place, by office and text
-- as normalised (lower case, spaces collapsed), never with their sender:
-- how many, first and last seen. Deleted 30 days after they were last seen
-- (the recorder prunes them, internal/tally).
--
-- intent_days: how many messages asked for each service, per office and
-- day (in the office's time zone), for the dashboard; no personal data,
-- kept 400 days.

-- +goose Up
CREATE TABLE content_overrides (
    office     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    lang       TEXT NOT NULL DEFAULT '',
    item       TEXT NOT NULL,
    ident      TEXT NOT NULL DEFAULT '',
    value      TEXT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT '',
    updated_at {{int64}} NOT NULL,
    PRIMARY KEY (office, kind, lang, item, ident)
);

CREATE TABLE content_version (
    id      INTEGER PRIMARY KEY,
    version {{int64}} NOT NULL
);
INSERT INTO content_version (id, version) VALUES (1, 0);

CREATE TABLE unplaced_messages (
    office     TEXT NOT NULL,
    text       TEXT NOT NULL,
    count      {{int64}} NOT NULL,
    first_seen {{int64}} NOT NULL,
    last_seen  {{int64}} NOT NULL,
    PRIMARY KEY (office, text)
);
CREATE INDEX unplaced_last_seen ON unplaced_messages (last_seen);

CREATE TABLE intent_days (
    office TEXT NOT NULL,
    day    TEXT NOT NULL,
    intent TEXT NOT NULL,
    count  {{int64}} NOT NULL,
    PRIMARY KEY (office, day, intent)
);
CREATE INDEX intent_days_day ON intent_days (day);

-- +goose Down
DROP TABLE intent_days;
DROP TABLE unplaced_messages;
DROP TABLE content_version;
DROP TABLE content_overrides;
