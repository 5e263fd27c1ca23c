//! Tests of loading and validating the configuration.

use super::survey::DEFAULT_ROSTER_FILE;
use super::*;

/// Loads `text` with `vars` as the whole environment.
pub(super) fn load(text: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env = vars.clone();
    Config::from_parts(text, vars, move |name| {
        env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
}

fn error_key(text: &str, vars: &[(&str, &str)]) -> String {
    match load(text, vars) {
        Err(ConfigError::Invalid { key, .. }) => key,
        other => panic!("expected an invalid key, got {other:?}"),
    }
}

#[test]
fn defaults_follow_the_design() {
    let c = load("", &[]).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.database_url, "sqlite://dxs.db");
    assert_eq!(c.github.api_url, "https://api.github.com");
    let production: Vec<String> = c
        .github
        .production_environments
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        production,
        [
            "production",
            "production-*",
            "production/*",
            "prod",
            "prod-*",
            "prd",
            "live"
        ]
    );
    assert_eq!(c.orchestrator.kind, OrchestratorKind::Backstage);
    assert_eq!(c.score.weights["deploy_ease"], 0.25);
    assert_eq!(c.score.weights.len(), 10);
    assert_eq!(c.score.weights["change_failure"], 0.0);
    assert_eq!(c.score.weights["recovery"], 0.0);
    assert_eq!(c.score.recovery_hours, [1.0, 168.0]);
    assert_eq!(c.score.dora_change_failure, [0.05, 0.10, 0.15]);
    assert_eq!(c.score.dora_recovery_hours, [1.0, 24.0, 168.0]);
    assert_eq!(c.score.min_group_size, 5);
    assert_eq!(c.score.min_coverage, 0.6);
    assert_eq!(c.score.window_days, 90);
    assert!(c.auth.admin_token.is_none());
    assert_eq!(c.collect.interval_secs, 3600);
    assert_eq!(c.collect.max_retries, 5);
    assert_eq!(c.collect.retry_base_ms, 500);
    assert_eq!(c.collect.max_pages, 1000);
    assert_eq!(c.collect.max_body_bytes, 32 * 1024 * 1024);
    assert!(!c.kubernetes.enabled);
    assert_eq!(c.kubernetes.managed_label, "platform_managed");
    assert_eq!(c.kubernetes.team_label, "team");
    assert_eq!(c.score.adoption_basis, AdoptionBasis::Repositories);
}

#[test]
fn adoption_by_namespaces_needs_the_kubernetes_collector() {
    let text = "[score]\nadoption_basis = \"namespaces\"\n";
    let err = load(text, &[]).unwrap_err().to_string();
    assert!(err.contains("score.adoption_basis"), "{err}");
    let on = load(text, &[("DXS_KUBERNETES__ENABLED", "true")]).unwrap();
    assert_eq!(on.score.adoption_basis, AdoptionBasis::Namespaces);
    let typo = load("[score]\nadoption_basis = \"pods\"\n", &[]).unwrap_err();
    assert!(typo.to_string().contains("score.adoption_basis"), "{typo}");
    let missing = load(
        "[kubernetes]\nenabled = true\nkubeconfig = \"/nonexistent/kc\"\n",
        &[],
    );
    assert!(missing
        .unwrap_err()
        .to_string()
        .contains("kubernetes.kubeconfig"));
    let claims = load(
        "[kubernetes]\nclaims = [\"postgresqlinstances.platform.acme.io/v1alpha1\"]\n",
        &[],
    )
    .unwrap();
    assert_eq!(
        claims.kubernetes.claims,
        [ClaimResource {
            group: "platform.acme.io".into(),
            version: "v1alpha1".into(),
            plural: "postgresqlinstances".into()
        }]
    );
    assert_eq!(claims.kubernetes.claim_timeout_minutes, 60);
    for bad in ["postgresqlinstances", "x.acme.io", "X.acme.io/v1", "/v1"] {
        let text = format!("[kubernetes]\nclaims = [\"{bad}\"]\n");
        let err = load(&text, &[]).unwrap_err().to_string();
        assert!(err.contains("kubernetes.claims"), "{bad}: {err}");
    }
}

