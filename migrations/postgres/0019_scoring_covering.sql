-- Scoring reads a quarter's changes from one covering index (their service's repository
-- included: without it every row was a lookup in the table, ten times slower), and the change
-- failure rate finds reverting and reverted commits by SHA instead of walking the changes.
DROP INDEX deployment_changes_scoring;
CREATE INDEX deployment_changes_scoring ON deployment_changes (deployed_at, service, repo, lead_time_seconds);
CREATE INDEX deployment_changes_commit ON deployment_changes (sha);
