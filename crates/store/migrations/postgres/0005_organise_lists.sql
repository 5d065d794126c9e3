-- Lists, filters, conversations and followed tags: what a user keeps to organise what
-- they read. All of it is the owner's private data (treated like identity: it never
-- leaves the home region), so every owner is a local account; a list member or a
-- conversation participant may be another region's account (known by its ID).

-- A list; `replies_policy` is Mastodon's (followed | list | none); an `exclusive` list's
-- members' posts stay out of the owner's home timeline.
CREATE TABLE lists (
    id             BIGINT PRIMARY KEY,
    account_id     BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title          TEXT    NOT NULL,
    replies_policy TEXT    NOT NULL DEFAULT 'list'
        CHECK (replies_policy IN ('followed', 'list', 'none')),
    exclusive      INTEGER NOT NULL DEFAULT 0,
    created_at     BIGINT  NOT NULL
);
CREATE INDEX lists_account ON lists (account_id, id);

-- A member rests on the owner's follow of them (as in Mastodon): an unfollow or a block
-- deletes the follow, and the membership goes with it.
CREATE TABLE list_accounts (
    id         BIGINT PRIMARY KEY,
    list_id    BIGINT NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL,
    follow_id  BIGINT NOT NULL REFERENCES follows (id) ON DELETE CASCADE,
    UNIQUE (list_id, account_id)
);
-- The fan-out asks which lists hold the author.
CREATE INDEX list_accounts_account ON list_accounts (account_id, list_id);
CREATE INDEX list_accounts_follow ON list_accounts (follow_id);

-- Materialised list timelines, written by the fan-out like home_timeline (so the home
-- timeline's read stays one range scan and a list's is one too). An entry goes with its
-- status and with its member's membership.
CREATE TABLE list_timeline (
    list_id    BIGINT NOT NULL,
    status_id  BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL,
    PRIMARY KEY (list_id, status_id),
    FOREIGN KEY (list_id, account_id) REFERENCES list_accounts (list_id, account_id)
        ON DELETE CASCADE
);
CREATE INDEX list_timeline_status ON list_timeline (status_id);
CREATE INDEX list_timeline_member ON list_timeline (list_id, account_id);

-- Filters (Mastodon's v2 CustomFilter). `context`: the contexts, comma-separated;
-- `expires_at` (ms) passed: not in effect (nothing deletes it).
CREATE TABLE filters (
    id         BIGINT PRIMARY KEY,
    account_id BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title      TEXT    NOT NULL,
    context    TEXT    NOT NULL,
    action     TEXT    NOT NULL CHECK (action IN ('warn', 'hide', 'blur')),
    expires_at BIGINT,
    created_at BIGINT  NOT NULL
);
CREATE INDEX filters_account ON filters (account_id, id);

CREATE TABLE filter_keywords (
    id         BIGINT PRIMARY KEY,
    filter_id  BIGINT  NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    keyword    TEXT    NOT NULL,
    whole_word INTEGER NOT NULL
);
CREATE INDEX filter_keywords_filter ON filter_keywords (filter_id, id);

CREATE TABLE filter_statuses (
    id        BIGINT PRIMARY KEY,
    filter_id BIGINT NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    UNIQUE (filter_id, status_id)
);
CREATE INDEX filter_statuses_status ON filter_statuses (status_id);

-- One direct thread as one participant sees it. `id` is the ID of the direct status
-- that opened it for this account (unique per account, minted in the status's region);
-- `last_id` the newest direct status's ID, the paging key (it outlives that status,
-- `last_status_id` does not); `participants` the others' IDs, comma-separated.
CREATE TABLE conversations (
    account_id     BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id             BIGINT  NOT NULL,
    root_id        BIGINT  NOT NULL,
    last_id        BIGINT  NOT NULL,
    last_status_id BIGINT  REFERENCES statuses (id) ON DELETE SET NULL,
    participants   TEXT    NOT NULL,
    unread         INTEGER NOT NULL,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, root_id)
);
CREATE INDEX conversations_page ON conversations (account_id, last_id);
CREATE INDEX conversations_last_status ON conversations (last_status_id);

-- Hashtags an account follows (normalised name, without '#'): their public posts join
-- the follower's home timeline through the fan-out.
CREATE TABLE followed_tags (
    id         BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    tag        TEXT   NOT NULL,
    UNIQUE (account_id, tag)
);
CREATE INDEX followed_tags_tag ON followed_tags (tag, account_id);
