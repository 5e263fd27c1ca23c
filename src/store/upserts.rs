//! How each fact kind of a [`super::FactBatch`] is written: its table and columns, its values,
//! and what a repeat does (the rule of its `ON CONFLICT`), all in one place. Written by
//! [`super::insert::upsert`].

use super::insert::{Columns, Value};
use crate::model::{
    Change, Commit, CommitPull, CommitRevert, Cursor, Delivery, Deployment, DeploymentChange,
    Developer, Incident, Namespace, Repository, Rollout, SelfServiceRequest, Service, Team,
};

impl Columns for Team {
    const INTO: &'static str = "teams (name, source, updated_at)";
    // A team stays as first named.
    const ON_CONFLICT: &'static str = "ON CONFLICT (name) DO NOTHING";
    fn values(&self, at: i64) -> impl IntoIterator<Item = Value<'_>> {
        [(&self.name).into(), (&self.source).into(), at.into()]
    }
}

impl Columns for Developer {
    const INTO: &'static str = "developers (login, team, start_at, email, updated_at)";
    // An empty team (the roster gave none) keeps the one GitHub membership gave.
    const ON_CONFLICT: &'static str = "ON CONFLICT (login) DO UPDATE SET \
        team = CASE WHEN excluded.team = '' THEN developers.team ELSE excluded.team END, \
        start_at = excluded.start_at, email = excluded.email, updated_at = excluded.updated_at \
        WHERE (excluded.team <> '' AND developers.team <> excluded.team) \
        OR developers.start_at <> excluded.start_at \
        OR developers.email IS DISTINCT FROM excluded.email";
    fn values(&self, at: i64) -> impl IntoIterator<Item = Value<'_>> {
        [
            (&self.login).into(),
            (&self.team).into(),
            self.start_at.into(),
            (&self.email).into(),
            at.into(),
        ]
    }
}

impl Columns for Repository {
    const INTO: &'static str = "repositories (slug, team, team_source, archived, pushed_at, \
        fork, is_template, component_type, config_repo, updated_at)";
    // A repository without an owner, a push or a component type keeps those it had; once a
    // config repository, always one.
    const ON_CONFLICT: &'static str = "ON CONFLICT (slug) DO UPDATE SET \
        team = COALESCE(excluded.team, repositories.team), \
        team_source = CASE WHEN excluded.team IS NULL THEN repositories.team_source \
        ELSE excluded.team_source END, \
        archived = excluded.archived, \
        pushed_at = COALESCE(excluded.pushed_at, repositories.pushed_at), \
        fork = excluded.fork, is_template = excluded.is_template, \
        component_type = COALESCE(excluded.component_type, repositories.component_type), \
        config_repo = (repositories.config_repo OR excluded.config_repo), \
        updated_at = excluded.updated_at \
        WHERE (excluded.team IS NOT NULL AND (repositories.team IS DISTINCT FROM excluded.team \
        OR repositories.team_source IS DISTINCT FROM excluded.team_source)) \
        OR repositories.archived <> excluded.archived \
        OR (excluded.pushed_at IS NOT NULL AND repositories.pushed_at IS DISTINCT FROM excluded.pushed_at) \
        OR repositories.fork <> excluded.fork OR repositories.is_template <> excluded.is_template \
        OR (excluded.component_type IS NOT NULL \
            AND repositories.component_type IS DISTINCT FROM excluded.component_type) \
        OR (excluded.config_repo AND NOT repositories.config_repo)";
    fn values(&self, at: i64) -> impl IntoIterator<Item = Value<'_>> {
        [
            (&self.slug).into(),
            (&self.team).into(),
            (&self.team_source).into(),
            self.archived.into(),
            self.pushed_at.into(),
            self.fork.into(),
            self.is_template.into(),
            (&self.component_type).into(),
            self.config_repo.into(),
            at.into(),
        ]
    }
}

