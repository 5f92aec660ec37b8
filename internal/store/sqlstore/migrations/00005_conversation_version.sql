-- A conversation's version counts its saves. A turn worked out before its
-- message was stored (answered on arrival) is stored only if the
-- conversation is still at the version it read: otherwise the message waits
-- in the inbox and is answered from the newer state.

-- +goose Up
ALTER TABLE conversations ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE conversations DROP COLUMN version;
