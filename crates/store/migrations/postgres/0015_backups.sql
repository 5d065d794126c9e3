-- Backups made of this region (`roost backup`): when, the place it went to (which the
-- cluster file must allow for this region: the audit checks), the file's name, size and
-- SHA-256. No personal data. A restore keeps this table from the live database.
CREATE TABLE backups (
    sha256  TEXT   PRIMARY KEY,
    made_at BIGINT NOT NULL,
    place   TEXT   NOT NULL,
    file    TEXT   NOT NULL,
    size    BIGINT NOT NULL
);
