//! The facts dxs keeps: plain structs shared by the collectors, the demo, the store and scoring.
//!
//! Times are UNIX seconds in UTC. These structs hold no behaviour beyond small helpers; the
//! store decides how they are written (and reads its rows straight into them, `sqlx::FromRow`),
//! scoring how they are read.

/// A team, as named by the roster, GitHub or the Backstage catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// The team's name (a slug, e.g. `payments`).
    pub name: String,
    /// Where the name came from: `roster`, `github`, `catalog` or `demo`.
    pub source: String,
}

/// A developer of the roster.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Developer {
    /// GitHub login.
    pub login: String,
    /// The developer's team: the roster's, else the one GitHub team membership gives; empty
    /// while neither does.
    pub team: String,
    /// Start: local midnight of the start date in the roster row's time zone (UTC when none).
    pub start_at: i64,
    /// E-mail, if the roster has one (used only to send invites).
    pub email: Option<String>,
}

/// A repository of the organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Repository {
    /// `owner/name`.
    pub slug: String,
    /// Owning team, when known.
    pub team: Option<String>,
    /// Where the owner came from: `catalog`, `github` or `roster`.
    pub team_source: Option<String>,
    /// Archived repositories are not measured.
    pub archived: bool,
    /// Last push, for "active in the window".
    pub pushed_at: Option<i64>,
    /// A fork (GitHub's `fork`): not a service.
    pub fork: bool,
    /// A template repository (GitHub's `is_template`): not a service.
    pub is_template: bool,
    /// The `spec.type` of the Backstage Component naming it (`service`, `library`…); `None`
    /// when none does (a write without one keeps the type known).
    pub component_type: Option<String>,
    /// An ArgoCD Application reads it as a GitOps config repository (once marked, kept).
    pub config_repo: bool,
}

/// A commit of a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// `owner/name` of the repository.
    pub repo: String,
    /// Full SHA.
    pub sha: String,
    /// GitHub login of the author, when GitHub could map it.
    pub author_login: Option<String>,
    /// `commit.author.date`.
    pub authored_at: i64,
    /// `commit.committer.date`, the start of a change's lead time.
    pub committed_at: i64,
    /// Authored by a bot (`…[bot]` or a configured bot login).
    pub is_bot: bool,
}

/// A successful production deployment of a service (a repository, or a path of one) at a commit.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Deployment {
    /// `github`, `argocd` or `orchestrator`.
    pub source: String,
    /// The source's own id, unique within the source.
    pub external_id: String,
    /// `owner/name` of the repository.
    pub repo: String,
    /// The service deployed: a `[[services]]` or catalog name, else the repository's slug.
    pub service: String,
    /// The deployed commit.
    pub sha: String,
    /// Where it went, as the source names it: a GitHub environment (`production/eu`), an ArgoCD
    /// Application (`namespace/name`). A service's rollbacks are judged per source and
    /// environment (its production target, `crate::delivery::rollouts::target`).
    pub environment: String,
    /// When the rollout finished successfully.
    pub finished_at: i64,
}

/// A commit shipped to a service, at the first production deployment of that service that
/// contained it (a commit touching two services is shipped to each). Its [`Change`] is its pull
/// request, or the commit alone when it was pushed outside any ([`CommitPull`]).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeploymentChange {
    /// The service changed (the repository's slug when the repository is the service).
    pub service: String,
    /// `owner/name` of the repository.
    pub repo: String,
    /// The commit.
    pub sha: String,
    /// Source of the deployment that shipped it.
    pub deployment_source: String,
    /// External id of the deployment that shipped it.
    pub deployment_id: String,
    /// `commit.committer.date`.
    pub committed_at: i64,
    /// When the deployment finished.
    pub deployed_at: i64,
}

impl DeploymentChange {
    /// Committed to deployed, in seconds (never negative: a clock skew counts as zero).
    pub fn lead_time_seconds(&self) -> i64 {
        (self.deployed_at - self.committed_at).max(0)
    }
}

/// What GitHub said of a deployed commit (GraphQL `associatedPullRequests`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullState {
    /// Not asked yet, or the last lookup failed: the commit is no change until it is known.
    Pending,
    /// Pushed to the default branch outside any pull request: a change of its own.
    Direct,
    /// Brought by merged pull request `number`, whose first commit was authored at `started_at`.
    Pull {
        /// The pull request's number.
        number: i64,
        /// Its start: the author date of its first commit.
        started_at: i64,
    },
}

