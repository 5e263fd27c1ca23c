-- Held survey responses sealed (issue 23, DESIGN §10 "Nothing readable links"): until its
-- release, the answers of a held response are an XChaCha20-Poly1305 box (`sealed`) under a key
-- derived from the survey secret, bound to the row's quarter and team. Quarter and team stay in
-- clear: the release counts a quarter's held responses, participation (published while the
-- survey is open) counts them per team, and the team is that of the response's invite, which
-- survey_invites holds in clear already.
-- A row held before this migration keeps its answers in clear (`answers`) until the next release
-- pass of dxs seals it: a migration does not have the secret.
CREATE TABLE survey_pending_v21 (
    id      TEXT PRIMARY KEY,            -- random
    quarter TEXT NOT NULL,
    team    TEXT NOT NULL,
    sealed  BLOB,                        -- nonce, ciphertext, tag of the answers' JSON
    answers TEXT,                        -- only a row held before 0021, until it is sealed
    CHECK ((sealed IS NULL) <> (answers IS NULL))
) WITHOUT ROWID;
INSERT INTO survey_pending_v21 (id, quarter, team, answers)
    SELECT id, quarter, team, answers FROM survey_pending;
DROP TABLE survey_pending;
ALTER TABLE survey_pending_v21 RENAME TO survey_pending;
CREATE INDEX survey_pending_quarter ON survey_pending (quarter);
