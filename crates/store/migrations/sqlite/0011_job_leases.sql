-- Periodic jobs (scheduled posts, ended polls, the retention purge) run once per region:
-- a node runs a job only while it holds the job's lease, which it renews each round and
-- another node may take once it has ended.
CREATE TABLE job_leases (
    job        TEXT   PRIMARY KEY,
    holder     TEXT   NOT NULL,
    held_until BIGINT NOT NULL
);
