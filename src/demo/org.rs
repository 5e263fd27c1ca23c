//! The demo organisation's structure: teams, developers and repositories, and the random
//! helpers the demo shares.

use chrono::{Days, NaiveDate};
use rand::Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::model::{Developer, Namespace, Repository, Team};
use crate::quarter::{midnight_utc, Quarter};
use crate::store::FactBatch;

/// Organisation name of the demo repositories.
pub const ORG: &str = "acme";

/// A demo team: its size and how mature its platform use is (0 = not at all, 1 = fully).
pub struct TeamProfile {
    /// Team name.
    pub name: &'static str,
    /// Developers in the team.
    pub developers: usize,
    /// Repositories the team owns.
    pub repositories: usize,
    /// Platform maturity at the start of the window; it grows a little every quarter.
    pub maturity: f64,
}

/// Six teams, 120 developers, 40 repositories (besides the checkout team's monorepo, config
/// repository and GitOps-deployed repository of `delivery`). `mobile` is smaller than the default
/// `min_group_size` allows for survey figures, so the hiding rule shows.
pub const TEAMS: [TeamProfile; 6] = [
    TeamProfile {
        name: "payments",
        developers: 30,
        repositories: 9,
        maturity: 0.80,
    },
    TeamProfile {
        name: "checkout",
        developers: 26,
        repositories: 8,
        maturity: 0.62,
    },
    TeamProfile {
        name: "search",
        developers: 22,
        repositories: 7,
        maturity: 0.55,
    },
    TeamProfile {
        name: "identity",
        developers: 20,
        repositories: 7,
        maturity: 0.42,
    },
    TeamProfile {
        name: "data-platform",
        developers: 16,
        repositories: 6,
        maturity: 0.28,
    },
    TeamProfile {
        name: "mobile",
        developers: 6,
        repositories: 3,
        maturity: 0.50,
    },
];

const FIRST_NAMES: [&str; 24] = [
    "ada", "ben", "chen", "dana", "emil", "fatima", "gus", "hana", "ivan", "jo", "kofi", "lena",
    "mateo", "nina", "omar", "priya", "quinn", "rosa", "sven", "tara", "uma", "victor", "wei",
    "yusuf",
];
const LAST_NAMES: [&str; 16] = [
    "ng", "berg", "costa", "diaz", "eriksen", "fox", "garcia", "holm", "ito", "jensen", "kim",
    "lopez", "meyer", "novak", "okafor", "park",
];
const REPO_NAMES: [&str; 10] = [
    "api", "web", "worker", "gateway", "events", "admin", "jobs", "sdk", "infra", "docs",
];

/// A demo developer.
pub struct DemoDeveloper {
    /// GitHub login.
    pub login: String,
    /// Index into [`TEAMS`].
    pub team: usize,
    /// First day at work.
    pub start: NaiveDate,
    /// Hours from the start (00:00 UTC) to the first commit.
    pub onboarding_hours: f64,
}

impl DemoDeveloper {
    /// When the developer's first commit lands (UNIX seconds): the start plus the onboarding.
    pub fn first_commit_at(&self) -> i64 {
        midnight_utc(self.start) + (self.onboarding_hours * 3600.0) as i64
    }
}

/// Namespaces of the cluster itself, without a team.
const SYSTEM_NAMESPACES: [&str; 4] = ["kube-system", "argocd", "monitoring", "ingress-nginx"];

/// A demo repository.
pub struct DemoRepo {
    /// `acme/name`.
    pub slug: String,
    /// Index into [`TEAMS`].
    pub team: usize,
    /// From this UNIX time on, the repository deploys through ArgoCD (the platform);
    /// before it, through GitHub deployments. `None`: never on the platform.
    pub platform_since: Option<i64>,
}

/// The demo organisation.
pub struct Org {
    /// Developers, team by team.
    pub developers: Vec<DemoDeveloper>,
    /// Repositories, team by team.
    pub repos: Vec<DemoRepo>,
    /// First day of the simulated window (start of the quarter three before today's).
    pub window_start: NaiveDate,
}