/// A repository's push, kept as a fact of its own time (a repository row holds the last only).
pub(super) struct Push<'a> {
    /// `owner/name`.
    pub repo: &'a str,
    /// When.
    pub pushed_at: i64,
}

impl Push<'_> {
    /// The pushes of `repositories` that know their last push.
    pub fn of(repositories: &[Repository]) -> Vec<Push<'_>> {
        repositories
            .iter()
            .filter_map(|r| {
                Some(Push {
                    repo: &r.slug,
                    pushed_at: r.pushed_at?,
                })
            })
            .collect()
    }
}

impl Columns for Push<'_> {
    const INTO: &'static str = "repository_pushes (repo, pushed_at)";
    const ON_CONFLICT: &'static str = "ON CONFLICT (repo, pushed_at) DO NOTHING";
    fn values(&self, _: i64) -> impl IntoIterator<Item = Value<'_>> {
        [self.repo.into(), self.pushed_at.into()]
    }
}

impl Columns for Service {
    const INTO: &'static str = "services (name, repo, path, team, source, updated_at)";
    // A configured service (`source = 'config'`, `super::services::CONFIG_SOURCE`) wins over
    // the catalog's or the demo's of the same name.
    const ON_CONFLICT: &'static str = "ON CONFLICT (name) DO UPDATE SET repo = excluded.repo, \
        path = excluded.path, team = excluded.team, source = excluded.source, \
        updated_at = excluded.updated_at \
        WHERE services.source <> 'config' \
        AND (services.repo <> excluded.repo OR services.path <> excluded.path \
        OR services.team IS DISTINCT FROM excluded.team OR services.source <> excluded.source)";
    fn values(&self, at: i64) -> impl IntoIterator<Item = Value<'_>> {
        [
            (&self.name).into(),
            (&self.repo).into(),
            (&self.path).into(),
            (&self.team).into(),
            (&self.source).into(),
            at.into(),
        ]
    }
}

impl Columns for Commit {
    const INTO: &'static str =
        "commits (repo, sha, author_login, authored_at, committed_at, is_bot)";
    const ON_CONFLICT: &'static str = "ON CONFLICT (repo, sha) DO NOTHING";
    fn values(&self, _: i64) -> impl IntoIterator<Item = Value<'_>> {
        [
            (&self.repo).into(),
            (&self.sha).into(),
            (&self.author_login).into(),
            self.authored_at.into(),
            self.committed_at.into(),
            self.is_bot.into(),
        ]
    }
}

impl Columns for Deployment {
    const INTO: &'static str =
        "deployments (source, external_id, repo, service, sha, environment, finished_at)";
    const ON_CONFLICT: &'static str = "ON CONFLICT (source, external_id) DO NOTHING";
    fn values(&self, _: i64) -> impl IntoIterator<Item = Value<'_>> {
        [
            (&self.source).into(),
            (&self.external_id).into(),
            (&self.repo).into(),
            (&self.service).into(),
            (&self.sha).into(),
            (&self.environment).into(),
            self.finished_at.into(),
        ]
    }
}

impl Columns for DeploymentChange {
    const INTO: &'static str = "deployment_changes (service, repo, sha, deployment_source, \
        deployment_id, committed_at, deployed_at, lead_time_seconds)";
    // A commit counts once per service, at the first deployment that contains it, whatever
    // order the sources report deployments in.
    const ON_CONFLICT: &'static str = "ON CONFLICT (service, sha) DO UPDATE SET \
        deployment_source = excluded.deployment_source, deployment_id = excluded.deployment_id, \
        deployed_at = excluded.deployed_at, lead_time_seconds = excluded.lead_time_seconds \
        WHERE excluded.deployed_at < deployment_changes.deployed_at";
    fn values(&self, _: i64) -> impl IntoIterator<Item = Value<'_>> {
        [
            (&self.service).into(),
            (&self.repo).into(),
            (&self.sha).into(),
            (&self.deployment_source).into(),
            (&self.deployment_id).into(),
            self.committed_at.into(),
            self.deployed_at.into(),
            self.lead_time_seconds().into(),
        ]
    }
}

