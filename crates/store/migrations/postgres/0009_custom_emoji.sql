-- Custom emoji: the region's own `:shortcode:` pictures, public content owned by no user.
-- The picture is a blob like an attachment's (by SHA-256), so the media queries that
-- decide what is served, kept and referenced count these rows too.
CREATE TABLE custom_emojis (
    shortcode          TEXT    PRIMARY KEY,
    file_hash          TEXT    NOT NULL,
    file_mime          TEXT    NOT NULL,
    file_size          BIGINT  NOT NULL,
    category           TEXT,
    visible_in_picker  INTEGER NOT NULL DEFAULT 1,
    created_at         BIGINT  NOT NULL
);
CREATE INDEX custom_emojis_file ON custom_emojis (file_hash);
