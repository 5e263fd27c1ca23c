-- Commits that revert another (`This reverts commit <sha>` in the message), read with the
-- changes: a later rollout shipping one marks the rollout of the reverted commit failed.
-- (A migration of its own: 0009 had already been applied when this table was added.)
CREATE TABLE commit_reverts (
    repo     TEXT NOT NULL,
    sha      TEXT NOT NULL,                 -- the reverting commit
    reverted TEXT NOT NULL,                 -- as the message names it (7 to 40 hex digits)
    PRIMARY KEY (repo, sha, reverted)
);
