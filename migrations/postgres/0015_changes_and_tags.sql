-- Third round of delivery (DESIGN §5): changes are pull requests, image tags are git refs.

-- What GitHub's GraphQL API said of a deployed commit (`associatedPullRequests`), asked once
-- ever. A commit without a row is a change of its own (facts written before this table, the
-- demo); a `pending` one waits for its lookup and is no change yet, never a guess.
CREATE TABLE commit_pulls (
    repo       TEXT NOT NULL,               -- owner/name
    sha        TEXT NOT NULL,
    state      TEXT NOT NULL,               -- pending | pull | direct
    number     BIGINT,                      -- the merged pull request that brought it (pull)
    started_at BIGINT,                      -- the pull request's start: its earliest author date
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (repo, sha)
);
CREATE INDEX commit_pulls_state ON commit_pulls (state, repo);

-- Changes, the unit of lead time: a merged pull request (`#<number>`), or a commit pushed
-- outside any (its sha), of a service, at the first deployment that shipped any of its
-- commits; derived from `deployment_changes` and `commit_pulls` whenever they change.
CREATE TABLE changes (
    service           TEXT NOT NULL,
    change_id         TEXT NOT NULL,
    repo              TEXT NOT NULL,
    started_at        BIGINT NOT NULL,      -- pull request: earliest author date; else committer date
    deployment_source TEXT NOT NULL,
    deployment_id     TEXT NOT NULL,
    deployed_at       BIGINT NOT NULL,
    lead_time_seconds BIGINT NOT NULL,
    commits           BIGINT NOT NULL,      -- its commits shipped to the service
    PRIMARY KEY (service, change_id)
);
-- Scoring reads a quarter's changes from this covering index alone (as 0019 does for commits).
CREATE INDEX changes_scoring ON changes (deployed_at, service, repo, lead_time_seconds);
-- Every commit shipped so far was a change of its own: the rule it was counted under.
INSERT INTO changes
    SELECT service, sha, repo, committed_at, deployment_source, deployment_id, deployed_at,
           lead_time_seconds, 1
    FROM deployment_changes;

-- GitOps: an image tag that is not a SHA (`v1.4.2`), resolved as a git ref of the image's
-- repository once, ever.
CREATE TABLE image_tags (
    repo        TEXT NOT NULL,
    tag         TEXT NOT NULL,
    sha         TEXT NOT NULL,
    resolved_at BIGINT NOT NULL,
    PRIMARY KEY (repo, tag)
);
