-- A poll that moved here with its author's account: the votes it had at the old home,
-- as counts only (who voted stays there). Votes cast here are added to them.
ALTER TABLE polls ADD COLUMN voters_carried BIGINT NOT NULL DEFAULT 0;
ALTER TABLE poll_options ADD COLUMN carried BIGINT NOT NULL DEFAULT 0;
