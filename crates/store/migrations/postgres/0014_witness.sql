-- This region as a witness of the other regions' ledgers. `witness_cosigned`: the last
-- head of each region it cosigned (JSON `Cosigned`: its cosignature and the region's own
-- signed head); the next head it cosigns must extend this one. `witness_evidence`: heads a
-- region signed that conflict with one it cosigned (JSON `Evidence`), one row per
-- conflicting head.
CREATE TABLE witness_cosigned (
    region    TEXT   PRIMARY KEY,
    tree_size BIGINT NOT NULL,
    cosigned  TEXT   NOT NULL
);

CREATE TABLE witness_evidence (
    region    TEXT   NOT NULL,
    tree_size BIGINT NOT NULL,
    root_hash TEXT   NOT NULL,
    seen_at   BIGINT NOT NULL,
    evidence  TEXT   NOT NULL,
    PRIMARY KEY (region, tree_size, root_hash)
);
