-- Scoring asks, per repository, whether it had a commit in the trailing window (adoption):
-- one index seek per repository instead of a scan of every commit.
CREATE INDEX commits_repo_committed ON commits (repo, committed_at);
