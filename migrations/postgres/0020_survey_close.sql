-- Publish once, at close; no late answers (issue 23, DESIGN §10 third round).

-- A quarter's survey window: open from its first invite for survey.window_days, or until
-- `dxs survey close`. No post is taken once closed_at is set; frozen_k is set once every held
-- response of the quarter is released: from then on (and never before) its figures are
-- published, suppressed with this min_group_size, and they never change again.
CREATE TABLE survey_windows (
    quarter   TEXT PRIMARY KEY,
    opened_at BIGINT NOT NULL,
    closed_at BIGINT,
    frozen_k  BIGINT
);
-- Quarters invited before this version: opened at the quarter's start (so a quarter that has
-- ended, or whose window has passed, closes at the next release tick and publishes as before).
INSERT INTO survey_windows (quarter, opened_at)
    SELECT DISTINCT quarter,
           CAST(EXTRACT(EPOCH FROM make_date(CAST(substr(quarter, 1, 4) AS INTEGER),
                (CAST(substr(quarter, 7, 1) AS INTEGER) - 1) * 3 + 1, 1)) AS BIGINT)
    FROM survey_invites;

-- An invite is used per (quarter, developer), whatever the survey secret: use_key is an HMAC of
-- the quarter and the login under a random key of this database (survey_salt), so a new secret's
-- invite of a developer who answered is used already. Invites stored before keep their hash.
CREATE TABLE survey_salt (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    salt TEXT NOT NULL
);
ALTER TABLE survey_invites ADD COLUMN use_key TEXT NOT NULL DEFAULT '';
UPDATE survey_invites SET use_key = invite_hash;
ALTER TABLE survey_invite_uses RENAME COLUMN invite_hash TO use_key;
