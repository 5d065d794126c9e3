-- Accounts that moved here from another region: what the new home made of each, so a
-- repeated package (its answer lost on the way back) is answered again rather than
-- taken as a second account. IDs, a region code and times only.
CREATE TABLE moved_in (
    old_id      BIGINT  PRIMARY KEY,
    origin      TEXT    NOT NULL,
    account_id  BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    received_at BIGINT  NOT NULL
);

-- Each moved post's ID here, kept before the post is written so a repeat finds it.
CREATE TABLE moved_in_statuses (
    old_id     BIGINT  PRIMARY KEY,
    account_id BIGINT  NOT NULL REFERENCES moved_in (old_id) ON DELETE CASCADE,
    new_id     BIGINT  NOT NULL
);

-- Set while the account's move away from here runs: its writes are refused then, since
-- the package is being read and nothing written after would reach the new home.
ALTER TABLE accounts ADD COLUMN moving_since BIGINT;
