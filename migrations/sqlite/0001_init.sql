-- dxs data model (SQLite). Times are UNIX seconds (UTC) in BIGINT columns, so that the
-- same queries and the same Rust types serve SQLite and PostgreSQL and scoring loads plain integers.
-- Every fact table has a natural unique key: collectors write with upserts and never duplicate a row.

CREATE TABLE teams (
    name        TEXT PRIMARY KEY,
    source      TEXT NOT NULL,              -- roster | github | catalog | demo
    updated_at  BIGINT NOT NULL
);

-- The roster: who works here, since when, in which team.
CREATE TABLE developers (
    login       TEXT PRIMARY KEY,
    team        TEXT NOT NULL,
    start_at    BIGINT NOT NULL,            -- start date, 00:00 UTC
    email       TEXT,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE repositories (
    slug        TEXT PRIMARY KEY,           -- owner/name
    team        TEXT,                       -- owning team, NULL while unknown
    team_source TEXT,                       -- catalog | github | roster
    archived    BOOLEAN NOT NULL DEFAULT FALSE,
    pushed_at   BIGINT,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE commits (
    repo         TEXT NOT NULL,
    sha          TEXT NOT NULL,
    author_login TEXT,                      -- NULL when GitHub could not map the author
    authored_at  BIGINT NOT NULL,
    committed_at BIGINT NOT NULL,
    is_bot       BOOLEAN NOT NULL,
    PRIMARY KEY (repo, sha)
);
CREATE INDEX commits_author ON commits (author_login, authored_at);

-- A successful production rollout of a repository at a commit.
CREATE TABLE deployments (
    source      TEXT NOT NULL,              -- github | argocd | orchestrator
    external_id TEXT NOT NULL,
    repo        TEXT NOT NULL,
    sha         TEXT NOT NULL,
    environment TEXT NOT NULL,
    finished_at BIGINT NOT NULL,
    PRIMARY KEY (source, external_id)
);
CREATE INDEX deployments_repo ON deployments (repo, finished_at);

-- A change (commit) once, at its first production deployment.
CREATE TABLE deployment_changes (
    repo              TEXT NOT NULL,
    sha               TEXT NOT NULL,
    deployment_source TEXT NOT NULL,
    deployment_id     TEXT NOT NULL,
    committed_at      BIGINT NOT NULL,
    deployed_at       BIGINT NOT NULL,
    lead_time_seconds BIGINT NOT NULL,
    PRIMARY KEY (repo, sha)
);
CREATE INDEX deployment_changes_deployed ON deployment_changes (deployed_at);

-- A self-service request to the platform orchestrator.
CREATE TABLE self_service_requests (
    source             TEXT NOT NULL,       -- backstage | webhook
    external_id        TEXT NOT NULL,
    team               TEXT NOT NULL,
    kind               TEXT NOT NULL,
    status             TEXT NOT NULL,       -- succeeded | failed | cancelled | running
    human_intervention BOOLEAN NOT NULL,
    created_at         BIGINT NOT NULL,
    finished_at        BIGINT,
    PRIMARY KEY (source, external_id)
);
CREATE INDEX self_service_requests_finished ON self_service_requests (finished_at);

-- A survey invite: only the SHA-256 of the token is kept, never who it was sent to.
CREATE TABLE survey_invites (
    invite_hash TEXT PRIMARY KEY,
    quarter     TEXT NOT NULL,
    team        TEXT NOT NULL,
    issued_at   BIGINT NOT NULL
);

-- Invites that have answered. Kept apart from the responses, with no time, so that a response
-- cannot be joined back to its invite.
CREATE TABLE survey_invite_uses (
    invite_hash TEXT PRIMARY KEY
);

-- An anonymous survey response: team, quarter and day only.
CREATE TABLE survey_responses (
    id           TEXT PRIMARY KEY,          -- random, not ordered
    quarter      TEXT NOT NULL,
    team         TEXT NOT NULL,
    submitted_on TEXT NOT NULL              -- YYYY-MM-DD
);
CREATE INDEX survey_responses_quarter ON survey_responses (quarter, team);

CREATE TABLE survey_answers (
    response_id TEXT NOT NULL REFERENCES survey_responses (id) ON DELETE CASCADE,
    question    TEXT NOT NULL,
    number      DOUBLE PRECISION,           -- scale and nps answers
    text        TEXT,                       -- choice and free-text answers
    PRIMARY KEY (response_id, question)
);

-- Where each collector stopped: an incremental run asks only for what changed since.
CREATE TABLE collector_cursors (
    source     TEXT NOT NULL,
    scope      TEXT NOT NULL,               -- e.g. a repository, or '' for the whole source
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (source, scope)
);

CREATE TABLE collector_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT,
    outcome     TEXT NOT NULL,              -- running | success | error
    items       BIGINT NOT NULL DEFAULT 0,
    error       TEXT
);
CREATE INDEX collector_runs_source ON collector_runs (source, started_at);

-- The computed score: one JSON document per quarter and team ('all' is the organisation).
CREATE TABLE score_snapshots (
    quarter     TEXT NOT NULL,
    team        TEXT NOT NULL,
    computed_at BIGINT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (quarter, team)
);
