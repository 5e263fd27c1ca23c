//! The orchestrator collector. For Backstage: ownership from the catalog
//! (`GET /api/catalog/entities/by-query?filter=kind=component`, page by page with its
//! `pageInfo.nextCursor`: `spec.owner` → team, `spec.type` → the repository's component type
//! (adoption's denominator), annotation `github.com/project-slug` → repository; a component whose `backstage.io/source-location` is a tree URL inside that same
//! repository (or, without a slug, any repository) is a service of its own, that path, owned by
//! `spec.owner`) and self-service
//! requests from the scaffolder
//! (`GET /api/scaffolder/v2/tasks`, newest first, down to the cursor: the creation time of the
//! oldest unfinished task, so unfinished tasks are re-checked until they finish). Any other
//! orchestrator sends `POST /webhooks/orchestrator` and has nothing to poll.

use std::collections::HashMap;

use serde::Deserialize;

use super::http::encode;
use super::{unix, CollectError, Collector, Run};
use crate::config::OrchestratorKind;
use crate::delivery::services::tree_location;
use crate::model::{RequestStatus, SelfServiceRequest, Service, Team};
use crate::store::FactBatch;

/// Tasks asked per page.
const PAGE: usize = 100;
/// Catalog entities asked per page.
const CATALOG_PAGE: usize = 500;
/// Annotation naming a component's GitHub repository.
const SLUG_ANNOTATION: &str = "github.com/project-slug";
/// Annotation naming where a component's source lives (a tree URL: a path of a repository).
const LOCATION_ANNOTATION: &str = "backstage.io/source-location";

/// Collects from the platform orchestrator.
pub struct OrchestratorCollector;

#[derive(Debug, Deserialize)]
struct Entity {
    kind: String,
    metadata: EntityMeta,
    #[serde(default)]
    spec: Option<EntitySpec>,
}

