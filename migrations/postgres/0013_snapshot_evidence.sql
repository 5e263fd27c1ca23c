-- What the outputs show beside the score, written by the scoring pass with the score snapshots,
-- so that the report, the API and the home page never read a fact (DESIGN §1).
-- Per quarter: the onboarding cohort and the survey's pain-point themes (JSON).
CREATE TABLE snapshot_evidence (
    quarter TEXT PRIMARY KEY,
    body    TEXT NOT NULL
);
-- The whole store, one row: row counts, team names and collector freshness (JSON).
CREATE TABLE store_summary (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL
);
