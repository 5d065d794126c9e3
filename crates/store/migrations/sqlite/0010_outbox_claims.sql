-- Outbox claims: several nodes of one region work the same outbox. A worker leases the
-- rows it is about to attempt (`claimed_until`, ms); others skip them until the lease
-- ends, so a crashed worker's rows are retried after it. Writing the row back clears it.
ALTER TABLE outbox ADD COLUMN claimed_until BIGINT;
