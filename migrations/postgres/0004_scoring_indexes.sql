-- Scoring asks, per repository, whether it had a commit in the trailing window (adoption):
-- one index seek per repository instead of a scan of every commit.
CREATE INDEX commits_repo_committed ON commits (repo, committed_at);

-- Scoring reads the changes of a quarter (repository and lead time) from the index alone.
CREATE INDEX deployment_changes_scoring ON deployment_changes (deployed_at, repo, lead_time_seconds);
DROP INDEX deployment_changes_deployed;
