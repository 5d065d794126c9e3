-- roost schema, PostgreSQL flavour (a mechanical translation of migrations/sqlite).
--
-- Conventions (the same as the SQLite files', so that the shared SQL reads the same):
-- * IDs are roost `Id`s (64-bit, time-ordered): BIGINT, primary keys included.
-- * Timestamps are BIGINT milliseconds since the Unix epoch.
-- * Booleans are INTEGER 0/1 (the shared SQL writes `accepted = 1`), not BOOLEAN.
-- * Case-insensitive uniqueness uses a `*_key` column lower-cased by the application
--   (Unicode-aware; no citext extension needed).
-- * Counters are denormalised columns that every write keeps exact.

CREATE TABLE accounts (
    id              BIGINT PRIMARY KEY,
    username        TEXT    NOT NULL,
    username_key    TEXT    NOT NULL UNIQUE,
    home_region     TEXT    NOT NULL,
    display_name    TEXT    NOT NULL DEFAULT '',
    note_source     TEXT    NOT NULL DEFAULT '',
    note_html       TEXT    NOT NULL DEFAULT '',
    locked          INTEGER NOT NULL DEFAULT 0,
    bot             INTEGER NOT NULL DEFAULT 0,
    discoverable    INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL,
    followers_count BIGINT  NOT NULL DEFAULT 0,
    following_count BIGINT  NOT NULL DEFAULT 0,
    statuses_count  BIGINT  NOT NULL DEFAULT 0,
    last_status_at  BIGINT
);

-- Identity class: never leaves the home region.
CREATE TABLE users (
    account_id    BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    email         TEXT   NOT NULL,
    email_key     TEXT   NOT NULL UNIQUE,
    password_hash TEXT   NOT NULL,
    locale        TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    sign_up_ip    TEXT
);

CREATE TABLE apps (
    id            BIGINT PRIMARY KEY,
    name          TEXT   NOT NULL,
    website       TEXT,
    -- One URI per line (URIs cannot contain line breaks).
    redirect_uris TEXT   NOT NULL,
    scopes        TEXT   NOT NULL,
    client_id     TEXT   NOT NULL UNIQUE,
    client_secret TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE tokens (
    id           BIGINT PRIMARY KEY,
    app_id       BIGINT  NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    account_id   BIGINT  REFERENCES accounts (id) ON DELETE CASCADE,
    scopes       TEXT    NOT NULL,
    access_hash  TEXT    NOT NULL UNIQUE,
    refresh_hash TEXT    UNIQUE,
    created_at   BIGINT  NOT NULL,
    revoked      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tokens_app ON tokens (app_id);
CREATE INDEX tokens_account ON tokens (account_id) WHERE account_id IS NOT NULL;

CREATE TABLE auth_codes (
    code_hash             TEXT   PRIMARY KEY,
    app_id                BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    account_id            BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    redirect_uri          TEXT   NOT NULL,
    scopes                TEXT   NOT NULL,
    code_challenge        TEXT,
    code_challenge_method TEXT,
    expires_at            BIGINT NOT NULL
);
CREATE INDEX auth_codes_expires ON auth_codes (expires_at);

CREATE TABLE statuses (
    id                     BIGINT PRIMARY KEY,
    account_id             BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    text                   TEXT    NOT NULL,
    content_html           TEXT    NOT NULL,
    spoiler_text           TEXT    NOT NULL DEFAULT '',
    visibility             TEXT    NOT NULL
        CHECK (visibility IN ('public', 'unlisted', 'private', 'direct')),
    sensitive              INTEGER NOT NULL DEFAULT 0,
    language               TEXT,
    -- No foreign key: a reply keeps naming its parent after the parent is deleted.
    in_reply_to_id         BIGINT,
    in_reply_to_account_id BIGINT,
    -- Deleting a status deletes its reblogs.
    reblog_of_id           BIGINT  REFERENCES statuses (id) ON DELETE CASCADE,
    -- No foreign key: a quote keeps naming the quoted status after it is deleted.
    quote_of_id            BIGINT,
    created_at             BIGINT  NOT NULL,
    edited_at              BIGINT,
    replies_count          BIGINT  NOT NULL DEFAULT 0,
    reblogs_count          BIGINT  NOT NULL DEFAULT 0,
    favourites_count       BIGINT  NOT NULL DEFAULT 0,
    quotes_count           BIGINT  NOT NULL DEFAULT 0,
    pinned                 INTEGER NOT NULL DEFAULT 0,
    -- Client-supplied Idempotency-Key, so that a retried POST finds the first result.
    idempotency_key        TEXT
);
-- Profile pages, unfollow clean-up, reblog lookups.
CREATE INDEX statuses_account ON statuses (account_id, id);
-- An account reblogs a status at most once.
CREATE UNIQUE INDEX statuses_reblog_once ON statuses (account_id, reblog_of_id)
    WHERE reblog_of_id IS NOT NULL;
CREATE UNIQUE INDEX statuses_idempotency ON statuses (account_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- reblogged_by and the cascade from a deleted status to its reblogs.
CREATE INDEX statuses_reblog_of ON statuses (reblog_of_id, id) WHERE reblog_of_id IS NOT NULL;
-- Thread walking (descendants).
CREATE INDEX statuses_in_reply_to ON statuses (in_reply_to_id, id) WHERE in_reply_to_id IS NOT NULL;
CREATE INDEX statuses_quote_of ON statuses (quote_of_id) WHERE quote_of_id IS NOT NULL;
-- The public timeline: one range scan. (The terms must match the query literally.)
CREATE INDEX statuses_public ON statuses (id) WHERE visibility = 'public' AND reblog_of_id IS NULL;

CREATE TABLE status_mentions (
    status_id  BIGINT  NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    account_id BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    PRIMARY KEY (status_id, account_id)
);
CREATE INDEX status_mentions_account ON status_mentions (account_id, status_id);

CREATE TABLE status_tags (
    status_id BIGINT  NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    -- Normalised (lower-case) name without '#'.
    tag       TEXT    NOT NULL,
    position  INTEGER NOT NULL,
    PRIMARY KEY (status_id, tag)
);
CREATE INDEX status_tags_tag ON status_tags (tag, status_id);

-- Edit history: every version, the original first (seq 0), written on the first edit.
CREATE TABLE status_edits (
    status_id    BIGINT  NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    content_html TEXT    NOT NULL,
    spoiler_text TEXT    NOT NULL,
    sensitive    INTEGER NOT NULL,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (status_id, seq)
);

-- Materialised home timelines, written by fan-out on create. Reading a page is one range
-- scan of the primary key.
CREATE TABLE home_timeline (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id  BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, status_id)
);
-- The cascade when a status is deleted.
CREATE INDEX home_timeline_status ON home_timeline (status_id);

CREATE TABLE follows (
    id          BIGINT PRIMARY KEY,
    follower_id BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_id   BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- 1 = follow, 0 = pending request.
    accepted    INTEGER NOT NULL,
    -- Notify the follower of the target's new posts.
    notify      INTEGER NOT NULL DEFAULT 0,
    -- Show the target's reblogs in the follower's home timeline.
    reblogs     INTEGER NOT NULL DEFAULT 1,
    UNIQUE (follower_id, target_id)
);
-- Covering for fan-out (target, accepted) -> follower and for paging followers by follow ID.
CREATE INDEX follows_target ON follows (target_id, accepted, id, follower_id);
CREATE INDEX follows_follower ON follows (follower_id, accepted, id, target_id);

CREATE TABLE favourites (
    id         BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id  BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    UNIQUE (account_id, status_id)
);
CREATE INDEX favourites_account ON favourites (account_id, id);
CREATE INDEX favourites_status ON favourites (status_id, id);

CREATE TABLE bookmarks (
    id         BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id  BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    UNIQUE (account_id, status_id)
);
CREATE INDEX bookmarks_account ON bookmarks (account_id, id);
CREATE INDEX bookmarks_status ON bookmarks (status_id);

CREATE TABLE notifications (
    id              BIGINT PRIMARY KEY,
    account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind            TEXT   NOT NULL,
    from_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id       BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
    -- status_id or 0: NULLs are distinct in UNIQUE constraints, so dedupe on this instead.
    status_key      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    UNIQUE (account_id, kind, from_account_id, status_key)
);
CREATE INDEX notifications_account ON notifications (account_id, id);
CREATE INDEX notifications_status ON notifications (status_id) WHERE status_id IS NOT NULL;

CREATE TABLE markers (
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    timeline     TEXT   NOT NULL,
    last_read_id BIGINT NOT NULL,
    version      BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (account_id, timeline)
);

-- View counters: the total and the count of the most recent day seen.
CREATE TABLE status_views (
    status_id BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
    total     BIGINT  NOT NULL,
    day       INTEGER NOT NULL,
    day_count BIGINT  NOT NULL
);
