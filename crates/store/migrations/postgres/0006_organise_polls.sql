-- Polls, scheduled posts, posting preferences, notes, endorsements, featured tags.

-- Profile fields (public profile): name, source and rendered value, joined by U+001F,
-- fields by U+001E (both stripped from what users type).
ALTER TABLE accounts ADD COLUMN fields TEXT NOT NULL DEFAULT '';

-- A poll is part of its status (the status's data class) and shares its ID: the poll's
-- home is the status's home, named by the ID.
CREATE TABLE polls (
    status_id   BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
    multiple    INTEGER NOT NULL DEFAULT 0,
    hide_totals INTEGER NOT NULL DEFAULT 0,
    expires_at  BIGINT  NOT NULL,
    -- Set once the end was announced to voters and author (the job runs once per poll).
    ended       INTEGER NOT NULL DEFAULT 0,
    -- A poll of another region: its home's count of voters (votes are counted there).
    voters_tally BIGINT
);
CREATE INDEX polls_pending_end ON polls (expires_at) WHERE ended = 0;

CREATE TABLE poll_options (
    status_id BIGINT  NOT NULL REFERENCES polls (status_id) ON DELETE CASCADE,
    idx       INTEGER NOT NULL,
    title     TEXT    NOT NULL,
    -- A poll of another region: its home's count for this option.
    tally     BIGINT,
    PRIMARY KEY (status_id, idx)
);

-- Engagement class: who voted for what. A voter of another region is a bare address row.
CREATE TABLE poll_votes (
    status_id  BIGINT  NOT NULL REFERENCES polls (status_id) ON DELETE CASCADE,
    account_id BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    choice     INTEGER NOT NULL,
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (status_id, account_id, choice)
);
CREATE INDEX poll_votes_account ON poll_votes (account_id);

-- The owner's private data below: never sent to another region.

-- A post waiting for its time; published (and removed) in one write.
CREATE TABLE scheduled_statuses (
    id              BIGINT PRIMARY KEY,
    account_id      BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scheduled_at    BIGINT  NOT NULL,
    text            TEXT    NOT NULL,
    visibility      TEXT,
    spoiler_text    TEXT,
    sensitive       INTEGER,
    language        TEXT,
    in_reply_to_id  BIGINT,
    quoted_status_id BIGINT,
    -- Poll options joined by U+001F (stripped from titles), NULL without a poll.
    poll_options    TEXT,
    poll_expires_in BIGINT,
    poll_multiple   INTEGER NOT NULL DEFAULT 0,
    poll_hide_totals INTEGER NOT NULL DEFAULT 0,
    idempotency_key TEXT,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX scheduled_statuses_due ON scheduled_statuses (scheduled_at);
CREATE INDEX scheduled_statuses_account ON scheduled_statuses (account_id, id);

-- `source[privacy|sensitive|language]`: what a post gets when it does not say.
CREATE TABLE posting_defaults (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    visibility TEXT    NOT NULL DEFAULT 'public',
    sensitive  INTEGER NOT NULL DEFAULT 0,
    language   TEXT
);

CREATE TABLE account_notes (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    comment    TEXT   NOT NULL,
    PRIMARY KEY (account_id, target_id)
);

CREATE TABLE endorsements (
    id         BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    UNIQUE (account_id, target_id)
);

CREATE TABLE featured_tags (
    id         BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, name)
);

-- Announcements of the region's admins (public text: `aggregate`-like, no person in
-- them); who read one and who reacted how stay at home with the reader.
CREATE TABLE announcements (
    id           BIGINT PRIMARY KEY,
    text         TEXT    NOT NULL,
    content_html TEXT    NOT NULL,
    starts_at    BIGINT,
    ends_at      BIGINT,
    all_day      INTEGER NOT NULL DEFAULT 0,
    published_at BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    -- Set when an admin ends it: it is no longer listed.
    ended_at     BIGINT
);

CREATE TABLE announcement_reads (
    announcement_id BIGINT  NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    account_id      BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (announcement_id, account_id)
);

CREATE TABLE announcement_reactions (
    announcement_id BIGINT  NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    account_id      BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    -- Reactions are listed in the order they were first given (SQLite reads its rowid).
    seq             BIGINT  GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (announcement_id, account_id, name)
);
