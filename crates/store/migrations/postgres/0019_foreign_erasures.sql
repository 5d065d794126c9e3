-- Erasures abroad: each account of another region this region was told to erase, kept
-- after its rows are gone. No personal data: the ID, the home that told us and when. A
-- restore from an older backup erases these accounts again, and activities about them
-- that arrive late are not applied.
-- No foreign key to `accounts`: the account row is what was erased.
CREATE TABLE foreign_erasures (
    account_id  BIGINT  PRIMARY KEY,
    home_region TEXT    NOT NULL,
    erased_at   BIGINT  NOT NULL
);
