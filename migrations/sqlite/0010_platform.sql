-- The platform team's own view: GitHub's rate limit as each run left it (so /metrics shows the
-- last known figure after a restart, on every replica), and Kubernetes namespaces for adoption
-- by namespace (DESIGN §4 [kubernetes], score.adoption_basis = "namespaces").
ALTER TABLE collector_runs ADD COLUMN rate_limit_remaining BIGINT;

-- One row per namespace the kubernetes collector has seen; a namespace that disappears from
-- the cluster keeps its row with deleted_at, so past quarters are judged by what existed then.
CREATE TABLE namespaces (
    name        TEXT PRIMARY KEY,
    team        TEXT,                    -- the team_label's value; NULL when the label is missing
    managed     BOOLEAN NOT NULL,        -- managed_label = "true"
    created_at  BIGINT NOT NULL,         -- metadata.creationTimestamp
    deleted_at  BIGINT,                  -- first run that no longer listed it
    updated_at  BIGINT NOT NULL
);
