-- One pipeline from facts to every replica (DESIGN §1, §9).
-- The version of the score snapshots: every write of a quarter's snapshots increments it in
-- the same transaction, and every replica polls it to publish the newest snapshot.
CREATE TABLE snapshot_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO snapshot_version (id, version) VALUES (1, 0);

-- Closed quarters: each push GitHub reported is kept as a fact dated when it happened, so "active
-- in the window" never depends on a repository's current last push.
CREATE TABLE repository_pushes (
    repo      TEXT NOT NULL,
    pushed_at BIGINT NOT NULL,
    PRIMARY KEY (repo, pushed_at)
);
INSERT INTO repository_pushes (repo, pushed_at)
    SELECT slug, pushed_at FROM repositories WHERE pushed_at IS NOT NULL;
