//! The collector scenario: an organisation `acme` with four repositories (one archived), a
//! GitHub team, GitHub deployments (one repo paginated), ArgoCD Applications (one repo also
//! deployed through GitHub), Backstage tasks and catalog components, and a roster. The JSON is
//! built from the fixtures in `tests/fixtures/`, with the fields below set.

use serde_json::{json, Value};

fn fixture(path: &str) -> Value {
    let file = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap()
}

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

/// Everything the stub serves.
pub struct Scenario {
    /// `(full_name, pushed_at, archived)`.
    pub repos: Vec<(&'static str, &'static str, bool)>,
    /// Commits, in history order per repository.
    pub commits: Vec<C>,
    /// GitHub deployments.
    pub deployments: Vec<D>,
    /// `(team slug, repo, admin)`.
    pub team_repos: Vec<(&'static str, &'static str, bool)>,
    /// ArgoCD Applications.
    pub apps: Vec<App>,
    /// Backstage catalog components `(name, project slug, owner)`.
    pub components: Vec<(&'static str, &'static str, &'static str)>,
    /// Backstage scaffolder tasks.
    pub tasks: Vec<Task>,
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
        }
    }

    fn repo_json(&self, full_name: &str, pushed_at: &str, archived: bool, admin: bool) -> Value {
        let mut r = fixture("github/repo.json");
        let name = full_name.split('/').nth(1).unwrap();
        r["name"] = json!(name);
        r["full_name"] = json!(full_name);
        r["pushed_at"] = json!(pushed_at);
        r["archived"] = json!(archived);
        r["permissions"]["admin"] = json!(admin);
        r
    }

    /// `GET /orgs/{org}/repos`.
    pub fn org_repos(&self, org: &str) -> Vec<Value> {
        self.repos
            .iter()
            .filter(|(n, _, _)| n.starts_with(&format!("{org}/")))
            .map(|(n, p, a)| self.repo_json(n, p, *a, false))
            .collect()
    }

    /// `GET /orgs/{org}/teams`.
    pub fn teams(&self) -> Vec<Value> {
        vec![fixture("github/team.json")]
    }

    /// `GET /orgs/{org}/teams/{team}/repos`.
    pub fn team_repos(&self, team: &str) -> Vec<Value> {
        self.team_repos
            .iter()
            .filter(|(t, _, _)| *t == team)
            .map(|(_, repo, admin)| {
                let (_, pushed, archived) = self.repos.iter().find(|r| r.0 == *repo).unwrap();
                self.repo_json(repo, pushed, *archived, *admin)
            })
            .collect()
    }

    /// `GET /repos/{repo}/deployments`, newest first.
    pub fn deployments(&self, repo: &str) -> Vec<Value> {
        let mut list: Vec<&D> = self.deployments.iter().filter(|d| d.0 == repo).collect();
        list.sort_by_key(|d| -d.1);
        list.into_iter()
            .map(|d| {
                let mut v = fixture("github/deployment.json");
                v["id"] = json!(d.1);
                v["sha"] = json!(sha(d.2));
                v["environment"] = json!(d.3);
                v["original_environment"] = json!(d.3);
                v["production_environment"] = json!(d.3 == "production");
                v["created_at"] = json!(d.4);
                v["url"] = json!(format!(
                    "https://api.github.com/repos/{repo}/deployments/{}",
                    d.1
                ));
                v
            })
            .collect()
    }

    /// `GET /repos/{repo}/deployments/{id}/statuses`, newest first.
    pub fn statuses(&self, repo: &str, id: i64) -> Option<Vec<Value>> {
        let d = self.deployments.iter().find(|d| d.0 == repo && d.1 == id)?;
        Some(
            d.5.iter()
                .enumerate()
                .map(|(i, (state, at))| {
                    let mut v = fixture("github/deployment_status.json");
                    v["id"] = json!(id * 10 + i as i64);
                    v["state"] = json!(state);
                    v["environment"] = json!(d.3);
                    v["created_at"] = json!(at);
                    v["updated_at"] = json!(at);
                    v
                })
                .collect(),
        )
    }

    fn commit_json(&self, c: &C) -> Value {
        let mut v = fixture("github/commit.json");
        v["sha"] = json!(sha(c.1));
        v["commit"]["author"]["name"] = json!(c.2);
        v["commit"]["author"]["date"] = json!(c.3);
        v["commit"]["committer"]["date"] = json!(c.4);
        v["author"]["login"] = json!(c.2);
        v
    }

    fn history(&self, repo: &str) -> Vec<&C> {
        self.commits.iter().filter(|c| c.0 == repo).collect()
    }

    /// `GET /repos/{repo}/compare/{base}...{head}`: the envelope and its commits, oldest first.
    pub fn compare(&self, repo: &str, base: &str, head: &str) -> Option<(Value, Vec<Value>)> {
        let history = self.history(repo);
        let b = history.iter().position(|c| sha(c.1) == base)?;
        let h = history.iter().position(|c| sha(c.1) == head)?;
        let commits = history[b + 1..=h.max(b)]
            .iter()
            .map(|c| self.commit_json(c))
            .collect();
        Some((fixture("github/compare.json"), commits))
    }

    /// `GET /repos/{repo}/commits/{sha}`.
    pub fn commit(&self, repo: &str, wanted: &str) -> Option<Value> {
        let c = self
            .history(repo)
            .into_iter()
            .find(|c| sha(c.1) == wanted)?;
        Some(self.commit_json(c))
    }

    /// `GET /repos/{repo}/commits?author=&since=`, newest first.
    pub fn commits_by(&self, repo: &str, author: &str, since: &str) -> Vec<Value> {
        let mut found: Vec<&C> = self
            .history(repo)
            .into_iter()
            .filter(|c| c.2 == author && c.4 >= since)
            .collect();
        found.reverse();
        found.into_iter().map(|c| self.commit_json(c)).collect()
    }

    /// `GET /api/v1/applications?selector=env=production`.
    pub fn applications(&self) -> Value {
        let items: Vec<Value> = self
            .apps
            .iter()
            .map(|app| {
                let mut v = fixture("argocd/application.json");
                v["metadata"]["name"] = json!(app.0);
                v["spec"]["source"]["repoURL"] = json!(app.1);
                v["status"]["history"] = app
                    .2
                    .iter()
                    .map(|(id, commit, at)| {
                        let mut h = fixture("argocd/history.json");
                        h["id"] = json!(id);
                        h["revision"] = json!(sha(commit));
                        h["deployedAt"] = json!(at);
                        h["source"]["repoURL"] = json!(app.1);
                        h
                    })
                    .collect();
                v
            })
            .collect();
        json!({"metadata": {"resourceVersion": "123456"}, "items": items})
    }

    /// `GET /api/catalog/entities?filter=kind=component`.
    pub fn components(&self) -> Value {
        self.components
            .iter()
            .map(|(name, slug, owner)| {
                let mut v = fixture("backstage/component.json");
                v["metadata"]["name"] = json!(name);
                v["metadata"]["annotations"]["github.com/project-slug"] = json!(slug);
                v["spec"]["owner"] = json!(owner);
                v
            })
            .collect()
    }

    /// `GET /api/scaffolder/v2/tasks?order=desc:created_at&limit=&offset=`.
    pub fn tasks(&self, limit: usize, offset: usize) -> Value {
        let mut tasks: Vec<&Task> = self.tasks.iter().collect();
        tasks.sort_by(|a, b| b.2.cmp(a.2));
        let page: Vec<Value> = tasks
            .iter()
            .skip(offset)
            .take(limit)
            .map(|t| {
                let mut v = fixture("backstage/task.json");
                v["id"] = json!(t.0);
                v["status"] = json!(t.1);
                v["createdAt"] = json!(t.2);
                v["lastHeartbeatAt"] = json!(t.3);
                v["createdBy"] = json!(format!("user:default/{}", t.4));
                match t.5 {
                    Some(owner) => v["spec"]["parameters"]["owner"] = json!(owner),
                    None => {
                        v["spec"]["parameters"]
                            .as_object_mut()
                            .unwrap()
                            .remove("owner");
                    }
                }
                v
            })
            .collect();
        json!({"tasks": page, "totalTasks": tasks.len()})
    }
}
