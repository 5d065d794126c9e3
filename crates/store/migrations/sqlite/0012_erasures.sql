-- Erased accounts: the home region's record of each account a user (or an operator)
-- deleted, kept after every other row of it is gone. No personal data: the ID, when, the
-- SHA-256 of the folded handle (so the handle is never given out again) and, per region
-- that was told, when it acknowledged and the ledger entry of its acknowledgement.
-- No foreign key to `accounts`: the account row is what was erased.
CREATE TABLE erasures (
    account_id    INTEGER PRIMARY KEY,
    handle_sha256 TEXT    NOT NULL UNIQUE,
    erased_at     BIGINT  NOT NULL
);

CREATE TABLE erasure_regions (
    account_id      BIGINT NOT NULL REFERENCES erasures (account_id) ON DELETE CASCADE,
    region          TEXT   NOT NULL,
    acknowledged_at BIGINT,
    ledger_index    BIGINT,
    PRIMARY KEY (account_id, region)
) WITHOUT ROWID;
