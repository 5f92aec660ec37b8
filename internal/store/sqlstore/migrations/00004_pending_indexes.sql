-- Queue indexes cover only the rows still waiting: they stay small however
-- many answered messages the tables keep for dedupe and history, and a row
-- leaves them once, when it is done, instead of moving in them at every
-- change of state. The per-recipient index finds whether a reply must wait
-- behind an earlier one.

-- +goose Up
DROP INDEX inbound_pending;
DROP INDEX inbound_sender;
DROP INDEX outbox_due;
CREATE INDEX inbound_pending ON inbound_messages (seq) WHERE state = 'pending';
CREATE INDEX inbound_sender_pending ON inbound_messages (office, sender, seq) WHERE state = 'pending';
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_recipient_pending ON outbox (office, recipient, id) WHERE state = 'pending';

-- +goose Down
DROP INDEX outbox_recipient_pending;
DROP INDEX outbox_due;
DROP INDEX inbound_sender_pending;
DROP INDEX inbound_pending;
CREATE INDEX inbound_pending ON inbound_messages (state, seq);
CREATE INDEX inbound_sender ON inbound_messages (office, sender, state, seq);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
