//! GitHub App authentication in the stub: it checks each app JWT (RS256 with the app's public
//! key, `iss` = app id, `exp` at most 10 minutes ahead), finds the installation of an org, and
//! issues installation tokens that expire after `token_life`; every other GitHub request must
//! carry an issued token that has not expired, else it is answered 401 like GitHub does.

use std::sync::Mutex;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use octocrab::jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::json;

/// The installation id the stub gives its org.
pub const INSTALLATION: u64 = 77;

/// The app the stub knows.
pub struct AppStub {
    /// The app id a JWT's `iss` must name.
    pub app_id: u64,
    /// The org the app is installed on.
    pub installed_on: String,
    /// How long an installation token lives.
    pub token_life: Duration,
    key: DecodingKey,
    /// Issued tokens and when each expires.
    issued: Mutex<Vec<(String, std::time::SystemTime)>>,
    /// Every JWT seen: `(iss, exp - now)` in seconds.
    jwts: Mutex<Vec<(u64, i64)>>,
}

#[derive(Deserialize)]
struct Claims {
    iss: serde_json::Value,
    exp: i64,
}

impl AppStub {
    /// The app `app_id` with the public key of `tests/fixtures/github/app-private-key.pem`.
    pub fn new(app_id: u64, installed_on: &str, token_life: Duration) -> AppStub {
        let pem = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/github/app-public-key.pem"
        ))
        .unwrap();
        AppStub {
            app_id,
            installed_on: installed_on.into(),
            token_life,
            key: DecodingKey::from_rsa_pem(&pem).unwrap(),
            issued: Mutex::default(),
            jwts: Mutex::default(),
        }
    }

    /// Installation tokens issued so far.
    pub fn tokens_issued(&self) -> usize {
        self.issued.lock().unwrap().len()
    }

    /// `(iss, seconds until exp)` of every valid JWT seen.
    pub fn jwts(&self) -> Vec<(u64, i64)> {
        self.jwts.lock().unwrap().clone()
    }

    /// Answers the app endpoints and refuses a GitHub request without a valid installation
    /// token; `None` lets the request through to its route.
    pub fn answer(&self, method: &Method, path: &str, headers: &HeaderMap) -> Option<Response> {
        let bearer = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let installation = format!("/gh/orgs/{}/installation", self.installed_on);
        let tokens = format!("/gh/app/installations/{INSTALLATION}/access_tokens");
        if path.starts_with("/gh/orgs/") && path.ends_with("/installation") {
            return Some(match self.check_jwt(bearer) {
                false => unauthorized(),
                true if path == installation => json_response(200, installation_json()),
                true => json_response(404, json!({"message": "Not Found"})),
            });
        }
        if path.starts_with("/gh/app/") {
            return Some(match (self.check_jwt(bearer), method, path == tokens) {
                (false, _, _) => unauthorized(),
                (true, &Method::POST, true) => json_response(201, self.issue()),
                _ => json_response(404, json!({"message": "Not Found"})),
            });
        }
        (path.starts_with("/gh/") && !self.valid_token(bearer)).then(unauthorized)
    }

    /// True when `token` was issued and has not expired.
    pub fn valid_token(&self, token: &str) -> bool {
        let now = std::time::SystemTime::now();
        self.issued
            .lock()
            .unwrap()
            .iter()
            .any(|(t, expires)| t == token && now < *expires)
    }

    fn check_jwt(&self, jwt: &str) -> bool {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp"]);
        let Ok(data) = decode::<Claims>(jwt, &self.key, &validation) else {
            return false;
        };
        let iss = match &data.claims.iss {
            serde_json::Value::Number(n) => n.as_u64(),
            serde_json::Value::String(s) => s.parse().ok(),
            _ => None,
        };
        let ahead = data.claims.exp - chrono::Utc::now().timestamp();
        let ok = iss == Some(self.app_id) && ahead <= 600;
        if ok {
            self.jwts.lock().unwrap().push((self.app_id, ahead));
        }
        ok
    }

    fn issue(&self) -> serde_json::Value {
        let mut issued = self.issued.lock().unwrap();
        let token = format!("ghs_stub{:04}", issued.len() + 1);
        // GitHub states expiry to the second; the stub enforces it to the second too.
        let expires_at = chrono::Utc::now().timestamp() + self.token_life.as_secs() as i64;
        let expires = std::time::UNIX_EPOCH + Duration::from_secs(expires_at as u64);
        issued.push((token.clone(), expires));
        let mut v = fixture("installation_token.json");
        v["token"] = json!(token);
        v["expires_at"] = json!(chrono::DateTime::from_timestamp(expires_at, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string());
        v
    }
}

fn fixture(name: &str) -> serde_json::Value {
    let path = format!(
        "{}/tests/fixtures/github/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn installation_json() -> serde_json::Value {
    let mut v = fixture("installation.json");
    v["id"] = json!(INSTALLATION);
    v
}

fn json_response(status: u16, body: serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn unauthorized() -> Response {
    json_response(
        401,
        json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}),
    )
}