/// The pull request of a deployed commit, as GitHub said (or is still to say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitPull {
    /// `owner/name` of the repository.
    pub repo: String,
    /// The commit.
    pub sha: String,
    /// Pending, direct, or its pull request.
    pub state: PullState,
    /// When it first shipped to production: the quarters from then on may score differently
    /// once its pull request is known.
    pub shipped_at: i64,
}

/// A change (DESIGN §5), the unit of lead time: a merged pull request, or a commit pushed to the
/// default branch outside any, of one service, at the first deployment that shipped any of its
/// commits. Merge, squash and rebase merges of the same pull request are the same change.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Change {
    /// The service changed.
    pub service: String,
    /// `owner/name` of the repository.
    pub repo: String,
    /// `#<number>` of a pull request, else the commit's SHA.
    pub change_id: String,
    /// A pull request's earliest author date among its commits; a direct commit's committer
    /// date.
    pub started_at: i64,
    /// Source of the deployment that first shipped it.
    pub deployment_source: String,
    /// External id of that deployment.
    pub deployment_id: String,
    /// When that deployment finished.
    pub deployed_at: i64,
    /// Its commits shipped to the service (bots' excluded).
    pub commits: i64,
}

impl Change {
    /// Lead time for this change, in seconds (never negative: a clock skew counts as zero).
    pub fn lead_time_seconds(&self) -> i64 {
        (self.deployed_at - self.started_at).max(0)
    }
}

/// A service that is a path inside a repository (a monorepo): from `[[services]]` or from a
/// Backstage Component whose `backstage.io/source-location` is a tree URL.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Service {
    /// The service's name, e.g. `checkout-web`.
    pub name: String,
    /// `owner/name` of its repository.
    pub repo: String,
    /// Its path inside the repository, ending in `/` (empty: the whole repository).
    pub path: String,
    /// Owning team; `None`: the repository's team.
    pub team: Option<String>,
    /// `config`, `catalog` or `demo`.
    pub source: String,
}

impl Service {
    /// True when a file at `file` (a repository path) belongs to this service.
    pub fn owns(&self, file: &str) -> bool {
        file.starts_with(&self.path)
    }
}

/// Whether a deployment brought a new commit or went back to an older one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RolloutKind {
    /// A new commit of the service reached production.
    Rollout,
    /// A commit older than the live one (an ancestor, or deployed before) went back live.
    Rollback,
}

impl RolloutKind {
    /// `rollout` or `rollback`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            RolloutKind::Rollout => "rollout",
            RolloutKind::Rollback => "rollback",
        }
    }

    /// Reads a stored kind.
    pub fn parse(s: &str) -> Option<RolloutKind> {
        match s {
            "rollout" => Some(RolloutKind::Rollout),
            "rollback" => Some(RolloutKind::Rollback),
            _ => None,
        }
    }
}

/// One (service, commit) reaching production at its earliest finish, whichever sources saw it,
/// or a rollback (derived from the deployments; see `crate::delivery::rollouts`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Rollout {
    /// The service.
    pub service: String,
    /// `owner/name` of its repository.
    pub repo: String,
    /// The commit that went live.
    pub sha: String,
    /// Rollout or rollback.
    #[sqlx(try_from = "String")]
    pub kind: RolloutKind,
    /// When it went live: the earliest finish of the deployments that saw it.
    pub finished_at: i64,
    /// Source of the deployment that made it.
    pub source: String,
    /// External id of that deployment.
    pub external_id: String,
    /// The commit live before, if any.
    pub previous_sha: Option<String>,
}

/// Status of a self-service request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestStatus {
    /// Finished and successful.
    Succeeded,
    /// Finished and failed.
    Failed,
    /// Finished by being cancelled.
    Cancelled,
    /// Not finished yet; re-checked later.
    Running,
}

impl TryFrom<String> for RolloutKind {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        RolloutKind::parse(&s).ok_or_else(|| format!("unknown rollout kind {s:?}"))
    }
}

impl RequestStatus {
    /// The name stored and sent in webhooks.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Succeeded => "succeeded",
            RequestStatus::Failed => "failed",
            RequestStatus::Cancelled => "cancelled",
            RequestStatus::Running => "running",
        }
    }

    /// Reads a stored or webhook status name.
    pub fn parse(s: &str) -> Option<RequestStatus> {
        Some(match s {
            "succeeded" => RequestStatus::Succeeded,
            "failed" => RequestStatus::Failed,
            "cancelled" => RequestStatus::Cancelled,
            "running" => RequestStatus::Running,
            _ => return None,
        })
    }
}

