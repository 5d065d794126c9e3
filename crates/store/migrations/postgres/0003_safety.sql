-- Safety: blocks, mutes, user-level domain (region) blocks and conversation mutes.
--
-- The targets carry no foreign key: a foreign account may be known here only by its ID
-- (its profile is kept only as its home's policy allows). The owner's side cascades.

-- `account_id` blocks `target_id`. Both directions are read (who blocks whom), hence the
-- reverse index.
CREATE TABLE blocks (
    id         BIGINT PRIMARY KEY,
    account_id BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_id  BIGINT  NOT NULL,
    created_at BIGINT  NOT NULL,
    UNIQUE (account_id, target_id)
);
CREATE INDEX blocks_account ON blocks (account_id, id);
CREATE INDEX blocks_target ON blocks (target_id, account_id);

-- `account_id` mutes `target_id`; `notifications` = 1 hides their notifications too;
-- a mute whose `expires_at` (ms) has passed is not in effect (nothing deletes it).
CREATE TABLE mutes (
    id            BIGINT PRIMARY KEY,
    account_id    BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_id     BIGINT  NOT NULL,
    notifications INTEGER NOT NULL DEFAULT 1,
    expires_at    BIGINT,
    created_at    BIGINT  NOT NULL,
    UNIQUE (account_id, target_id)
);
CREATE INDEX mutes_account ON mutes (account_id, id);
CREATE INDEX mutes_target ON mutes (target_id, account_id);

-- A user hides a whole region (`region` is its code; `domain` the name the user gave,
-- lower-cased, as `GET /api/v1/domain_blocks` answers it).
CREATE TABLE user_domain_blocks (
    id         BIGINT PRIMARY KEY,
    account_id BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    domain     TEXT    NOT NULL,
    region     TEXT,
    created_at BIGINT  NOT NULL,
    UNIQUE (account_id, domain)
);
CREATE INDEX user_domain_blocks_region ON user_domain_blocks (account_id, region);
-- Who hides a region: the live hub asks it of every post's author.
CREATE INDEX user_domain_blocks_by_region ON user_domain_blocks (region, account_id);

-- `account_id` muted the thread whose root is `root_id`: no notifications from it.
CREATE TABLE conversation_mutes (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    root_id    BIGINT NOT NULL,
    PRIMARY KEY (account_id, root_id)
);
