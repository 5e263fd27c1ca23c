-- Access and survey privacy (issue 13).

-- /login sessions: random ids kept server-side, so a session expires and POST /logout ends it.
-- Only the SHA-256 of the id (the cookie) is stored: reading the table gives no session.
CREATE TABLE admin_sessions (
    id_hash    TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX admin_sessions_expiry ON admin_sessions (expires_at);

-- Webhook deliveries already handled (GitHub's X-GitHub-Delivery): a replay is a no-op.
CREATE TABLE webhook_deliveries (
    source      TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    seen_at     BIGINT NOT NULL,
    PRIMARY KEY (source, delivery_id)
);
CREATE INDEX webhook_deliveries_seen ON webhook_deliveries (seen_at);

-- Responses waiting for their release: moved into survey_responses and survey_answers in
-- shuffled batches of at least min_group_size (or at the quarter's end), in a transaction of
-- their own. WITHOUT ROWID: rows sit in the order of their random id, not of their arrival.
CREATE TABLE survey_pending (
    id      TEXT PRIMARY KEY,            -- random
    quarter TEXT NOT NULL,
    team    TEXT NOT NULL,
    answers TEXT NOT NULL                -- JSON: [{"question", "number", "text"}]
) WITHOUT ROWID;
CREATE INDEX survey_pending_quarter ON survey_pending (quarter);

-- No time finer than the quarter: an invite made at the first visit of an SSO user dated that visit.
ALTER TABLE survey_invites DROP COLUMN issued_at;

-- Responses, answers and used invites without rowid (the n-th used invite was the n-th response)
-- and without the day of submission. Every existing row is kept.
CREATE TABLE survey_responses_v7 (
    id      TEXT PRIMARY KEY,            -- random, not ordered
    quarter TEXT NOT NULL,
    team    TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO survey_responses_v7 (id, quarter, team) SELECT id, quarter, team FROM survey_responses;

CREATE TABLE survey_answers_v7 (
    response_id TEXT NOT NULL REFERENCES survey_responses_v7 (id) ON DELETE CASCADE,
    question    TEXT NOT NULL,
    number      DOUBLE PRECISION,
    text        TEXT,
    quarter     TEXT NOT NULL,
    team        TEXT NOT NULL,
    PRIMARY KEY (response_id, question)
) WITHOUT ROWID;
INSERT INTO survey_answers_v7 (response_id, question, number, text, quarter, team)
    SELECT response_id, question, number, text, quarter, team FROM survey_answers;

CREATE TABLE survey_invite_uses_v7 (
    invite_hash TEXT PRIMARY KEY
) WITHOUT ROWID;
INSERT INTO survey_invite_uses_v7 (invite_hash) SELECT invite_hash FROM survey_invite_uses;

DROP TABLE survey_answers;
DROP TABLE survey_responses;
DROP TABLE survey_invite_uses;
ALTER TABLE survey_responses_v7 RENAME TO survey_responses;
ALTER TABLE survey_answers_v7 RENAME TO survey_answers;
ALTER TABLE survey_invite_uses_v7 RENAME TO survey_invite_uses;
CREATE INDEX survey_responses_quarter ON survey_responses (quarter, team);
CREATE INDEX survey_answers_quarter ON survey_answers (quarter, question);
