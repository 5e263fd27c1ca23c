-- Delivery shapes (services, rollouts, GitOps). A service is what is deployed: a repository by
-- default (named by its slug), or a path of a repository ([[services]], Backstage tree URLs).

-- Services that are a path of a repository: from the configuration or the Backstage catalog.
CREATE TABLE services (
    name       TEXT PRIMARY KEY,
    repo       TEXT NOT NULL,               -- owner/name
    path       TEXT NOT NULL,               -- e.g. services/checkout-web/ ('' = the whole repository)
    team       TEXT,                        -- NULL: the repository's team
    source     TEXT NOT NULL,               -- config | catalog | demo
    updated_at BIGINT NOT NULL
);

-- Each deployment belongs to one service (the repository's slug when it names none).
ALTER TABLE deployments ADD COLUMN service TEXT NOT NULL DEFAULT '';
UPDATE deployments SET service = repo;
CREATE INDEX deployments_service ON deployments (service, finished_at);

-- A change is a commit of a service: a commit touching two services is a change of each.
CREATE TABLE deployment_changes_new (
    service           TEXT NOT NULL,
    repo              TEXT NOT NULL,
    sha               TEXT NOT NULL,
    deployment_source TEXT NOT NULL,
    deployment_id     TEXT NOT NULL,
    committed_at      BIGINT NOT NULL,
    deployed_at       BIGINT NOT NULL,
    lead_time_seconds BIGINT NOT NULL,
    PRIMARY KEY (service, sha)
);
INSERT INTO deployment_changes_new
    SELECT repo, repo, sha, deployment_source, deployment_id, committed_at, deployed_at, lead_time_seconds
    FROM deployment_changes;
DROP TABLE deployment_changes;
ALTER TABLE deployment_changes_new RENAME TO deployment_changes;
CREATE INDEX deployment_changes_scoring ON deployment_changes (deployed_at, service, lead_time_seconds);

-- Rollouts, derived from the deployments (rewritten per service whenever its deployments or
-- changes change): one (service, commit) at its earliest finish, whichever sources saw it; a
-- deployment of a commit older than the live one is a rollback. Kept as facts for the change
-- failure rate.
CREATE TABLE rollouts (
    service      TEXT NOT NULL,
    repo         TEXT NOT NULL,
    sha          TEXT NOT NULL,
    kind         TEXT NOT NULL,             -- rollout | rollback
    finished_at  BIGINT NOT NULL,
    source       TEXT NOT NULL,             -- the deployment that made it
    external_id  TEXT NOT NULL,
    previous_sha TEXT,                      -- the commit live before (NULL for the first)
    PRIMARY KEY (service, finished_at, sha)
);
CREATE INDEX rollouts_finished ON rollouts (finished_at);

-- GitOps: the container images of each config-repository revision of an Application, read from
-- ArgoCD's rendered manifests once, ever.
CREATE TABLE gitops_revisions (
    app        TEXT NOT NULL,               -- namespace/name
    revision   TEXT NOT NULL,
    images     TEXT NOT NULL,               -- JSON array of image references
    fetched_at BIGINT NOT NULL,
    PRIMARY KEY (app, revision)
);

-- Problems a run noted without failing (bad roster lines, unmapped images).
ALTER TABLE collector_runs ADD COLUMN warnings BIGINT NOT NULL DEFAULT 0;
