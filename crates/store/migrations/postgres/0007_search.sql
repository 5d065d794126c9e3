-- Search and suggestions.

-- Mastodon 4.2's opt-in: the account's public posts may be found by full-text search.
ALTER TABLE accounts ADD COLUMN indexable INTEGER NOT NULL DEFAULT 0;

-- Suggestions an account dismissed (`DELETE /api/v1/suggestions/:id`). The target has no
-- foreign key: it may be another region's account known only by its ID.
CREATE TABLE suggestion_dismissals (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_id  BIGINT NOT NULL,
    PRIMARY KEY (account_id, target_id)
);
