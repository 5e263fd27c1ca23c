-- Incidents (DESIGN §5): GitHub issues labelled `incidents.github_label` and events of
-- POST /webhooks/incident. The service is kept as the source named it (a repository slug, a
-- repository name or a [[services]] name); scoring resolves it, and one that names no known
-- service is reported in the data-quality section, never dropped.
CREATE TABLE incidents (
    source      TEXT NOT NULL,              -- github | webhook | demo
    external_id TEXT NOT NULL,              -- owner/repo#number, or the incident tool's id
    service     TEXT NOT NULL,
    opened_at   BIGINT NOT NULL,
    resolved_at BIGINT,                     -- NULL while open
    severity    TEXT,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (source, external_id)
);
CREATE INDEX incidents_opened ON incidents (opened_at);