impl TryFrom<String> for RequestStatus {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        RequestStatus::parse(&s).ok_or_else(|| format!("unknown request status {s:?}"))
    }
}

/// A self-service request to the platform orchestrator.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SelfServiceRequest {
    /// `backstage` or `webhook`.
    pub source: String,
    /// The orchestrator's id of the request.
    pub external_id: String,
    /// Requesting team.
    pub team: String,
    /// What was requested, e.g. `create-service`.
    pub kind: String,
    /// Current status.
    #[sqlx(try_from = "String")]
    pub status: RequestStatus,
    /// A person had to step in.
    pub human_intervention: bool,
    /// When it was requested.
    pub created_at: i64,
    /// When it finished, if it has.
    pub finished_at: Option<i64>,
}

/// One answer of a survey response.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Answer {
    /// Question id from the survey definition.
    pub question: String,
    /// Numeric answer (scale, nps).
    pub number: Option<f64>,
    /// Text answer (choice, free text).
    pub text: Option<String>,
}

/// An anonymous survey response: the team and quarter, never the person.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyResponse {
    /// Quarter answered for, e.g. `2026-Q4`.
    pub quarter: String,
    /// Team of the invite.
    pub team: String,
    /// The answers.
    pub answers: Vec<Answer>,
}

/// A collector's position in a source: where the next incremental run starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// Collector source, e.g. `github`.
    pub source: String,
    /// Part of the source, e.g. a repository; empty for the whole source.
    pub scope: String,
    /// Opaque position (a timestamp, an id, a SHA).
    pub value: String,
}

/// A webhook delivery, by the id its sender gives it (GitHub's `X-GitHub-Delivery`): written
/// with the facts it brought, so that a redelivery writes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The webhook, e.g. `github`.
    pub source: String,
    /// The sender's id of the delivery.
    pub id: String,
}

/// The stored form of a survey invite token: SHA-256, hex. The token itself is never stored.
pub fn invite_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A Kubernetes namespace, for adoption by namespace (`score.adoption_basis = "namespaces"`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Namespace {
    /// `metadata.name`.
    pub name: String,
    /// The value of `kubernetes.team_label`; `None` when the namespace has no such label.
    pub team: Option<String>,
    /// `kubernetes.managed_label` is `"true"`: provisioned and managed by the platform.
    pub managed: bool,
    /// `metadata.creationTimestamp`.
    pub created_at: i64,
    /// When a collection first found it gone from the cluster.
    pub deleted_at: Option<i64>,
}

/// An incident (DESIGN §5): a GitHub issue labelled `incidents.github_label`, or an event of
/// `POST /webhooks/incident`. The same source and id again updates it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Incident {
    /// `github`, `webhook` or `demo`.
    pub source: String,
    /// `owner/repo#number` for a GitHub issue, else the incident tool's id (`INC-42`).
    pub external_id: String,
    /// The service as the source named it: `owner/repo`, a repository name or a
    /// `[[services]]` name (resolved when scoring).
    pub service: String,
    /// When it was opened (the failure's start).
    pub opened_at: i64,
    /// When it was resolved; `None` while open.
    pub resolved_at: Option<i64>,
    /// The incident tool's severity, if it sent one.
    pub severity: Option<String>,
}

/// A commit that reverts another: its message says `This reverts commit <sha>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRevert {
    /// `owner/name` of the repository.
    pub repo: String,
    /// The reverting commit.
    pub sha: String,
    /// The reverted commit, as the message names it (7 to 40 hex digits, lowercase).
    pub reverted: String,
}

/// A repository as scoring sees it: its owner, what it is (adoption counts deployable
/// services only) and whether it was active in the window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoFacts {
    /// Owning team, if known.
    pub team: Option<String>,
    /// Archived repositories are not measured.
    pub archived: bool,
    /// A fork.
    pub fork: bool,
    /// A template repository.
    pub is_template: bool,
    /// The `spec.type` of the Backstage Component naming it.
    pub component_type: Option<String>,
    /// Read by an ArgoCD Application as a GitOps config repository.
    pub config_repo: bool,
    /// Pushed to (or committed to) in the trailing window.
    pub active: bool,
}
