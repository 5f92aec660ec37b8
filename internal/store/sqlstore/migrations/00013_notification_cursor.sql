-- Notifications (issue 20): each subscription remembers the change of its
-- application it was last told about, its cursor: notified_at (the
-- application's stage_at, Unix milliseconds) and notified_stage. A
-- notifier tells a subscriber about an application whose current stage is
-- one to tell and newer than the cursor, and moves the cursor in the same
-- transaction as it queues the message, with a conditional UPDATE, so that
-- two replicas or a restart never tell the same change twice. Subscribing
-- sets the cursor to the application's current stage (subscribing tells
-- nothing); so does this migration for the subscriptions already there.

-- +goose Up
ALTER TABLE subscriptions ADD COLUMN notified_at {{int64}} NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN notified_stage TEXT NOT NULL DEFAULT '';
UPDATE subscriptions SET
    notified_at = COALESCE((SELECT a.stage_at FROM applications a
        WHERE a.number = subscriptions.application_number AND a.office = subscriptions.office), 0),
    notified_stage = COALESCE((SELECT a.stage FROM applications a
        WHERE a.number = subscriptions.application_number AND a.office = subscriptions.office), '');

-- +goose Down
ALTER TABLE subscriptions DROP COLUMN notified_stage;
ALTER TABLE subscriptions DROP COLUMN notified_at;
