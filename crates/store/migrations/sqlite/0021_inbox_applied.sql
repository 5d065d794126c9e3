-- An inbound activity is marked when its handling begins and applied when it ends: a mark
-- left unapplied by a process that stopped half-way is taken over by the redelivery,
-- which would otherwise be ignored as seen. Rows from before were applied.
ALTER TABLE inbox_seen ADD COLUMN applied INTEGER NOT NULL DEFAULT 1;
