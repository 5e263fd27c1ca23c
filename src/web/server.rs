//! The accept loop: HTTP/1.1 with a header read timeout and a body read timeout, at most
//! `max_connections` open connections (the next waits in the listen backlog) and at most
//! `per_address_connections` of one client address (the next is answered 429 and closed; a
//! trusted proxy, which carries many clients, is not capped), the peer address on every request,
//! and a graceful shutdown that lets requests in flight end. So slow clients of one address
//! can never take every connection from the others.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ConnectInfo;
use axum::Router;
use http_body::{Body, Frame};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::config::Cidr;

/// Limits of the connections themselves.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// A client must send a request's headers within this time, else the connection closes.
    pub header_read_timeout: Duration,
    /// A client must send a request's whole body within this time from its headers, else the
    /// request fails (400) and the connection closes.
    pub body_read_timeout: Duration,
    /// Open connections at most; the next one waits until one closes.
    pub max_connections: u32,
    /// Open connections of one client address at most (trusted proxies aside); the next one is
    /// answered 429 and closed at once.
    pub per_address_connections: u32,
}

impl Default for ServerLimits {
    /// 10 s to send the headers, 10 s more for the body, 1,024 connections, 256 per address
    /// (a quarter of them: a burst of webhooks from one orchestrator fits).
    fn default() -> Self {
        ServerLimits {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            per_address_connections: 256,
        }
    }
}

/// What a connection over the per-address cap gets before it is closed.
const TOO_MANY: &[u8] = b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\n\
    content-type: text/plain\r\ncontent-length: 39\r\nconnection: close\r\n\r\n\
    too many connections from this address\n";

/// Open connections per client address.
#[derive(Default)]
struct PerAddress(Mutex<HashMap<IpAddr, u32>>);

/// One open connection of an address, counted until dropped.
struct Counted(Arc<PerAddress>, IpAddr);

impl PerAddress {
    /// Counts a connection of `addr`, unless it has `max` open already.
    fn admit(self: &Arc<Self>, addr: IpAddr, max: u32) -> Option<Counted> {
        let mut open = self.0.lock().expect("connection count lock");
        let n = open.entry(addr).or_default();
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Counted(self.clone(), addr))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut open = self.0 .0.lock().expect("connection count lock");
        if let Some(n) = open.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.1);
            }
        }
    }
}

/// A request body that fails once its deadline has passed, however slowly it trickles in.
struct DeadlineBody {
    inner: Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl Body for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err("the request body was not sent in time".into())));
        }
        Pin::new(&mut self.inner).poll_frame(cx).map_err(Into::into)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Serves `router` on `listener` within `limits` (addresses of `trusted` proxies not capped
/// per address) until `shutdown`, then waits for every open connection to finish its request.
pub async fn run(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: ServerLimits,
    trusted: Vec<Cidr>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections as usize));
    let per_address = Arc::new(PerAddress::default());
    loop {
        let permit = tokio::select! {
            _ = shutdown.cancelled() => break,
            permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let counted = if trusted.iter().any(|c| c.contains(peer.ip())) {
            None
        } else {
            match per_address.admit(peer.ip(), limits.per_address_connections) {
                Some(counted) => Some(counted),
                None => {
                    tracing::warn!(client = %peer.ip(), "too many connections from one address: refused");
                    // A fresh socket's send buffer is empty: the answer goes out whole or not
                    // at all, and the connection closes either way.
                    let _ = stream.try_write(TOO_MANY);
                    continue;
                }
            }
        };
        let router = router.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let body_timeout = limits.body_read_timeout;
            let service = router.map_request(move |request: axum::http::Request<Incoming>| {
                let mut request = request.map(|inner| {
                    axum::body::Body::new(DeadlineBody {
                        inner,
                        deadline: Box::pin(tokio::time::sleep(body_timeout)),
                    })
                });
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(peer));
                request
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            let connection =
                builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
            tokio::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                }
                _ = shutdown.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    if let Err(e) = connection.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                }
            }
            drop(counted);
            drop(permit);
        });
    }
    // No new connection from here on (the port is closed), while those open finish.
    drop(listener);
    // Every connection holds a slot until it ends: all slots back means all requests done.
    let _all = slots
        .acquire_many(limits.max_connections)
        .await
        .expect("the semaphore is never closed");
    Ok(())
}
