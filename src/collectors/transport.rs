//! One try of one request on the wire (a GET, or the POST of GitHub's GraphQL API): a plain source's bearer token on the shared reqwest client,
//! or GitHub's request signed by octocrab ([`GithubClient`]); and a body read chunk by chunk
//! under a cap. No retry, wait or ETag logic lives here: that is [`super::http`]'s one policy,
//! which calls [`send`] once per try whatever the source.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::BodyExt;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_LENGTH, IF_NONE_MATCH, USER_AGENT};
use reqwest::StatusCode;

use super::github_client::{GetError, GithubAuthError, GithubClient};
use crate::config::Secret;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Who a session is to its upstream.
#[derive(Clone)]
pub enum Credentials {
    /// `Authorization: Bearer` with this token (none: anonymous).
    Bearer(Option<Secret>),
    /// GitHub through octocrab: a token or an app installation.
    Github(Arc<GithubClient>),
}

/// An answer whose body is not read yet.
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    body: UnsyncBoxBody<Bytes, BoxError>,
}

/// Why a try got no answer.
pub enum SendError {
    /// Connection, TLS or timeout: worth another try.
    Unreachable(String),
    /// GitHub credentials could not be had (a key or an installation refused): no try will
    /// do better.
    Auth(GithubAuthError),
}

/// Why a body was not read whole.
pub enum ReadError {
    /// It is larger than the cap (announced, or found while reading).
    TooLarge,
    /// The connection failed while reading.
    Failed(String),
}

/// Sends one GET of `url` with `If-None-Match: etag` when given, or a POST of the JSON `body`.
pub async fn send(
    client: &reqwest::Client,
    credentials: &Credentials,
    url: &str,
    etag: Option<&str>,
    body: Option<&serde_json::Value>,
) -> Result<Answer, SendError> {
    let mut headers = HeaderMap::new();
    if let Some(etag) = etag.and_then(|e| HeaderValue::from_str(e).ok()) {
        headers.insert(IF_NONE_MATCH, etag);
    }
    match credentials {
        Credentials::Bearer(token) => {
            let request = match body {
                Some(body) => client.post(url).json(body),
                None => client.get(url),
            };
            let mut request = request
                .headers(headers)
                .header(ACCEPT, "application/json")
                .header(USER_AGENT, concat!("dxs/", env!("CARGO_PKG_VERSION")));
            if let Some(token) = token {
                request = request.bearer_auth(token.expose());
            }
            let response = request
                .send()
                .await
                .map_err(|e| SendError::Unreachable(e.to_string()))?;
            Ok(Answer::new(http::Response::from(response)))
        }
        Credentials::Github(github) => match github.send(url, headers, body).await {
            Ok(response) => Ok(Answer::new(response)),
            // The installation or its token could not be asked for (5xx, connection, timeout):
            // another try of this request asks again, under the same policy.
            Err(GetError::Auth(e @ GithubAuthError::Unreachable(_))) => {
                Err(SendError::Unreachable(e.to_string()))
            }
            Err(GetError::Auth(e)) => Err(SendError::Auth(e)),
            Err(GetError::Send(reason)) => Err(SendError::Unreachable(reason)),
        },
    }
}

impl Answer {
    fn new<B>(response: http::Response<B>) -> Answer
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let (parts, body) = response.into_parts();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: body.map_err(Into::into).boxed_unsync(),
        }
    }

    /// The body, read chunk by chunk up to `max` bytes: a larger one is dropped unread past
    /// the cap, so it is never held whole.
    pub async fn read(mut self, max: u64) -> Result<Vec<u8>, ReadError> {
        let announced = self
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if announced.is_some_and(|n| n > max) {
            return Err(ReadError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(frame) = self.body.frame().await {
            let frame = frame.map_err(|e| ReadError::Failed(e.to_string()))?;
            if let Ok(chunk) = frame.into_data() {
                if (body.len() + chunk.len()) as u64 > max {
                    return Err(ReadError::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
        }
        Ok(body)
    }
}
