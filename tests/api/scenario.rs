//! The collector scenario: an organisation `acme` with four repositories (one archived), a
//! GitHub team, GitHub deployments (one repo paginated), ArgoCD Applications (one repo also
//! deployed through GitHub), Backstage tasks and catalog components, and a roster. The JSON is
//! built from the fixtures in `tests/fixtures/` (see `scenario_json.rs`).

/// The full SHA of a commit named in the scenario (e.g. `a1`).
pub fn sha(name: &str) -> String {
    dxs::model::invite_hash(name)[..40].to_string()
}

/// A commit: repo, name, author login, authored and committed times.
pub struct C(
    pub &'static str,
    pub &'static str,
    pub &'static str,
    pub &'static str,
    pub &'static str,
);

/// A GitHub deployment: repo, id, commit name, environment, created, statuses (newest first).
pub struct D(
    pub &'static str,
    pub i64,
    pub &'static str,
    pub &'static str,
    pub &'static str,
    pub Vec<(&'static str, &'static str)>,
);

/// An ArgoCD Application: name, repoURL, history `(id, commit name, deployedAt)`.
pub struct App(
    pub &'static str,
    pub &'static str,
    pub Vec<(i64, &'static str, &'static str)>,
);

/// A Backstage task: id, status, createdAt, lastHeartbeatAt, creator login, owner parameter.
pub struct Task(
    pub &'static str,
    pub &'static str,
    pub &'static str,
    pub &'static str,
    pub &'static str,
    pub Option<&'static str>,
);

/// A GitHub issue: repo, number, label, created, closed, updated, is a pull request.
pub struct Issue(
    pub &'static str,
    pub i64,
    pub &'static str,
    pub &'static str,
    pub Option<&'static str>,
    pub &'static str,
    pub bool,
);

/// A merged pull request: repo, number, merged at, its first commit's author date, and the
/// commits of the default branch it brought (merge, squash or rebased commits).
pub struct Pull(
    pub &'static str,
    pub i64,
    pub &'static str,
    pub &'static str,
    pub Vec<&'static str>,
);