impl Org {
    /// Builds the organisation for `seed`, with a window of the four quarters up to `today`.
    pub fn generate(seed: u64, today: NaiveDate) -> Org {
        let mut rng = seeded(seed, 0);
        let window_start = Quarter::containing(today).last_four()[0].first_day();
        let window_days = (today - window_start).num_days().max(1) as u64;
        let mut developers = Vec::new();
        let mut taken = std::collections::BTreeSet::new();
        for (team, profile) in TEAMS.iter().enumerate() {
            for _ in 0..profile.developers {
                let login = unique_login(&mut rng, &mut taken);
                // Most developers were there before the window; about one in five joined in it.
                let start = if rng.random_bool(0.2) {
                    window_start + Days::new(rng.random_range(0..window_days))
                } else {
                    window_start - Days::new(rng.random_range(30..2000))
                };
                let median_hours = 20.0 + 140.0 * (1.0 - profile.maturity);
                let onboarding_hours = lognormal(&mut rng, median_hours, 0.7).min(24.0 * 60.0);
                developers.push(DemoDeveloper {
                    login,
                    team,
                    start,
                    onboarding_hours,
                });
            }
        }
        let mut repos = Vec::new();
        for (team, profile) in TEAMS.iter().enumerate() {
            for i in 0..profile.repositories {
                let slug = format!(
                    "{ORG}/{}-{}",
                    profile.name,
                    REPO_NAMES[i % REPO_NAMES.len()]
                );
                // Mature teams moved most repositories to the platform, some during the window.
                let platform_since = if rng.random_bool(0.35 + 0.6 * profile.maturity) {
                    let offset = rng.random_range(0..window_days * 2) as i64 - window_days as i64;
                    Some(midnight_utc(window_start) + offset.max(-1) * 86_400)
                } else {
                    None
                };
                repos.push(DemoRepo {
                    slug,
                    team,
                    platform_since,
                });
            }
        }
        Org {
            developers,
            repos,
            window_start,
        }
    }

    /// Repositories of team `team`, as indices into `repos`.
    pub fn repos_of(&self, team: usize) -> Vec<usize> {
        (0..self.repos.len())
            .filter(|&i| self.repos[i].team == team)
            .collect()
    }

    /// The team's maturity on `day`: its starting maturity plus 0.06 a quarter.
    pub fn maturity(&self, team: usize, day: NaiveDate) -> f64 {
        let quarters = (day - self.window_start).num_days() as f64 / 91.0;
        (TEAMS[team].maturity + 0.06 * quarters).clamp(0.0, 1.0)
    }

    /// Adds teams, roster, repositories (with their last push) and the cluster's namespaces as
    /// of `today` to `facts`.
    pub fn write_into(&self, facts: &mut FactBatch, last_push: &[Option<i64>], today: NaiveDate) {
        facts.teams.extend(TEAMS.iter().map(|t| Team {
            name: t.name.into(),
            source: "demo".into(),
        }));
        facts
            .developers
            .extend(self.developers.iter().map(|d| Developer {
                login: d.login.clone(),
                team: TEAMS[d.team].name.into(),
                start_at: midnight_utc(d.start),
                email: Some(format!("{}@{ORG}.example", d.login)),
            }));
        facts
            .repositories
            .extend(
                self.repos
                    .iter()
                    .zip(last_push)
                    .map(|(r, pushed_at)| Repository {
                        slug: r.slug.clone(),
                        team: Some(TEAMS[r.team].name.into()),
                        team_source: Some("catalog".into()),
                        archived: false,
                        pushed_at: *pushed_at,
                        ..Default::default()
                    }),
            );
        facts.namespaces.extend(self.namespaces(today));
    }

    /// One namespace per repository, labelled with its team and managed once the repository is
    /// on the platform, plus the cluster's own namespaces, which carry no team label.
    fn namespaces(&self, today: NaiveDate) -> Vec<Namespace> {
        let today = midnight_utc(today);
        let created = midnight_utc(self.window_start) - 400 * 86_400;
        let services = self.repos.iter().map(|r| Namespace {
            name: r.slug.rsplit('/').next().unwrap_or(&r.slug).to_string(),
            team: Some(TEAMS[r.team].name.into()),
            managed: r.platform_since.is_some_and(|since| since < today),
            created_at: created,
            deleted_at: None,
        });
        let system = SYSTEM_NAMESPACES.iter().map(|name| Namespace {
            name: name.to_string(),
            team: None,
            managed: false,
            created_at: created,
            deleted_at: None,
        });
        services.chain(system).collect()
    }
}

fn unique_login(rng: &mut ChaCha8Rng, taken: &mut std::collections::BTreeSet<String>) -> String {
    let base = format!(
        "{}-{}",
        FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())],
        LAST_NAMES[rng.random_range(0..LAST_NAMES.len())]
    );
    let mut login = base.clone();
    let mut n = 2;
    while !taken.insert(login.clone()) {
        login = format!("{base}{n}");
        n += 1;
    }
    login
}

/// A generator for `seed`; each part of the demo draws from its own `stream`, so a change in
/// one part leaves the others as they were.
pub fn seeded(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// A standard normal draw (Box–Muller).
pub fn normal(rng: &mut ChaCha8Rng, mean: f64, sd: f64) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    mean + sd * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A log-normal draw with the given median: skewed to the right, as waiting times are.
pub fn lognormal(rng: &mut ChaCha8Rng, median: f64, sigma: f64) -> f64 {
    median * normal(rng, 0.0, sigma).exp()
}

/// `bytes` random bytes as lowercase hex (SHAs, ids, tokens).
pub fn hex_id(rng: &mut ChaCha8Rng, bytes: usize) -> String {
    let raw: Vec<u8> = (0..bytes).map(|_| rng.random::<u8>()).collect();
    hex::encode(raw)
}