impl Columns for CommitPull {
    const INTO: &'static str = "commit_pulls (repo, sha, state, number, started_at, updated_at)";
    // Asked once ever: a known answer is never asked again nor overwritten; a commit shipped
    // again stays as it is.
    const ON_CONFLICT: &'static str = "ON CONFLICT (repo, sha) DO UPDATE SET \
        state = excluded.state, number = excluded.number, started_at = excluded.started_at, \
        updated_at = excluded.updated_at \
        WHERE commit_pulls.state = 'pending' AND excluded.state <> 'pending'";
    fn values(&self, at: i64) -> impl IntoIterator<Item = Value<'_>> {
        let (number, started_at) = self.pull();
        [
            (&self.repo).into(),
            (&self.sha).into(),
            super::changes::state_name(self.state).into(),
            number.into(),
            started_at.into(),
            at.into(),
        ]
    }
}

impl Columns for Change {
    const INTO: &'static str = "changes (service, change_id, repo, started_at, \
        deployment_source, deployment_id, deployed_at, lead_time_seconds, commits)";
    // Changes are derived again whole for a service (its old ones deleted first).
    const ON_CONFLICT: &'static str = "";
    fn values(&self, _: i64) -> impl IntoIterator<Item = Value<'_>> {
        [
            (&self.service).into(),
            (&self.change_id).into(),
            (&self.repo).into(),
            self.started_at.into(),
            (&self.deployment_source).into(),
            (&self.deployment_id).into(),
            self.deployed_at.into(),
            self.lead_time_seconds().into(),
            self.commits.into(),
        ]
    }
}

impl Columns for Rollout {
    const INTO: &'static str =
        "rollouts (service, repo, sha, kind, finished_at, source, external_id, previous_sha)";
    // Rollouts are derived again whole for a service (its old ones deleted first).
    const ON_CONFLICT: &'static str = "";
    fn values(&self, _: i64) -> impl IntoIterator<Item = Value<'_>> {
        [
            (&self.service).into(),
            (&self.repo).into(),
            (&self.sha).into(),
            self.kind.as_str().into(),
            self.finished_at.into(),
            (&self.source).into(),
            (&self.external_id).into(),
            (&self.previous_sha).into(),
        ]
    }
}

impl Columns for SelfServiceRequest {
    const INTO: &'static str = "self_service_requests \
        (source, external_id, team, kind, status, human_intervention, created_at, finished_at)";
    // A finished request changes only with an event that finished no earlier: an old event
    // replayed (`running`, or another finish before the stored one) changes nothing.
    const ON_CONFLICT: &'static str = "ON CONFLICT (source, external_id) DO UPDATE SET \
        team = excluded.team, kind = excluded.kind, status = excluded.status, \
        human_intervention = excluded.human_intervention, finished_at = excluded.finished_at \
        WHERE (self_service_requests.status <> excluded.status \
        OR self_service_requests.human_intervention <> excluded.human_intervention \
        OR self_service_requests.finished_at IS DISTINCT FROM excluded.finished_at) \
        AND (self_service_requests.finished_at IS NULL \
        OR excluded.finished_at >= self_service_requests.finished_at)";
    fn values(&self, _: i64) -> impl IntoIterator<Item = Value<'_>> {
        [
            (&self.source).into(),
            (&self.external_id).into(),
            (&self.team).into(),
            (&self.kind).into(),
            self.status.as_str().into(),
            self.human_intervention.into(),
            self.created_at.into(),
            self.finished_at.into(),
        ]
    }
}

