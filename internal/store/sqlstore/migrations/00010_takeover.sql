-- takeover says how the current claim of a message or reply began, so that
-- a claim that takes over another's (a holder that died or stalled past
-- its lease) is seen and counted when it happens (issue 22):
--  1   this claim took over a lease that ran out;
--  0   it did not (or the row was never claimed);
-- -1   (inbound only) the claim was given back to be retried after a failed
--      step (RetryInbound): its claimed_until is a retry time, and the
--      next claim takes over nobody's lease.

-- +goose Up
ALTER TABLE inbound_messages ADD COLUMN takeover {{int64}} NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN takeover {{int64}} NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE outbox DROP COLUMN takeover;
ALTER TABLE inbound_messages DROP COLUMN takeover;
