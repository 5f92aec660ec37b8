-- holder names the process (host/pid) whose claim a pending message or
-- reply is under, so that it renews its own claims while it lives (one
-- statement a table for all it holds, see sqlstore's RenewInbound and
-- RenewOutbound) and a renewal finds a claim another replica has taken
-- over since. taken_from is the holder whose claim ran out, set by a claim
-- that took it over (takeover 1), for the line that reports the takeover.
-- Both are written with the claim's own statement: no write of their own.

-- +goose Up
ALTER TABLE inbound_messages ADD COLUMN holder TEXT NOT NULL DEFAULT '';
ALTER TABLE inbound_messages ADD COLUMN taken_from TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN holder TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN taken_from TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE outbox DROP COLUMN taken_from;
ALTER TABLE outbox DROP COLUMN holder;
ALTER TABLE inbound_messages DROP COLUMN taken_from;
ALTER TABLE inbound_messages DROP COLUMN holder;
