-- Moderation: roles, account states, reports, admin domain blocks.

-- What moderators did to an account, on the account row itself: every read of an account
-- (the row cache included) carries it, so hiding a suspended author costs no extra query.
-- These facts are public in Mastodon too (`suspended`, `limited` on the Account entity).
ALTER TABLE accounts ADD COLUMN suspended_at BIGINT;
ALTER TABLE accounts ADD COLUMN silenced_at BIGINT;
ALTER TABLE accounts ADD COLUMN sensitized_at BIGINT;

-- Identity class, with the rest of the user row: never leaves the home region.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'user'
    CHECK (role IN ('user', 'moderator', 'admin', 'owner'));
ALTER TABLE users ADD COLUMN approved INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
-- Why the person wants to join (approval-mode sign-ups).
ALTER TABLE users ADD COLUMN sign_up_reason TEXT;
CREATE INDEX users_staff ON users (role) WHERE role <> 'user';
CREATE INDEX users_pending ON users (account_id) WHERE approved = 0;

CREATE TABLE reports (
    id                  BIGINT PRIMARY KEY,
    -- The reporting account (a local user): kept here, never sent with a forward.
    -- NULL for a report another region forwarded (anonymously).
    account_id          BIGINT  REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id   BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    category            TEXT    NOT NULL
        CHECK (category IN ('spam', 'legal', 'violation', 'other')),
    comment             TEXT    NOT NULL DEFAULT '',
    -- Comma-separated rule IDs.
    rule_ids            TEXT    NOT NULL DEFAULT '',
    forwarded           INTEGER NOT NULL DEFAULT 0,
    -- Set when the report came from another region's moderators (anonymous).
    origin_region       TEXT,
    assigned_account_id BIGINT,
    action_taken_by     BIGINT,
    action_taken_at     BIGINT,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);
CREATE INDEX reports_target ON reports (target_account_id, id);
CREATE INDEX reports_reporter ON reports (account_id, id);
CREATE INDEX reports_open ON reports (id) WHERE action_taken_at IS NULL;

-- No foreign key: a report keeps naming a status after the status is deleted.
CREATE TABLE report_statuses (
    report_id BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL,
    PRIMARY KEY (report_id, status_id)
);

-- Another region's domain blocked by this region's administrators.
CREATE TABLE admin_domain_blocks (
    id              BIGINT PRIMARY KEY,
    domain          TEXT    NOT NULL UNIQUE,
    severity        TEXT    NOT NULL CHECK (severity IN ('silence', 'suspend', 'noop')),
    reject_media    INTEGER NOT NULL DEFAULT 0,
    reject_reports  INTEGER NOT NULL DEFAULT 0,
    private_comment TEXT,
    public_comment  TEXT,
    obfuscate       INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL
);