#[test]
fn file_values_and_env_overrides() {
    let text = "listen = \"0.0.0.0:9000\"\n[github]\norg = \"globex\"\n";
    let c = load(
        text,
        &[
            ("DXS_GITHUB__ORG", "initech"),
            ("DXS_SCORE__MIN_GROUP_SIZE", "7"),
            ("DXS_SCORE__WEIGHTS", "{ nps = 1.0 }"),
            ("DXS_ADMIN_TOKEN", "not-a-config-key-but-a-long-secret"),
        ],
    )
    .unwrap();
    assert_eq!(c.listen.port(), 9000);
    assert_eq!(c.github.org, "initech");
    assert_eq!(c.score.min_group_size, 7);
    assert_eq!(c.score.weights.len(), 1);
    assert_eq!(
        c.auth.admin_token.as_ref().map(Secret::expose),
        Some("not-a-config-key-but-a-long-secret")
    );
}

#[test]
fn secrets_come_from_the_named_variable_and_never_print() {
    let c = load(
        "[github]\ntoken_env = \"MY_GH\"\n",
        &[("MY_GH", "ghp_secret123")],
    )
    .unwrap();
    assert_eq!(c.github.token.as_ref().unwrap().expose(), "ghp_secret123");
    let printed = format!("{c:?}");
    assert!(!printed.contains("ghp_secret123"), "{printed}");
    assert!(printed.contains("Secret(***)"));
}