/// Everything the stub serves.
#[derive(Default)]
pub struct Scenario {
    /// `(full_name, pushed_at, archived)`.
    pub repos: Vec<(&'static str, &'static str, bool)>,
    /// Commits, in history order per repository.
    pub commits: Vec<C>,
    /// GitHub deployments.
    pub deployments: Vec<D>,
    /// `(team slug, repo, admin)`.
    pub team_repos: Vec<(&'static str, &'static str, bool)>,
    /// GitHub team membership `(team slug, login)`; a team named here besides `platform` is
    /// listed by `GET /orgs/{org}/teams` too.
    pub team_members: Vec<(&'static str, &'static str)>,
    /// ArgoCD Applications.
    pub apps: Vec<App>,
    /// Backstage catalog components `(name, project slug, owner)`.
    pub components: Vec<(&'static str, &'static str, &'static str)>,
    /// Backstage scaffolder tasks.
    pub tasks: Vec<Task>,
    /// GitHub issues (incidents when labelled so).
    pub issues: Vec<Issue>,
    /// Files each commit touches `(repo, commit name, paths)`; a commit not listed touches none.
    pub files: Vec<(&'static str, &'static str, Vec<&'static str>)>,
    /// GitHub deployments' `payload.service` `(repo, deployment id, service)`.
    pub payloads: Vec<(&'static str, i64, &'static str)>,
    /// Catalog components' `backstage.io/source-location` `(component name, location)`.
    pub locations: Vec<(&'static str, &'static str)>,
    /// Rendered manifests of config-repository revisions `(app, revision name, manifests)`, each
    /// manifest a JSON document as ArgoCD returns it; an Application listed here runs the
    /// images of its last revision (`status.summary.images`).
    pub manifests: Vec<(&'static str, &'static str, Vec<String>)>,
    /// `(reverting commit, reverted commit)`: the first's message says `This reverts commit`.
    pub reverts: Vec<(&'static str, &'static str)>,
    /// More labels of GitHub issues `(repo, number, label)`, after the issue's own.
    pub labels: Vec<(&'static str, i64, &'static str)>,
    /// Repositories GitHub lists as forks (`"fork": true`).
    pub forks: Vec<&'static str>,
    /// Repositories GitHub lists as templates (`"is_template": true`).
    pub templates: Vec<&'static str>,
    /// Multi-source Applications `(app, Helm chart repository, chart, version)`: the app's
    /// repository of `apps` is its first source, a values-only `ref` source its second, this
    /// chart its third.
    pub charts: Vec<(&'static str, &'static str, &'static str, &'static str)>,
    /// Applications over their own repository whose image is named otherwise `(app, image)`.
    pub images: Vec<(&'static str, &'static str)>,
    /// Git tags `(repo, tag, commit name)`, answered by `GET /repos/{r}/commits/{tag}`.
    pub tags: Vec<(&'static str, &'static str, &'static str)>,
    /// Merged pull requests, answered by GraphQL's `associatedPullRequests`; a commit of none
    /// was pushed outside any.
    pub pulls: Vec<Pull>,
}

/// The roster of the scenario; line 5 is bad.
pub const ROSTER: &str = "login,team,start_date,email\n\
                          ada,payments,2026-10-01,ada@acme.io\n\
                          bob,search,2026-10-02\n\
                          cy,search,2026-10-05\n\
                          eve,search,10/05/2026\n";

impl Scenario {
    /// The standard scenario (see `collectors.rs` for the figures computed by hand from it).
    pub fn standard() -> Scenario {
        Scenario {
            repos: vec![
                ("acme/api", "2026-10-10T12:00:00Z", false),
                ("acme/web", "2026-10-12T12:00:00Z", false),
                ("acme/infra", "2026-10-08T12:00:00Z", false),
                ("acme/old", "2025-01-01T00:00:00Z", true),
            ],
            commits: vec![
                C(
                    "acme/api",
                    "a1",
                    "ada",
                    "2026-10-01T09:30:00Z",
                    "2026-10-01T09:30:00Z",
                ),
                C(
                    "acme/api",
                    "a2",
                    "dependabot[bot]",
                    "2026-10-01T12:00:00Z",
                    "2026-10-01T12:00:00Z",
                ),
                C(
                    "acme/api",
                    "a3",
                    "bob",
                    "2026-10-02T08:00:00Z",
                    "2026-10-02T08:00:00Z",
                ),
                C(
                    "acme/api",
                    "a4",
                    "ada",
                    "2026-10-03T10:00:00Z",
                    "2026-10-03T11:00:00Z",
                ),
                C(
                    "acme/web",
                    "w1",
                    "bob",
                    "2026-10-03T06:00:00Z",
                    "2026-10-03T06:00:00Z",
                ),
                C(
                    "acme/web",
                    "w2",
                    "bob",
                    "2026-10-03T09:00:00Z",
                    "2026-10-03T09:00:00Z",
                ),
                C(
                    "acme/web",
                    "w3",
                    "ada",
                    "2026-10-04T09:00:00Z",
                    "2026-10-04T09:00:00Z",
                ),
                C(
                    "acme/web",
                    "w4",
                    "ada",
                    "2026-10-04T10:00:00Z",
                    "2026-10-04T10:00:00Z",
                ),
                C(
                    "acme/web",
                    "w5",
                    "bob",
                    "2026-10-04T11:00:00Z",
                    "2026-10-04T11:00:00Z",
                ),
                C(
                    "acme/infra",
                    "i1",
                    "dan",
                    "2026-10-02T10:00:00Z",
                    "2026-10-02T10:00:00Z",
                ),
                C(
                    "acme/infra",
                    "i2",
                    "dan",
                    "2026-10-02T11:00:00Z",
                    "2026-10-02T11:00:00Z",
                ),
            ],
            deployments: vec![
                D(
                    "acme/api",
                    101,
                    "a1",
                    "production",
                    "2026-10-01T13:00:00Z",
                    vec![
                        ("success", "2026-10-01T13:30:00Z"),
                        ("in_progress", "2026-10-01T13:10:00Z"),
                    ],
                ),
                D(
                    "acme/api",
                    102,
                    "a3",
                    "staging",
                    "2026-10-02T09:00:00Z",
                    vec![("success", "2026-10-02T09:10:00Z")],
                ),
                D(
                    "acme/api",
                    103,
                    "a4",
                    "production",
                    "2026-10-03T11:30:00Z",
                    vec![("success", "2026-10-03T12:00:00Z")],
                ),
                D(
                    "acme/web",
                    201,
                    "w2",
                    "production",
                    "2026-10-03T09:40:00Z",
                    vec![
                        ("inactive", "2026-10-04T12:00:00Z"),
                        ("success", "2026-10-03T10:00:00Z"),
                    ],
                ),
                D(
                    "acme/web",
                    202,
                    "w3",
                    "production",
                    "2026-10-04T09:20:00Z",
                    vec![("failure", "2026-10-04T09:30:00Z")],
                ),
                D(
                    "acme/web",
                    203,
                    "w5",
                    "production",
                    "2026-10-04T11:40:00Z",
                    vec![("success", "2026-10-04T12:00:00Z")],
                ),
            ],
            team_repos: vec![
                ("platform", "acme/api", true),
                ("platform", "acme/infra", true),
            ],
            apps: vec![
                App(
                    "api",
                    "https://github.com/acme/api.git",
                    vec![
                        (1, "a1", "2026-10-01T13:20:00Z"),
                        (2, "a4", "2026-10-03T12:10:00Z"),
                    ],
                ),
                App(
                    "infra",
                    "git@github.com:acme/infra.git",
                    vec![
                        (5, "i1", "2026-10-02T10:30:00Z"),
                        (6, "i2", "2026-10-02T12:00:00Z"),
                    ],
                ),
            ],
            components: vec![
                ("api", "acme/api", "group:default/payments"),
                ("web", "acme/web", "search"),
            ],
            tasks: vec![
                Task(
                    "t1",
                    "completed",
                    "2026-10-05T10:00:00.000Z",
                    "2026-10-05T10:05:00.000Z",
                    "ada",
                    Some("group:default/payments"),
                ),
                Task(
                    "t2",
                    "failed",
                    "2026-10-06T10:00:00.000Z",
                    "2026-10-06T10:02:00.000Z",
                    "bob",
                    None,
                ),
                Task(
                    "t3",
                    "completed",
                    "2026-10-07T10:00:00.000Z",
                    "2026-10-07T10:04:00.000Z",
                    "cy",
                    None,
                ),
                Task(
                    "t4",
                    "processing",
                    "2026-10-08T10:00:00.000Z",
                    "2026-10-08T10:01:00.000Z",
                    "ada",
                    None,
                ),
                Task(
                    "t5",
                    "cancelled",
                    "2026-10-09T10:00:00.000Z",
                    "2026-10-09T10:03:00.000Z",
                    "bob",
                    None,
                ),
            ],
            issues: vec![
                // An incident of api, resolved after two hours.
                Issue(
                    "acme/api",
                    7,
                    "incident",
                    "2026-10-01T14:00:00Z",
                    Some("2026-10-01T16:00:00Z"),
                    "2026-10-01T16:00:00Z",
                    false,
                ),
                // Still open.
                Issue(
                    "acme/web",
                    3,
                    "incident",
                    "2026-10-04T12:30:00Z",
                    None,
                    "2026-10-04T13:00:00Z",
                    false,
                ),
                // A pull request with the label, and an issue without it: not incidents.
                Issue(
                    "acme/api",
                    8,
                    "incident",
                    "2026-10-02T09:00:00Z",
                    None,
                    "2026-10-02T09:00:00Z",
                    true,
                ),
                Issue(
                    "acme/web",
                    4,
                    "bug",
                    "2026-10-03T09:00:00Z",
                    None,
                    "2026-10-03T09:00:00Z",
                    false,
                ),
            ],
            ..Scenario::default()
        }
    }
}
