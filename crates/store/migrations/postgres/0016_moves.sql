-- Accounts that moved to another region at their user's request: the forwarding the old
-- home keeps after erasing the account, so its old IDs still resolve. No personal data:
-- IDs, the region and when. new_id is NULL while the move runs (one move at a time).
-- No foreign key to `accounts`: the account row is what was erased.
CREATE TABLE moved_accounts (
    account_id BIGINT  PRIMARY KEY,
    region     TEXT    NOT NULL,
    new_id     BIGINT,
    started_at BIGINT  NOT NULL,
    moved_at   BIGINT
);

-- Each moved post's new ID at the new home.
CREATE TABLE moved_statuses (
    status_id  BIGINT  PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES moved_accounts (account_id) ON DELETE CASCADE,
    new_id     BIGINT NOT NULL
);
