-- Names compare as GitHub does (DESIGN §5, third round): a roster login `JaneDoe` is GitHub's
-- `janedoe`. The first-commit lookup seeks commits by lower-cased author login.
DROP INDEX commits_author;
CREATE INDEX commits_author_lower ON commits (LOWER(author_login), authored_at);

-- Adoption, of services: what GitHub says a repository is (a fork, a template), the `spec.type`
-- of the Backstage Component naming it (NULL: none does), and whether an ArgoCD Application
-- reads it as a GitOps config repository. Such repositories are not services.
ALTER TABLE repositories ADD COLUMN fork BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE repositories ADD COLUMN is_template BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE repositories ADD COLUMN component_type TEXT;
ALTER TABLE repositories ADD COLUMN config_repo BOOLEAN NOT NULL DEFAULT FALSE;