#[test]
fn each_bad_key_is_named() {
    assert_eq!(error_key("listen = \"nope\"", &[]), "listen");
    assert_eq!(
        error_key("database_url = \"mysql://x\"", &[]),
        "database_url"
    );
    assert_eq!(
        error_key("", &[("DXS_DATABASE_URL", "redis://x")]),
        "database_url"
    );
    assert_eq!(
        error_key("[github]\napi_url = \"ftp://x\"", &[]),
        "github.api_url"
    );
    assert_eq!(
        error_key("[github]\nrepos = [\"acme/api\"]", &[]),
        "github.repos"
    );
    assert_eq!(
        error_key("[github]\nrepos = [\"acme/api\", \"api\"]", &[]),
        "github.repos[1]"
    );
    assert_eq!(
        error_key("[github]\nproduction_environments = []", &[]),
        "github.production_environments"
    );
    assert_eq!(
        error_key(
            "[github]\nproduction_environments = [\"prod-*\", \"pro d\"]",
            &[]
        ),
        "github.production_environments[1]"
    );
    assert_eq!(
        error_key("[github]\ntoken_env = \"A B\"", &[]),
        "github.token_env"
    );
    assert_eq!(error_key("[argocd]\nurl = \"argocd\"", &[]), "argocd.url");
    assert_eq!(
        error_key(
            "[argocd]\nconfig_repos = [\"acme/deploy\", \"deploy\"]",
            &[]
        ),
        "argocd.config_repos[1]"
    );
    assert_eq!(
        error_key("[argocd]\nproduction_selector = \" \"", &[]),
        "argocd.production_selector"
    );
    assert_eq!(
        error_key("[orchestrator]\nkind = \"jenkins\"", &[]),
        "orchestrator.kind"
    );
    assert_eq!(
        error_key("[orchestrator]\nurl = \"backstage\"", &[]),
        "orchestrator.url"
    );
    assert_eq!(
        error_key("[score]\nweights = { nps = -1.0 }", &[]),
        "score.weights.nps"
    );
    assert_eq!(
        error_key("[score]\nweights = { nps = 0.0 }", &[]),
        "score.weights"
    );
    assert_eq!(
        error_key("[score]\nweights = { \"Bad\" = 1.0 }", &[]),
        "score.weights.Bad"
    );
    assert_eq!(
        error_key("[score]\nmin_group_size = 0", &[]),
        "score.min_group_size"
    );
    assert_eq!(
        error_key("[score]\nmin_coverage = 1.5", &[]),
        "score.min_coverage"
    );
    assert_eq!(
        error_key("", &[("DXS_SCORE__MIN_COVERAGE", "-0.1")]),
        "score.min_coverage"
    );
    assert_eq!(
        error_key("[score]\nwindow_days = -3", &[]),
        "score.window_days"
    );
    assert_eq!(
        error_key("[score]\nlead_time_hours = [720, 1]", &[]),
        "score.lead_time_hours"
    );
    assert_eq!(
        error_key("[score]\nonboarding_hours = [0, 336]", &[]),
        "score.onboarding_hours"
    );
    assert_eq!(
        error_key("[score]\ndora_lead_time_hours = [24, 24, 720]", &[]),
        "score.dora_lead_time_hours"
    );
    assert_eq!(
        error_key("", &[("DXS_SCORE__DORA_DEPLOYS_PER_WEEK", "[1, 7, 0.2]")]),
        "score.dora_deploys_per_week"
    );
    assert_eq!(
        error_key("[score]\nrecovery_hours = [168, 1]", &[]),
        "score.recovery_hours"
    );
    assert_eq!(
        error_key("[score]\ndora_change_failure = [0.1, 0.05, 0.15]", &[]),
        "score.dora_change_failure"
    );
    assert_eq!(
        error_key("[score]\ndora_change_failure = [0.05, 0.1, 1.5]", &[]),
        "score.dora_change_failure"
    );
    assert_eq!(
        error_key("", &[("DXS_SCORE__DORA_RECOVERY_HOURS", "[1, 24, 24]")]),
        "score.dora_recovery_hours"
    );
    assert_eq!(
        error_key("[auth]\nadmin_token_env = \"x-y\"", &[]),
        "auth.admin_token_env"
    );
    assert_eq!(
        error_key("", &[("DXS_ADMIN_TOKEN", "sixteen-chars-ab")]),
        "auth.admin_token_env"
    );
    assert_eq!(
        error_key("[auth]\ntrusted_user_header = \"X-Forwarded-User\"", &[]),
        "auth.trusted_proxies"
    );
    assert_eq!(
        error_key("[auth]\ntrusted_proxies = [\"10.0.0.0/40\"]", &[]),
        "auth.trusted_proxies"
    );
    assert_eq!(
        error_key(
            "[auth]\ntrusted_user_header = \"X User\"\ntrusted_proxies = [\"10.0.0.1\"]",
            &[]
        ),
        "auth.trusted_user_header"
    );
    assert_eq!(
        error_key("[auth]\nsession_hours = 0", &[]),
        "auth.session_hours"
    );
    assert_eq!(
        error_key("[metrics]\ntoken_env = \"a-b\"", &[]),
        "metrics.token_env"
    );
    assert_eq!(
        error_key("[metrics]\ntoken_env = \"SCRAPE\"", &[("SCRAPE", "abc")]),
        "metrics.token_env"
    );
    assert_eq!(
        error_key("[collect]\ninterval_secs = -1", &[]),
        "collect.interval_secs"
    );
    assert_eq!(
        error_key("[collect]\nrequest_timeout_ms = 0", &[]),
        "collect.request_timeout_ms"
    );
    assert_eq!(
        error_key("", &[("DXS_COLLECT__MAX_RETRIES", "99")]),
        "collect.max_retries"
    );
    assert_eq!(
        error_key("[collect]\nretry_base_ms = -5", &[]),
        "collect.retry_base_ms"
    );
    assert_eq!(
        error_key("[collect]\nmax_wait_secs = 999999", &[]),
        "collect.max_wait_secs"
    );
    assert_eq!(
        error_key("[collect]\nmax_pages = 0", &[]),
        "collect.max_pages"
    );
    assert_eq!(
        error_key("[collect]\nmax_body_bytes = 10", &[]),
        "collect.max_body_bytes"
    );
    assert_eq!(
        error_key("[survey]\nbase_url = \"dxs.example.com\"", &[]),
        "survey.base_url"
    );
    assert_eq!(
        error_key("[survey]\nsecret_env = \"not valid\"", &[]),
        "survey.secret_env"
    );
    assert_eq!(error_key("[survey]\nfile = \"\"", &[]), "survey.file");
    assert_eq!(
        error_key("[survey]\nwindow_days = 0", &[]),
        "survey.window_days"
    );
    assert_eq!(
        error_key("[survey]\nwindow_days = 93", &[]),
        "survey.window_days"
    );
}