#[derive(Debug, Deserialize)]
struct EntityMeta {
    #[serde(default)]
    name: String,
    #[serde(default)]
    annotations: HashMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct EntitySpec {
    #[serde(default)]
    owner: Option<String>,
    /// `service`, `website`, `library`…: adoption counts the types of `adoption.service_types`.
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EntityPage {
    items: Vec<Entity>,
    #[serde(default)]
    page_info: PageInfo,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    #[serde(default)]
    next_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TaskList {
    tasks: Vec<Task>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Task {
    id: String,
    status: String,
    created_at: String,
    #[serde(default)]
    last_heartbeat_at: Option<String>,
    #[serde(default)]
    created_by: Option<String>,
    #[serde(default)]
    spec: serde_json::Value,
}

impl Collector for OrchestratorCollector {
    async fn collect(&self, run: &mut Run<'_>) -> Result<(), CollectError> {
        if run.config.orchestrator.kind == OrchestratorKind::Webhook {
            return Ok(());
        }
        catalog(run).await?;
        tasks(run).await
    }
}

/// `group:default/payments`, `default/payments` or `payments` → `payments`.
fn entity_name(reference: &str) -> String {
    let name = reference.rsplit_once(':').map_or(reference, |(_, n)| n);
    name.rsplit_once('/').map_or(name, |(_, n)| n).to_string()
}

/// The catalog's components, every page. The first page is conditional; its ETag is kept only
/// when it was the whole catalog, since a 304 on one page says nothing of the others.
async fn catalog(run: &mut Run<'_>) -> Result<(), CollectError> {
    let config = &run.config.orchestrator;
    let base = format!("{}/api/catalog/entities/by-query", config.url);
    let url = format!("{base}?filter=kind=component&limit={CATALOG_PAGE}");
    let api = run.api(config.token.clone());
    let Some(first) = api.get_if_changed::<EntityPage>(&url).await? else {
        return Ok(());
    };
    let etag = first
        .etag
        .filter(|_| first.body.page_info.next_cursor.is_none());
    let mut entities = first.body.items;
    let mut cursor = first.body.page_info.next_cursor;
    let mut number = 1;
    while let Some(next) = cursor.take() {
        number += 1;
        let url = format!("{base}?cursor={}&limit={CATALOG_PAGE}", encode(&next));
        api.check_page(&url, number)?;
        let page = api.get::<EntityPage>(&url).await?.body;
        entities.extend(page.items);
        cursor = page.page_info.next_cursor;
    }
    let known: HashMap<String, crate::model::Repository> = run
        .store
        .repositories()
        .await?
        .into_iter()
        .map(|r| (r.slug.to_ascii_lowercase(), r))
        .collect();
    let mut batch = FactBatch::default();
    let spelled = |repo: String| {
        known
            .get(&repo.to_ascii_lowercase())
            .map_or(repo, |r| r.slug.clone())
    };
    for entity in entities.into_iter().filter(|e| e.kind == "Component") {
        let (owner, kind) = entity
            .spec
            .map_or((None, None), |s| (s.owner.map(|o| entity_name(&o)), s.kind));
        match locate(&entity.metadata.annotations) {
            // A path of a (mono)repository: the service has the owner, not the repository.
            Some(Located::Path(repo, path)) if !entity.metadata.name.is_empty() => {
                batch.services.push(Service {
                    name: entity.metadata.name.clone(),
                    repo: spelled(repo),
                    path,
                    team: owner.clone(),
                    source: "catalog".into(),
                });
                push_team(&mut batch, owner);
            }
            Some(Located::Repository(slug)) => {
                let Some(team) = owner else {
                    continue;
                };
                // What GitHub said of it stays.
                let existing = known.get(&slug.to_ascii_lowercase());
                batch.repositories.push(crate::model::Repository {
                    slug: spelled(slug),
                    team: Some(team.clone()),
                    team_source: Some("catalog".into()),
                    archived: existing.is_some_and(|r| r.archived),
                    pushed_at: None,
                    fork: existing.is_some_and(|r| r.fork),
                    is_template: existing.is_some_and(|r| r.is_template),
                    component_type: kind,
                    config_repo: false,
                });
                push_team(&mut batch, Some(team));
            }
            _ => {}
        }
    }
    run.write(&batch).await?;
    api.save_etag(etag).await?;
    Ok(())
}

/// What a Component's annotations say it is.
#[derive(Debug, PartialEq, Eq)]
enum Located {
    /// A whole repository (`owner/name`).
    Repository(String),
    /// A path (ending in `/`) of a repository.
    Path(String, String),
}

/// The repository a Component's `github.com/project-slug` names, or the path of that same
/// repository its `backstage.io/source-location` points inside (a service of its own). Backstage
/// adds a source location to every entity, often where its `catalog-info.yaml` lives (another
/// repository, a folder): it never overrides the slug. Without a slug, a tree URL inside a
/// repository is a path service.
fn locate(annotations: &HashMap<String, String>) -> Option<Located> {
    let slug = annotations
        .get(SLUG_ANNOTATION)
        .map(|s| s.trim().to_string());
    let path = annotations
        .get(LOCATION_ANNOTATION)
        .and_then(|l| tree_location(l));
    match (slug, path) {
        (Some(slug), Some((repo, path))) if repo.eq_ignore_ascii_case(&slug) => {
            Some(Located::Path(repo, path))
        }
        (None, Some((repo, path))) => Some(Located::Path(repo, path)),
        (Some(slug), _) if !slug.is_empty() => Some(Located::Repository(slug)),
        _ => None,
    }
}

/// Adds the catalog team `team` to `batch` once.
fn push_team(batch: &mut FactBatch, team: Option<String>) {
    if let Some(team) = team.filter(|t| !batch.teams.iter().any(|b| &b.name == t)) {
        batch.teams.push(Team {
            name: team,
            source: "catalog".into(),
        });
    }
}

async fn tasks(run: &mut Run<'_>) -> Result<(), CollectError> {
    let config = &run.config.orchestrator;
    let api = run.api(config.token.clone());
    let from = match run.since {
        Some(since) => since,
        None => run
            .cursor("tasks")
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(i64::MIN),
    };
    let teams: HashMap<String, String> = run
        .store
        .developers()
        .await?
        .into_iter()
        .map(|d| (d.login.to_ascii_lowercase(), d.team))
        .collect();
    let mut requests = Vec::new();
    let mut offset = 0;
    let mut number = 0;
    'pages: loop {
        let url = format!(
            "{}/api/scaffolder/v2/tasks?order=desc:created_at&limit={PAGE}&offset={offset}",
            config.url
        );
        number += 1;
        api.check_page(&url, number)?;
        let page = api.get::<TaskList>(&url).await?.body.tasks;
        let count = page.len();
        for task in page {
            let Some(created_at) = unix(&task.created_at) else {
                run.warn(format!("task {}: createdAt {:?}", task.id, task.created_at));
                continue;
            };
            if created_at < from {
                break 'pages;
            }
            requests.push(request(task, created_at, &teams));
        }
        if count < PAGE {
            break;
        }
        offset += count;
    }
    let newest = requests.iter().map(|r| r.created_at).max();
    let oldest_open = requests
        .iter()
        .filter(|r| r.status == RequestStatus::Running)
        .map(|r| r.created_at)
        .min();
    let cursor = oldest_open.or(newest).unwrap_or(from).max(from);
    let batch = FactBatch {
        requests,
        cursors: vec![run.new_cursor("tasks", cursor)],
        ..FactBatch::default()
    };
    run.write(&batch).await?;
    Ok(())
}

/// A scaffolder task as a self-service request: its team is the template's `owner` parameter,
/// else the roster team of its creator; `completed` is a success, `failed` and `cancelled` are
/// not, `open` and `processing` are unfinished.
fn request(task: Task, created_at: i64, teams: &HashMap<String, String>) -> SelfServiceRequest {
    let status = match task.status.as_str() {
        "completed" => RequestStatus::Succeeded,
        "failed" => RequestStatus::Failed,
        "cancelled" | "skipped" => RequestStatus::Cancelled,
        _ => RequestStatus::Running,
    };
    let text = |pointer: &str| task.spec.pointer(pointer).and_then(|v| v.as_str());
    let creator = task
        .created_by
        .as_deref()
        .or(text("/user/ref"))
        .map(|u| entity_name(u).to_ascii_lowercase());
    let team = text("/parameters/owner")
        .map(entity_name)
        .or_else(|| creator.and_then(|c| teams.get(&c).cloned()))
        .unwrap_or_else(|| "unknown".into());
    let kind = text("/templateInfo/entityRef").map_or("unknown".into(), entity_name);
    let finished_at = (status != RequestStatus::Running).then(|| {
        task.last_heartbeat_at
            .as_deref()
            .and_then(unix)
            .unwrap_or(created_at)
    });
    SelfServiceRequest {
        source: "backstage".into(),
        external_id: task.id,
        team,
        kind,
        status,
        human_intervention: false,
        created_at,
        finished_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_location_makes_a_path_service_only_inside_the_repository_the_slug_names() {
        let annotations = |slug: Option<&str>, location: &str| {
            let mut a = HashMap::from([(LOCATION_ANNOTATION.to_string(), location.to_string())]);
            if let Some(slug) = slug {
                a.insert(SLUG_ANNOTATION.to_string(), slug.to_string());
            }
            a
        };
        let path = |repo: &str, path: &str| Some(Located::Path(repo.into(), path.into()));
        let shop = "url:https://github.com/acme/shop/tree/main/services/cart/";
        assert_eq!(
            locate(&annotations(Some("acme/shop"), shop)),
            path("acme/shop", "services/cart/")
        );
        assert_eq!(
            locate(&annotations(Some("Acme/Shop"), shop)),
            path("acme/shop", "services/cart/")
        );
        assert_eq!(
            locate(&annotations(None, shop)),
            path("acme/shop", "services/cart/")
        );
        // Where its catalog-info.yaml lives, in a catalog repository: the slug wins.
        let catalog = "url:https://github.com/acme/catalog/tree/main/components/api/";
        assert_eq!(
            locate(&annotations(Some("acme/api"), catalog)),
            Some(Located::Repository("acme/api".into()))
        );
        let root = "url:https://github.com/acme/api/tree/main/";
        assert_eq!(
            locate(&annotations(Some("acme/api"), root)),
            Some(Located::Repository("acme/api".into()))
        );
        assert_eq!(locate(&annotations(None, root)), None);
    }

    #[test]
    fn entity_references_give_names() {
        assert_eq!(entity_name("group:default/payments"), "payments");
        assert_eq!(entity_name("default/payments"), "payments");
        assert_eq!(entity_name("payments"), "payments");
        assert_eq!(
            entity_name("template:default/create-service"),
            "create-service"
        );
    }
}
