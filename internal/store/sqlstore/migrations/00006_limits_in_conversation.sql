-- A sender's look-up and failure counts are kept in their conversation
-- (sigap.Tally), stored with each turn under its version check: no table of
-- their own. Counts of the window in progress at the upgrade start again.

-- +goose Up
DROP TABLE rate_counters;

-- +goose Down
CREATE TABLE rate_counters (
    limit_key    TEXT NOT NULL,
    window_start {{int64}} NOT NULL,
    hits         INTEGER NOT NULL,
    expires_at   {{int64}} NOT NULL,
    PRIMARY KEY (limit_key, window_start)
);
CREATE INDEX rate_counters_expiry ON rate_counters (expires_at);