/// A metrics token as long as a token must be.
const SCRAPE: &str = "scrape-token-0123456789abcdef0123";

#[test]
fn auth_and_metrics_keys_are_read() {
    let c = load("", &[]).unwrap();
    assert_eq!(c.auth.session_hours, 8);
    assert_eq!(c.auth.admins, Admins::Only(vec![]));
    assert!(c.metrics.token.is_none());
    let token = "0123456789abcdef0123456789abcdef";
    let c = load(
        "[auth]\ntrusted_user_header = \"X-Forwarded-User\"\n\
         trusted_proxies = [\"10.0.0.0/8\"]\nadmins = [\"*\"]\nsession_hours = 2\n\
         [metrics]\ntoken_env = \"SCRAPE\"",
        &[("DXS_ADMIN_TOKEN", token), ("SCRAPE", SCRAPE)],
    )
    .unwrap();
    assert_eq!(c.auth.admin_token.as_ref().map(Secret::expose), Some(token));
    assert_eq!(c.auth.admins, Admins::Everyone);
    assert_eq!(c.auth.session_hours, 2);
    assert!(c.auth.trusted_proxies[0].contains("10.9.8.7".parse().unwrap()));
    assert_eq!(c.metrics.token.as_ref().map(Secret::expose), Some(SCRAPE));
    let Err(e) = load("", &[("DXS_ADMIN_TOKEN", "sixteen-chars-ab")]) else {
        panic!()
    };
    assert!(e.to_string().contains("16 characters"), "{e}");
}

#[test]
fn the_survey_section_reads_its_definition_and_secret() {
    let c = load("", &[]).unwrap();
    assert_eq!(c.survey.definition.questions.len(), 5);
    assert_eq!(c.survey.base_url, "http://127.0.0.1:8080");
    assert!(c.survey.secret.is_none());
    assert_eq!(c.survey.form_key.expose().len(), 64, "a random key");
    assert_eq!(c.survey.window_days, 21, "DESIGN §4");
    let c = load("[survey]\nwindow_days = 14", &[]).unwrap();
    assert_eq!(c.survey.window_days, 14);
    let c = load("", &[("DXS_SURVEY__WINDOW_DAYS", "30")]).unwrap();
    assert_eq!(c.survey.window_days, 30, "from the environment");
    let c = load(
        "[survey]\nbase_url = \"https://dxs.example.com/\"\nsecret_env = \"S\"",
        &[("S", "k1")],
    )
    .unwrap();
    assert_eq!(c.survey.base_url, "https://dxs.example.com");
    assert_eq!(c.survey.secret.as_ref().map(Secret::expose), Some("k1"));
    assert_eq!(c.survey.form_key.expose(), "k1");
    assert!(c.survey.previous_secret.is_none(), "none by default");
    let c = load("[survey]\nprevious_secret_env = \"OLD\"", &[("OLD", "k0")]).unwrap();
    assert_eq!(
        c.survey.previous_secret.as_ref().map(Secret::expose),
        Some("k0")
    );
    let Err(e) = load("[survey]\nprevious_secret_env = \"not a name\"", &[]) else {
        panic!()
    };
    assert!(
        e.to_string().starts_with("survey.previous_secret_env:"),
        "{e}"
    );

    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        crate::survey::definition::EMBEDDED.replace("score = 50", "score = -5"),
    )
    .unwrap();
    let text = format!("[survey]\nfile = {:?}", broken.display().to_string());
    let Err(e) = load(&text, &[]) else { panic!() };
    assert!(e.to_string().contains("question wait_time: choices"), "{e}");
    let Err(e) = load("[survey]\nfile = \"missing.toml\"", &[]) else {
        panic!()
    };
    assert!(e.to_string().starts_with("missing.toml: "), "{e}");
}

