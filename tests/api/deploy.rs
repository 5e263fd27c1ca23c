//! The deployment files: docker-compose.yml, Dockerfile, Grafana and Prometheus provisioning,
//! and the Kubernetes kustomization. Docker and a cluster are not here: each file is parsed and
//! every path it names is checked.

use std::collections::BTreeSet;

use serde_yaml::Value;

use crate::dashboards::{dashboards, repo_path};

fn yaml(relative: &str) -> Value {
    let text =
        std::fs::read_to_string(repo_path(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{relative} is not YAML: {e}"))
}

fn str_of(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v:?}"))
}

/// The `(source, target)` of every bind mount of a compose service; named volumes must be
/// declared at the top level.
fn bind_mounts(compose: &Value, service: &str) -> Vec<(String, String)> {
    let mut mounts = Vec::new();
    for volume in compose["services"][service]["volumes"]
        .as_sequence()
        .unwrap()
    {
        let spec = str_of(volume);
        let mut parts = spec.split(':');
        let (source, target) = (parts.next().unwrap(), parts.next().unwrap());
        if source.starts_with("./") || source.starts_with("../") {
            assert!(
                repo_path(source).exists(),
                "{service} mounts {source}, which does not exist"
            );
            mounts.push((source.to_string(), target.to_string()));
        } else {
            assert!(
                compose["volumes"].get(source).is_some(),
                "{service}: named volume {source} is not declared"
            );
        }
    }
    mounts
}

/// Where `source` is mounted in `service`.
fn target_of(mounts: &[(String, String)], source: &str) -> String {
    mounts
        .iter()
        .find(|(s, _)| s == source)
        .unwrap_or_else(|| panic!("{source} is not mounted"))
        .1
        .clone()
}

#[test]
fn the_compose_file_parses_and_every_mounted_path_exists() {
    let compose = yaml("docker-compose.yml");
    let services: BTreeSet<&str> = compose["services"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(str_of)
        .collect();
    assert_eq!(
        services,
        BTreeSet::from(["dxs", "grafana", "postgres", "prometheus"])
    );

    let dxs = &compose["services"]["dxs"];
    assert!(repo_path(str_of(&dxs["build"])).join("Dockerfile").exists());
    assert_eq!(
        dxs["depends_on"]["postgres"]["condition"],
        "service_healthy"
    );
    let database_url = str_of(&dxs["environment"]["DATABASE_URL"]);
    assert!(database_url.starts_with("postgres://dxs:dxs@postgres:5432/dxs"));
    assert_eq!(dxs["environment"]["DXS_LISTEN"], "0.0.0.0:8080");

    let postgres = &compose["services"]["postgres"];
    let check: Vec<&str> = postgres["healthcheck"]["test"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(str_of)
        .collect();
    assert!(check.join(" ").contains("pg_isready"), "{check:?}");
    assert_eq!(
        postgres["volumes"][0], "postgres:/var/lib/postgresql/data",
        "the data survives a restart"
    );
    bind_mounts(&compose, "postgres");

    let prometheus = bind_mounts(&compose, "prometheus");
    assert_eq!(
        target_of(&prometheus, "./dashboards/prometheus.yml"),
        "/etc/prometheus/prometheus.yml"
    );
    let config = yaml("dashboards/prometheus.yml");
    for rules in config["rule_files"].as_sequence().unwrap() {
        let source = format!("./dashboards/{}", str_of(rules));
        assert_eq!(
            target_of(&prometheus, &source),
            format!("/etc/prometheus/{}", str_of(rules)),
            "rule files sit beside the config in the container"
        );
    }
    let job = &config["scrape_configs"][0];
    assert_eq!(job["metrics_path"], "/metrics");
    assert_eq!(job["static_configs"][0]["targets"][0], "dxs:8080");

    // No token ships: the admin token defaults to empty (the demo prints a random one), the
    // metrics token must be set, and Prometheus scrapes with it from a compose secret.
    let text = std::fs::read_to_string(repo_path("docker-compose.yml")).unwrap();
    assert!(!text.contains("change-me"));
    assert_eq!(
        dxs["environment"]["DXS_ADMIN_TOKEN"],
        "${DXS_ADMIN_TOKEN:-}"
    );
    assert_eq!(
        dxs["environment"]["DXS_METRICS__TOKEN_ENV"],
        "DXS_METRICS_TOKEN"
    );
    assert!(str_of(&dxs["environment"]["DXS_METRICS_TOKEN"]).starts_with("${DXS_METRICS_TOKEN:?"));
    assert_eq!(
        compose["secrets"]["dxs_metrics_token"]["environment"],
        "DXS_METRICS_TOKEN"
    );
    assert_eq!(
        compose["services"]["prometheus"]["secrets"][0],
        "dxs_metrics_token"
    );
    assert_eq!(
        job["authorization"]["credentials_file"],
        "/run/secrets/dxs_metrics_token"
    );

    let grafana = bind_mounts(&compose, "grafana");
    assert_eq!(
        target_of(&grafana, "./dashboards/provisioning"),
        "/etc/grafana/provisioning"
    );
    let dashboards_dir = target_of(&grafana, "./dashboards");
    let provider = yaml("dashboards/provisioning/dashboards/dxs.yml");
    assert_eq!(
        str_of(&provider["providers"][0]["options"]["path"]),
        dashboards_dir,
        "Grafana loads the dashboards where compose mounts them"
    );
    let home = str_of(
        &compose["services"]["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"],
    );
    let home_file = home.strip_prefix(&format!("{dashboards_dir}/")).unwrap();
    assert!(repo_path("dashboards").join(home_file).exists(), "{home}");
    let datasources = yaml("dashboards/provisioning/datasources/prometheus.yml");
    assert_eq!(datasources["datasources"][0]["type"], "prometheus");
    assert_eq!(
        datasources["datasources"][0]["url"],
        "http://prometheus:9090"
    );
}

#[test]
fn the_dockerfile_builds_in_stages_and_runs_as_a_non_root_user() {
    let text = std::fs::read_to_string(repo_path("Dockerfile")).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let stages = lines.iter().filter(|l| l.starts_with("FROM ")).count();
    assert!(stages >= 2, "multi-stage: {stages} stage(s)");
    let last_from = lines.iter().rposition(|l| l.starts_with("FROM ")).unwrap();
    let user = lines[last_from..]
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("the final stage sets USER");
    let uid: u32 = user
        .split(':')
        .next()
        .unwrap()
        .parse()
        .expect("numeric uid");
    assert_ne!(uid, 0, "not root");
    for line in &lines {
        if let Some(args) = line.strip_prefix("COPY ") {
            if args.contains("--from=") {
                continue;
            }
            let words: Vec<&str> = args
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            for source in &words[..words.len() - 1] {
                assert!(repo_path(source).exists(), "COPY {source}: no such path");
            }
        }
    }
    assert!(lines.contains(&r#"ENTRYPOINT ["dxs"]"#));
    let ignore = std::fs::read_to_string(repo_path(".dockerignore")).unwrap();
    assert!(
        ignore.lines().any(|l| l == "target"),
        "target/ is not sent to Docker"
    );
}

#[test]
fn the_kustomization_deploys_dxs_with_probes_and_one_copy_of_each_dashboard() {
    let kustomization = yaml("deploy/kubernetes/kustomization.yaml");
    let mut kinds = BTreeSet::new();
    for resource in kustomization["resources"].as_sequence().unwrap() {
        let path = repo_path("deploy/kubernetes").join(str_of(resource));
        assert!(path.exists(), "resource {resource:?} does not exist");
        if path.is_file() {
            let doc: Value =
                serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            kinds.insert(str_of(&doc["kind"]).to_string());
        } else {
            assert!(path.join("kustomization.yaml").exists(), "{path:?}");
        }
    }
    assert_eq!(
        kinds,
        BTreeSet::from(
            [
                "ClusterRole",
                "ClusterRoleBinding",
                "Deployment",
                "Namespace",
                "Service",
                "ServiceAccount",
                "ServiceMonitor"
            ]
            .map(String::from)
        )
    );
    // The kubernetes collector may list namespaces, and nothing else, as the pod's account.
    let role = yaml("deploy/kubernetes/clusterrole.yaml");
    assert_eq!(role["rules"].as_sequence().unwrap().len(), 1);
    assert_eq!(role["rules"][0]["resources"][0], "namespaces");
    let verbs: Vec<&str> = role["rules"][0]["verbs"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(str_of)
        .collect();
    assert_eq!(verbs, ["get", "list"]);
    let binding = yaml("deploy/kubernetes/clusterrolebinding.yaml");
    assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
    let account = yaml("deploy/kubernetes/serviceaccount.yaml");
    assert_eq!(binding["subjects"][0]["name"], account["metadata"]["name"]);
    // The platform team's own dashboard, under the ConfigMap name their Grafana knows.
    let platform = generator_entry("platform-metrics-dashboard");
    assert_eq!(platform["files"][0], "platform-metrics.json");

    // The dashboards: generated from dashboards/*.json, each once, labelled for the sidecar.
    let generator = yaml("dashboards/kustomization.yaml");
    assert_eq!(
        generator["generatorOptions"]["labels"]["grafana_dashboard"],
        "1"
    );
    let mut files: Vec<String> = Vec::new();
    for map in generator["configMapGenerator"].as_sequence().unwrap() {
        for file in map["files"].as_sequence().unwrap() {
            files.push(str_of(file).to_string());
        }
    }
    files.sort();
    let json: Vec<String> = dashboards().into_iter().map(|(name, _)| name).collect();
    assert_eq!(files, json);

    let deployment = yaml("deploy/kubernetes/deployment.yaml");
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], account["metadata"]["name"]);
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_ne!(pod["securityContext"]["runAsUser"], 0);
    let container = &pod["containers"][0];
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(
        container["securityContext"]["allowPrivilegeEscalation"],
        false
    );
    assert_eq!(container["ports"][0]["name"], "http");

    let service = yaml("deploy/kubernetes/service.yaml");
    let monitor = yaml("deploy/kubernetes/servicemonitor.yaml");
    assert_eq!(
        monitor["spec"]["selector"]["matchLabels"],
        service["metadata"]["labels"]
    );
    assert_eq!(
        monitor["spec"]["endpoints"][0]["port"],
        service["spec"]["ports"][0]["name"]
    );
    assert_eq!(monitor["spec"]["endpoints"][0]["path"], "/metrics");
    let credentials = &monitor["spec"]["endpoints"][0]["authorization"]["credentials"];
    assert_eq!(
        credentials["key"], "metrics-token",
        "the scrape sends the metrics token"
    );
    let env = container["env"].as_sequence().unwrap();
    let from_secret = |name: &str| {
        env.iter()
            .find(|e| e["name"] == name)
            .map(|e| e["valueFrom"]["secretKeyRef"]["key"].clone())
    };
    assert_eq!(
        from_secret("DXS_METRICS_TOKEN"),
        Some(credentials["key"].clone())
    );
    assert_eq!(from_secret("DXS_ADMIN_TOKEN").unwrap(), "admin-token");
    assert!(env.iter().all(|e| e
        .get("value")
        .is_none_or(|v| !str_of(v).contains("change-me"))));
    assert_eq!(
        service["spec"]["selector"],
        deployment["spec"]["template"]["metadata"]["labels"]
    );
}

/// The `configMapGenerator` entry of `dashboards/kustomization.yaml` named `name`.
fn generator_entry(name: &str) -> Value {
    yaml("dashboards/kustomization.yaml")["configMapGenerator"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no ConfigMap {name}"))
        .clone()
}
