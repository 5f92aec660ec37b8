-- Status look-ups at 10 million applications (issue 20): on SQLite, an
-- ordinary table keeps its rows in a B-tree by rowid and the primary key in
-- a second B-tree beside it, so a look-up by number walks two trees (7–8
-- pages at 10 million rows). A WITHOUT ROWID table keeps each row in its
-- primary key's tree: one walk, half the pages. Both tables read by number
-- are rebuilt that way. On PostgreSQL, whose tables are heaps beside their
-- indexes whatever is declared, there is nothing to change: the migration is
-- empty there.
--
-- SQLite cannot change a table's kind in place: new tables are created,
-- filled, the old ones dropped and the new renamed. Nothing may refer to
-- the old applications when it is dropped, or its drop would delete the
-- stages that do (ON DELETE CASCADE; foreign_keys is on): so the new
-- stages refer to the new applications (the rename below rewrites that
-- reference to follow), and the old stages are dropped first.

-- +goose Up
{{if sqlite}}
CREATE TABLE applications_new (
    number             TEXT PRIMARY KEY,
    office             TEXT NOT NULL,
    applicant_name     TEXT NOT NULL,
    birth_date         TEXT NOT NULL,
    passport_type      TEXT NOT NULL,
    stage              TEXT NOT NULL,
    stage_at           INTEGER NOT NULL,
    billing_code       TEXT NOT NULL DEFAULT '',
    billing_expires_at INTEGER NOT NULL DEFAULT 0,
    note               TEXT NOT NULL DEFAULT '',
    updated_at         INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE application_stages_new (
    number   TEXT NOT NULL REFERENCES applications_new (number) ON DELETE CASCADE,
    stage    TEXT NOT NULL,
    stage_at INTEGER NOT NULL,
    note     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (number, stage_at, stage)
) WITHOUT ROWID;
INSERT INTO applications_new SELECT number, office, applicant_name, birth_date, passport_type, stage, stage_at,
    billing_code, billing_expires_at, note, updated_at FROM applications ORDER BY number;
INSERT INTO application_stages_new SELECT number, stage, stage_at, note FROM application_stages ORDER BY number, stage_at, stage;
DROP TABLE application_stages;
DROP TABLE applications;
ALTER TABLE applications_new RENAME TO applications;
ALTER TABLE application_stages_new RENAME TO application_stages;
CREATE INDEX applications_office ON applications (office);
CREATE INDEX applications_final ON applications (stage_at) WHERE stage IN ('collected', 'shipped', 'rejected', 'cancelled');
{{end}}

-- +goose Down
{{if sqlite}}
CREATE TABLE applications_old (
    number             TEXT PRIMARY KEY,
    office             TEXT NOT NULL,
    applicant_name     TEXT NOT NULL,
    birth_date         TEXT NOT NULL,
    passport_type      TEXT NOT NULL,
    stage              TEXT NOT NULL,
    stage_at           INTEGER NOT NULL,
    billing_code       TEXT NOT NULL DEFAULT '',
    billing_expires_at INTEGER NOT NULL DEFAULT 0,
    note               TEXT NOT NULL DEFAULT '',
    updated_at         INTEGER NOT NULL
);
CREATE TABLE application_stages_old (
    number   TEXT NOT NULL REFERENCES applications_old (number) ON DELETE CASCADE,
    stage    TEXT NOT NULL,
    stage_at INTEGER NOT NULL,
    note     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (number, stage_at, stage)
);
INSERT INTO applications_old SELECT number, office, applicant_name, birth_date, passport_type, stage, stage_at,
    billing_code, billing_expires_at, note, updated_at FROM applications;
INSERT INTO application_stages_old SELECT number, stage, stage_at, note FROM application_stages;
DROP TABLE application_stages;
DROP TABLE applications;
ALTER TABLE applications_old RENAME TO applications;
ALTER TABLE application_stages_old RENAME TO application_stages;
CREATE INDEX applications_office ON applications (office);
CREATE INDEX applications_final ON applications (stage_at) WHERE stage IN ('collected', 'shipped', 'rejected', 'cancelled');
{{end}}