#[test]
fn a_configured_roster_must_be_readable_and_the_default_may_be_missing() {
    let Err(e) = load("[roster]\nfile = \"missing-roster.csv\"", &[]) else {
        panic!()
    };
    assert!(
        e.to_string()
            .starts_with("roster.file: cannot read missing-roster.csv: "),
        "{e}"
    );
    let Err(e) = load("", &[("DXS_ROSTER__FILE", "/nonexistent/roster.csv")]) else {
        panic!()
    };
    assert!(e.to_string().starts_with("roster.file: "), "{e}");
    let config = load("", &[]).unwrap();
    assert_eq!(config.roster.file, Path::new(DEFAULT_ROSTER_FILE));
}

#[test]
fn a_github_app_needs_a_parsable_private_key() {
    let pem = include_str!("../../tests/fixtures/github/app-private-key.pem");
    let text = "[github]\napp_id = 42\napp_private_key_env = \"APP_KEY\"\n";
    let c = load(text, &[("APP_KEY", pem)]).unwrap();
    let app = c.github.app.unwrap();
    assert_eq!((app.app_id, app.installation_id), (42, 0));
    // Newlines written as `\n` (one line in a .env file) are the same key.
    let one_line = pem.replace('\n', "\\n");
    assert!(load(text, &[("APP_KEY", &one_line)])
        .unwrap()
        .github
        .app
        .is_some());
    assert!(load("", &[]).unwrap().github.app.is_none());
    for (text, vars) in [
        (
            text,
            vec![("APP_KEY", "-----BEGIN RSA PRIVATE KEY-----\nnope\n")],
        ),
        (text, vec![]),
        ("[github]\napp_id = 42\n", vec![]),
    ] {
        assert_eq!(
            error_key(text, &vars),
            "github.app_private_key_env",
            "{text}"
        );
    }
    let Err(e) = load(text, &[("APP_KEY", "not a key")]) else {
        panic!("a bad key loads")
    };
    assert!(
        e.to_string()
            .contains("APP_KEY does not hold an RSA private key"),
        "{e}"
    );
    assert!(
        !e.to_string().contains("not a key"),
        "the secret is never printed: {e}"
    );
    assert_eq!(error_key("[github]\napp_id = -1", &[]), "github.app_id");
    assert_eq!(
        error_key("[github]\ninstallation_id = -3", &[]),
        "github.installation_id"
    );
}

#[test]
fn unknown_keys_and_bad_toml_are_refused() {
    let Err(e) = load("[github]\norgg = \"x\"", &[]) else {
        panic!()
    };
    assert!(e.to_string().contains("orgg"), "{e}");
    let Err(e) = load("", &[("DXS_GITHUB__ORGG", "x")]) else {
        panic!()
    };
    assert!(e.to_string().contains("orgg"), "{e}");
    let Err(e) = load("listen = ", &[]) else {
        panic!()
    };
    assert!(e.to_string().starts_with("dxs.toml: "), "{e}");
}

#[test]
fn unset_sources_are_not_configured_and_say_how() {
    use crate::collectors::Source;
    let c = load("", &[]).unwrap();
    assert_eq!((c.github.org.as_str(), c.argocd.url.as_str()), ("", ""));
    assert_eq!(c.orchestrator.url, "");
    assert!(Source::enabled(&c).is_empty());
    let line = Source::Github.not_configured(&c).unwrap();
    assert!(line.starts_with("github: not configured"), "{line}");
    assert!(line.contains("DXS_GITHUB__ORG"), "{line}");
    let line = Source::Argocd.not_configured(&c).unwrap();
    assert!(line.contains("argocd.url"), "{line}");
    let c = load(
        "[github]\norg = \"Acme\"\n[orchestrator]\nkind = \"webhook\"\n",
        &[("DXS_ARGOCD__URL", "https://argo.acme.io")],
    )
    .unwrap();
    assert_eq!(
        Source::enabled(&c),
        [Source::Orchestrator, Source::Github, Source::Argocd]
    );
}
