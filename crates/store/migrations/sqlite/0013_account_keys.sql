-- Each account's data key, wrapped by the region's key-encryption key (named by kek_id).
-- The account's sealed fields (post text, edits, bio, profile fields, media descriptions)
-- open only with it, so deleting this one row (the account's deletion cascades to it)
-- makes every copy of them unreadable: free pages, logs, and backups, which leave this
-- table out.
CREATE TABLE account_keys (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    kek_id     TEXT   NOT NULL,
    wrapped    BLOB  NOT NULL,
    created_at BIGINT NOT NULL
);
