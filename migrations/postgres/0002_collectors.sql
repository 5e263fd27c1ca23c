-- Collectors: the ETag of each fetched URL, so an unchanged resource is asked with
-- If-None-Match and answered 304 (which costs no GitHub rate limit). An ETag is stored only after
-- the facts read from that response are written, so a crash never hides unwritten facts.
CREATE TABLE http_etags (
    url        TEXT PRIMARY KEY,
    etag       TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
