//! The scenario as JSON: each upstream endpoint's answer, built from the fixtures in
//! `tests/fixtures/` with the scenario's fields set.

use serde_json::{json, Value};

use crate::scenario::{sha, App, Issue, Scenario, Task, C, D};

fn fixture(path: &str) -> Value {
    let file = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap()
}

impl Scenario {
    fn repo_json(&self, full_name: &str, pushed_at: &str, archived: bool, admin: bool) -> Value {
        let mut r = fixture("github/repo.json");
        let name = full_name.split('/').nth(1).unwrap();
        r["name"] = json!(name);
        r["full_name"] = json!(full_name);
        r["pushed_at"] = json!(pushed_at);
        r["archived"] = json!(archived);
        r["fork"] = json!(self.forks.contains(&full_name));
        r["is_template"] = json!(self.templates.contains(&full_name));
        r["permissions"]["admin"] = json!(admin);
        r
    }

    /// `GET /orgs/{org}/repos`.
    pub fn org_repos(&self, org: &str) -> Vec<Value> {
        self.repos
            .iter()
            // GitHub's names are case-insensitive: `/orgs/Acme/repos` lists acme's.
            .filter(|(n, _, _)| owned_by(n, org))
            .map(|(n, p, a)| self.repo_json(n, p, *a, false))
            .collect()
    }

    /// `GET /orgs/{org}/teams`: `platform`, then the other teams of `team_members`.
    pub fn teams(&self) -> Vec<Value> {
        let platform = fixture("github/team.json");
        let mut slugs: Vec<&str> = self.team_members.iter().map(|(t, _)| *t).collect();
        slugs.sort();
        slugs.dedup();
        let others = slugs.into_iter().filter(|s| *s != "platform");
        let others = others.enumerate().map(|(i, slug)| {
            let mut team = platform.clone();
            team["id"] = json!(i + 2);
            team["slug"] = json!(slug);
            team["name"] = json!(slug);
            team["parent"] = platform.clone();
            team
        });
        std::iter::once(platform.clone()).chain(others).collect()
    }

