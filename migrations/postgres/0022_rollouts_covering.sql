-- Scoring reads a period's rollouts (and the failure facts the rollouts after it) from one
-- covering index: by finish time alone every row was a lookup in the table (100,000 rollouts:
-- 0.3 to 0.5 s of the 1x scoring benchmark's load on SQLite, four times the covered read).
DROP INDEX rollouts_finished;
CREATE INDEX rollouts_finished ON rollouts (finished_at, service, repo, kind, sha);
