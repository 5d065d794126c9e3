-- Regions: the transfer ledger, the durable outbox, the inbox's replay guard and the
-- inventory of foreign items.

-- The Merkle transfer ledger's leaves, in order. `idx` is the 0-based leaf index; `leaf`
-- the canonical entry bytes; `hash` its RFC 6962 leaf hash. Append-only: nothing updates
-- or deletes rows (the audit would notice).
CREATE TABLE ledger_leaves (
    idx     BIGINT PRIMARY KEY,
    leaf    BYTEA    NOT NULL,
    hash    BYTEA    NOT NULL,
    -- Copied out of the entry so "where is my data" is an index lookup.
    subject BIGINT
);
CREATE INDEX ledger_leaves_subject ON ledger_leaves (subject, idx) WHERE subject IS NOT NULL;

CREATE TABLE outbox (
    id              BIGINT PRIMARY KEY,
    destination     TEXT    NOT NULL,
    class           TEXT    NOT NULL,
    subject         BIGINT,
    object          TEXT    NOT NULL,
    purpose         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    next_attempt_at BIGINT  NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    state           TEXT    NOT NULL
        CHECK (state IN ('pending', 'delivered', 'expired', 'denied')),
    last_error      TEXT,
    ledger_index    BIGINT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'pending';

-- Activity IDs already handled, so a redelivery or replay changes nothing.
CREATE TABLE inbox_seen (
    activity_id TEXT   PRIMARY KEY,
    received_at BIGINT NOT NULL
);

-- Foreign items this region keeps, with their retention deadline.
CREATE TABLE foreign_items (
    object      TEXT   PRIMARY KEY,
    home_region TEXT   NOT NULL,
    class       TEXT   NOT NULL,
    subject     BIGINT,
    stored_at   BIGINT NOT NULL,
    expires_at  BIGINT
);
CREATE INDEX foreign_items_expiry ON foreign_items (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX foreign_items_subject ON foreign_items (subject) WHERE subject IS NOT NULL;
