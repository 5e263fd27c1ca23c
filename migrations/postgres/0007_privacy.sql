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
-- their own, so no response row shares a transaction id (xmin) with its used invite.
CREATE TABLE survey_pending (
    id      TEXT PRIMARY KEY,            -- random
    quarter TEXT NOT NULL,
    team    TEXT NOT NULL,
    answers TEXT NOT NULL                -- JSON: [{"question", "number", "text"}]
);
CREATE INDEX survey_pending_quarter ON survey_pending (quarter);

-- No time finer than the quarter: an invite made at the first visit of an SSO user dated that visit.
ALTER TABLE survey_invites DROP COLUMN issued_at;
ALTER TABLE survey_responses DROP COLUMN submitted_on;

-- Existing responses were written in the transaction that used their invite (the same xmin) and
-- in the order of submission (ctid). Written again here, in a random order, every row is kept
-- and loses both; the used invites keep their own transaction ids.
CREATE TEMPORARY TABLE moved_responses ON COMMIT DROP AS SELECT id, quarter, team FROM survey_responses;
CREATE TEMPORARY TABLE moved_answers ON COMMIT DROP AS
    SELECT response_id, question, number, text, quarter, team FROM survey_answers;
DELETE FROM survey_answers;
DELETE FROM survey_responses;
INSERT INTO survey_responses (id, quarter, team)
    SELECT id, quarter, team FROM moved_responses ORDER BY random();
INSERT INTO survey_answers (response_id, question, number, text, quarter, team)
    SELECT response_id, question, number, text, quarter, team FROM moved_answers ORDER BY random();