    /// `GET /orgs/{org}/teams/{team}/members`.
    pub fn team_members(&self, team: &str) -> Vec<Value> {
        self.team_members
            .iter()
            .enumerate()
            .filter(|(_, (t, _))| *t == team)
            .map(|(i, (_, login))| {
                let mut user = fixture("github/team_member.json");
                user["login"] = json!(login);
                user["id"] = json!(5_000 + i);
                user
            })
            .collect()
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
                if let Some((_, _, service)) =
                    self.payloads.iter().find(|p| p.0 == repo && p.1 == d.1)
                {
                    v["payload"] = json!({ "service": service });
                }
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
        // Its parent is the commit before it in its repository's history (none for the first).
        let history = self.history(c.0);
        let at = history.iter().position(|h| h.1 == c.1).unwrap_or(0);
        v["parents"] = json!(at
            .checked_sub(1)
            .map(|p| {
                let parent = sha(history[p].1);
                vec![json!({
                    "url": format!("https://api.github.com/repos/{}/commits/{parent}", c.0),
                    "sha": parent
                })]
            })
            .unwrap_or_default());
        if let Some((_, reverted)) = self.reverts.iter().find(|(r, _)| *r == c.1) {
            v["commit"]["message"] = json!(format!(
                "Revert \"{reverted}\"\n\nThis reverts commit {}.",
                sha(reverted)
            ));
        }
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

    /// `GET /repos/{repo}/commits/{ref}`: a full SHA, a prefix of one (7 or more), or a tag.
    pub fn commit(&self, repo: &str, wanted: &str) -> Option<Value> {
        let tagged = self
            .tags
            .iter()
            .find(|t| t.0 == repo && t.1 == wanted)
            .map(|t| sha(t.2));
        let wanted = tagged.as_deref().unwrap_or(wanted);
        let c = self
            .history(repo)
            .into_iter()
            .find(|c| sha(c.1) == wanted || (wanted.len() >= 7 && sha(c.1).starts_with(wanted)))?;
        Some(self.commit_json(c))
    }

    /// `GET /search/commits?q=author:LOGIN+org:ORG+committer-date:>=DAY&sort=committer-date&order=asc`:
    /// the org's commits by `author` committed on or after `day`, oldest first, `per_page` of them.
    pub fn search_commits(&self, org: &str, author: &str, day: &str, per_page: usize) -> Value {
        let mut found: Vec<&C> = self
            .commits
            .iter()
            .filter(|c| owned_by(c.0, org) && c.2.eq_ignore_ascii_case(author) && c.4 >= day)
            .collect();
        found.sort_by_key(|c| c.4);
        let mut envelope = fixture("github/search_commits.json");
        let template = envelope["items"][0].clone();
        let items: Vec<Value> = found
            .iter()
            .take(per_page)
            .map(|c| {
                let mut item = template.clone();
                let commit = self.commit_json(c);
                for key in ["sha", "commit", "author"] {
                    item[key] = commit[key].clone();
                }
                item["repository"]["full_name"] = json!(c.0);
                item["repository"]["name"] = json!(c.0.split('/').nth(1));
                item
            })
            .collect();
        envelope["total_count"] = json!(found.len());
        envelope["items"] = Value::Array(items);
        envelope
    }

    /// `GET /repos/{repo}/commits?sha=&path=&since=`: the commits reachable from `sha` that
    /// touch `path`, committed since `since`, newest first.
    pub fn commits_touching(&self, repo: &str, head: &str, path: &str, since: &str) -> Vec<Value> {
        let history = self.history(repo);
        let Some(h) = history.iter().position(|c| sha(c.1) == head) else {
            return vec![];
        };
        let prefix = format!("{}/", path.trim_end_matches('/'));
        let touches = |c: &C| {
            self.files.iter().any(|(r, name, files)| {
                *r == repo && *name == c.1 && files.iter().any(|f| f.starts_with(&prefix))
            })
        };
        let mut found: Vec<&C> = history[..=h]
            .iter()
            .copied()
            .filter(|c| touches(c) && c.4 >= since)
            .collect();
        found.reverse();
        found.into_iter().map(|c| self.commit_json(c)).collect()
    }

    /// What an Application runs now: the images of its last revision's manifests (a GitOps
    /// Application), else its own repository's image at its last revision.
    fn summary_images(&self, app: &App) -> Vec<String> {
        let last = app.2.iter().max_by_key(|h| h.0).map_or("", |h| h.1);
        match self.manifests.iter().find(|m| m.0 == app.0 && m.1 == last) {
            Some((_, _, manifests)) => manifests
                .iter()
                .filter_map(|m| serde_json::from_str::<Value>(m).ok())
                .filter_map(|m| {
                    let image = m.pointer("/spec/template/spec/containers/0/image")?;
                    image.as_str().map(String::from)
                })
                .collect(),
            None => {
                let name = app
                    .1
                    .trim_end_matches(".git")
                    .rsplit(['/', ':'])
                    .next()
                    .unwrap();
                let image = match self.images.iter().find(|i| i.0 == app.0) {
                    Some((_, image)) => image.to_string(),
                    None => format!("ghcr.io/acme/{name}"),
                };
                vec![format!("{image}:{}", &sha(last)[..7])]
            }
        }
    }

    /// `GET /api/v1/applications/{app}/manifests?revision=`: `None` for a revision ArgoCD
    /// cannot render.
    pub fn app_manifests(&self, app: &str, revision: &str) -> Option<Value> {
        let (_, _, manifests) = self
            .manifests
            .iter()
            .find(|m| m.0 == app && sha(m.1) == revision)?;
        let mut v = fixture("argocd/manifests.json");
        v["manifests"] = json!(manifests);
        v["revision"] = json!(revision);
        Some(v)
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
                v["status"]["summary"]["images"] = json!(self.summary_images(app));
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
                if let Some(chart) = self.charts.iter().find(|c| c.0 == app.0) {
                    multi_source(&mut v, chart);
                }
                v
            })
            .collect();
        json!({"metadata": {"resourceVersion": "123456"}, "items": items})
    }

    /// `GET /api/catalog/entities/by-query?filter=kind=component&limit=` (then `?cursor=`):
    /// `limit` components from the cursor's offset on, with the next page's cursor (opaque to
    /// clients; here `offset:N`).
    pub fn components(&self, offset: usize, limit: usize) -> Value {
        let items: Vec<Value> = self
            .components
            .iter()
            .skip(offset)
            .take(limit)
            .map(|(name, slug, owner)| {
                let mut v = fixture("backstage/component.json");
                v["metadata"]["name"] = json!(name);
                v["metadata"]["annotations"]["github.com/project-slug"] = json!(slug);
                if let Some((_, location)) = self.locations.iter().find(|l| l.0 == *name) {
                    v["metadata"]["annotations"]["backstage.io/source-location"] = json!(location);
                }
                v["spec"]["owner"] = json!(owner);
                v
            })
            .collect();
        let next =
            (offset + limit < self.components.len()).then(|| format!("offset:{}", offset + limit));
        json!({
            "items": items,
            "totalItems": self.components.len(),
            "pageInfo": {"nextCursor": next}
        })
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

    /// `GET /search/issues?q=is:issue label:"L" org:O [updated:>=T]&sort=updated&order=asc`:
    /// the matching issues, least recently updated first.
    pub fn search_issues(&self, q: &str) -> Option<Vec<Value>> {
        let (mut label, mut orgs, mut since, mut issues_only) = (None, vec![], "", false);
        for term in q.split(' ').filter(|t| !t.is_empty()) {
            match term.split_once(':')? {
                ("is", "issue") => issues_only = true,
                ("label", l) => label = Some(l.trim_matches('"')),
                ("org", o) => orgs.push(o),
                ("updated", t) => since = t.strip_prefix(">=")?,
                _ => return None,
            }
        }
        let label = label?;
        let mut found: Vec<&Issue> = self
            .issues
            .iter()
            .filter(|i| i.2 == label && (!issues_only || !i.6) && i.5 >= since)
            .filter(|i| orgs.iter().any(|o| owned_by(i.0, o)))
            .collect();
        found.sort_by_key(|i| (i.5, i.0, i.1));
        let labelled = |i: &Issue| {
            let mut v = issue_json(i);
            let labels = v["labels"].as_array_mut().unwrap();
            for (_, _, name) in self.labels.iter().filter(|l| l.0 == i.0 && l.1 == i.1) {
                let mut label = labels[0].clone();
                label["name"] = json!(name);
                label["id"] = json!(208_045_947 + labels.len());
                labels.push(label);
            }
            v
        };
        Some(found.into_iter().map(labelled).collect())
    }
}

