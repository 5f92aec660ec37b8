-- sigap outbox lists failed replies, newest first, unless told otherwise.
-- They are few among many sent, so without an index the report would read
-- the whole outbox to find none; this one holds only the failed replies and
-- is written only when a reply fails, never on the way of one that is sent.
-- (Pending replies are found through outbox_due, migration 00004.)

-- +goose Up
CREATE INDEX outbox_failed ON outbox (id) WHERE state = 'failed';

-- +goose Down
DROP INDEX outbox_failed;
