-- Media: uploaded files and what processing made of them. The bytes live in the blob
-- store, keyed by SHA-256; a row names its blobs by hash. An attachment has the data
-- class of the post it is on (none while unattached: it is private to its uploader).
CREATE TABLE media (
    id            BIGINT PRIMARY KEY,
    account_id    BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- Deleting a post deletes its attachments' rows (the use case removes the blobs).
    status_id     BIGINT  REFERENCES statuses (id) ON DELETE CASCADE,
    role          TEXT    NOT NULL DEFAULT 'attachment'
        CHECK (role IN ('attachment', 'avatar', 'header')),
    kind          TEXT    NOT NULL CHECK (kind IN ('image', 'gifv', 'video', 'audio')),
    -- NULL while processing.
    file_hash     TEXT,
    file_mime     TEXT,
    file_size     BIGINT,
    preview_hash  TEXT,
    preview_mime  TEXT,
    preview_size  BIGINT,
    width         INTEGER,
    height        INTEGER,
    small_width   INTEGER,
    small_height  INTEGER,
    blurhash      TEXT,
    description   TEXT    NOT NULL DEFAULT '',
    focus_x       DOUBLE PRECISION NOT NULL DEFAULT 0,
    focus_y       DOUBLE PRECISION NOT NULL DEFAULT 0,
    position      INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL
);
CREATE INDEX media_status ON media (status_id, position) WHERE status_id IS NOT NULL;
CREATE INDEX media_file ON media (file_hash);
CREATE INDEX media_preview ON media (preview_hash);

-- Profile pictures: the stored file's name (`<sha256>.<ext>`), public content. On the
-- account row so that every account read carries it (the Account entity needs its URL).
ALTER TABLE accounts ADD COLUMN avatar_file TEXT;
ALTER TABLE accounts ADD COLUMN header_file TEXT;