/// True when repository `slug` belongs to `owner`, compared as GitHub does (ignoring case).
fn owned_by(slug: &str, owner: &str) -> bool {
    slug.split_once('/')
        .is_some_and(|(o, _)| o.eq_ignore_ascii_case(owner))
}

fn issue_json(i: &Issue) -> Value {
    let mut v = fixture("github/issue.json");
    let url = format!("https://api.github.com/repos/{}", i.0);
    v["url"] = json!(format!("{url}/issues/{}", i.1));
    v["repository_url"] = json!(url);
    v["html_url"] = json!(format!("https://github.com/{}/issues/{}", i.0, i.1));
    v["number"] = json!(i.1);
    v["labels"][0]["name"] = json!(i.2);
    v["created_at"] = json!(i.3);
    v["closed_at"] = json!(i.4);
    v["state"] = json!(if i.4.is_some() { "closed" } else { "open" });
    v["updated_at"] = json!(i.5);
    if i.6 {
        v["pull_request"] = json!({"url": format!("{url}/pulls/{}", i.1)});
    }
    v
}

/// Makes `app` (one Application of the list) a multi-source Application as ArgoCD lists one:
/// its Git source first, then a values-only `ref` source (the chart's values files in
/// `acme/helm-values`, no path), then the Helm chart `(app, chart repository, chart, version)`
/// that runs a third-party image beside it; each history entry names the three revisions.
fn multi_source(app: &mut Value, chart: &(&str, &str, &str, &str)) {
    let (_, chart_repo, name, version) = *chart;
    let Some(git) = app["spec"].as_object_mut().and_then(|s| s.remove("source")) else {
        return;
    };
    let helm = json!({"repoURL": chart_repo, "chart": name, "targetRevision": version,
        "helm": {"releaseName": name, "valueFiles": ["$values/redis/values.yaml"]}});
    let values = json!({"repoURL": "https://github.com/acme/helm-values.git",
        "targetRevision": "main", "ref": "values"});
    let sources = json!([git, values, helm]);
    app["spec"]["sources"] = sources.clone();
    app["status"]["sourceTypes"] = json!(["Kustomize", "Helm"]);
    if let Some(images) = app["status"]["summary"]["images"].as_array_mut() {
        images.push(json!("docker.io/bitnami/redis:7.2.4"));
    }
    for h in app["status"]["history"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        let entry = h.as_object_mut().unwrap();
        let revision = entry.remove("revision").unwrap_or_default();
        entry.remove("source");
        entry.insert(
            "revisions".into(),
            json!([revision, sha("values-main"), version]),
        );
        entry.insert("sources".into(), sources.clone());
    }
}

/// What a GraphQL query asks of one repository: its alias, `owner/name`, and each commit's alias
/// and SHA.
pub type Asked = (String, String, Vec<(String, String)>);

impl Scenario {
    /// GraphQL's answer to the pull requests of `commits`, as GitHub writes it; each commit of
    /// `broken` is answered `null` with an error on its path (a partial answer).
    pub fn graphql_pulls(&self, commits: &[Asked], broken: &[String]) -> Value {
        let mut data = serde_json::Map::new();
        data.insert(
            "rateLimit".into(),
            json!({"cost": 1, "remaining": 4_999, "resetAt": "2026-10-20T12:00:00Z"}),
        );
        let mut errors = Vec::new();
        for (r, repo, objects) in commits {
            let mut found = serde_json::Map::new();
            for (c, oid) in objects {
                if broken.contains(oid) {
                    found.insert(c.clone(), Value::Null);
                    errors.push(json!({
                        "path": [r, c], "locations": [{"line": 1, "column": 60}],
                        "message": "Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug."
                    }));
                    continue;
                }
                let known = self.commits.iter().any(|k| k.0 == repo && sha(k.1) == *oid);
                let pull = self
                    .pulls
                    .iter()
                    .find(|p| p.0 == repo && p.4.iter().any(|n| sha(n) == *oid));
                let nodes: Vec<Value> = pull
                    .map(|p| {
                        json!({"number": p.1, "mergedAt": p.2,
                            "commits": {"nodes": [{"commit": {"authoredDate": p.3}}]}})
                    })
                    .into_iter()
                    .collect();
                let node = known.then(|| json!({"associatedPullRequests": {"nodes": nodes}}));
                found.insert(c.clone(), node.unwrap_or(Value::Null));
            }
            data.insert(r.clone(), Value::Object(found));
        }
        match errors.is_empty() {
            true => json!({ "data": data }),
            false => json!({ "data": data, "errors": errors }),
        }
    }
}
