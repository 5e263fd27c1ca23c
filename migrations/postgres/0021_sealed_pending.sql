-- Held survey responses sealed (issue 23, DESIGN §10 "Nothing readable links"): until its
-- release, the answers of a held response are an XChaCha20-Poly1305 box (`sealed`) under a key
-- derived from the survey secret, bound to the row's quarter and team. Quarter and team stay in
-- clear: the release counts a quarter's held responses, participation (published while the
-- survey is open) counts them per team, and the team is that of the response's invite, which
-- survey_invites holds in clear already.
-- A row held before this migration keeps its answers in clear (`answers`) until the next release
-- pass of dxs seals it (a migration does not have the secret), then VACUUMs the table.
ALTER TABLE survey_pending ADD COLUMN sealed BYTEA;
ALTER TABLE survey_pending ALTER COLUMN answers DROP NOT NULL;
ALTER TABLE survey_pending ADD CONSTRAINT survey_pending_sealed_or_clear
    CHECK ((sealed IS NULL) <> (answers IS NULL));