impl Columns for Namespace {
    const INTO: &'static str =
        "namespaces (name, team, managed, created_at, deleted_at, updated_at)";
    const ON_CONFLICT: &'static str = "ON CONFLICT (name) DO UPDATE SET team = excluded.team, \
        managed = excluded.managed, created_at = excluded.created_at, \
        deleted_at = excluded.deleted_at, updated_at = excluded.updated_at \
        WHERE namespaces.team IS DISTINCT FROM excluded.team \
        OR namespaces.managed <> excluded.managed \
        OR namespaces.created_at <> excluded.created_at \
        OR namespaces.deleted_at IS DISTINCT FROM excluded.deleted_at";
    fn values(&self, at: i64) -> impl IntoIterator<Item = Value<'_>> {
        [
            (&self.name).into(),
            (&self.team).into(),
            self.managed.into(),
            self.created_at.into(),
            self.deleted_at.into(),
            at.into(),
        ]
    }
}

impl Columns for Incident {
    const INTO: &'static str = "incidents \
        (source, external_id, service, opened_at, resolved_at, severity, updated_at)";
    // The same id again updates the incident; an unchanged one writes nothing. A webhook
    // incident, once resolved, stays resolved when an older event without `resolved_at`
    // arrives late (relays deliver out of order); a GitHub issue is read whole each time, so
    // a reopened issue is open again.
    const ON_CONFLICT: &'static str = "ON CONFLICT (source, external_id) DO UPDATE SET \
        service = excluded.service, opened_at = excluded.opened_at, \
        resolved_at = CASE WHEN excluded.source = 'github' THEN excluded.resolved_at \
        ELSE COALESCE(excluded.resolved_at, incidents.resolved_at) END, \
        severity = excluded.severity, updated_at = excluded.updated_at \
        WHERE incidents.service <> excluded.service \
        OR incidents.opened_at <> excluded.opened_at \
        OR incidents.severity IS DISTINCT FROM excluded.severity \
        OR (excluded.resolved_at IS NOT NULL \
            AND incidents.resolved_at IS DISTINCT FROM excluded.resolved_at) \
        OR (excluded.source = 'github' AND excluded.resolved_at IS NULL \
            AND incidents.resolved_at IS NOT NULL)";
    fn values(&self, at: i64) -> impl IntoIterator<Item = Value<'_>> {
        [
            (&self.source).into(),
            (&self.external_id).into(),
            (&self.service).into(),
            self.opened_at.into(),
            self.resolved_at.into(),
            (&self.severity).into(),
            at.into(),
        ]
    }
}

impl Columns for CommitRevert {
    const INTO: &'static str = "commit_reverts (repo, sha, reverted)";
    const ON_CONFLICT: &'static str = "ON CONFLICT (repo, sha, reverted) DO NOTHING";
    fn values(&self, _: i64) -> impl IntoIterator<Item = Value<'_>> {
        [
            (&self.repo).into(),
            (&self.sha).into(),
            (&self.reverted).into(),
        ]
    }
}

impl Columns for Delivery {
    const INTO: &'static str = "webhook_deliveries (source, delivery_id, seen_at)";
    // Written once: a delivery written before is one handled before.
    const ON_CONFLICT: &'static str = "ON CONFLICT (source, delivery_id) DO NOTHING";
    fn values(&self, at: i64) -> impl IntoIterator<Item = Value<'_>> {
        [(&self.source).into(), (&self.id).into(), at.into()]
    }
}

impl Columns for Cursor {
    const INTO: &'static str = "collector_cursors (source, scope, value, updated_at)";
    const ON_CONFLICT: &'static str = "ON CONFLICT (source, scope) DO UPDATE SET \
        value = excluded.value, updated_at = excluded.updated_at";
    fn values(&self, at: i64) -> impl IntoIterator<Item = Value<'_>> {
        [
            (&self.source).into(),
            (&self.scope).into(),
            (&self.value).into(),
            at.into(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configured_services_win_by_their_source_name() {
        let rule = format!(
            "services.source <> '{}'",
            super::super::services::CONFIG_SOURCE
        );
        assert!(Service::ON_CONFLICT.contains(&rule));
    }
}
