//! dxs measures developer experience on an Internal Developer Platform and serves one weighted
//! number, the Developer Experience Score (DXS), with the evidence behind it.
//!
//! Collectors write facts into the [`store`]; scoring reads facts and writes a score snapshot;
//! the outputs ([`web`], metrics, report) read the snapshot. `main.rs` only parses the command
//! line and calls into [`cli`].

pub mod app;
pub mod cli;
pub mod collectors;
pub mod config;
pub mod delivery;
pub mod demo;
pub mod glob;
pub mod metrics;
pub mod model;
pub mod names;
pub mod pipeline;
pub mod quarter;
pub mod report;
pub mod scoring;
pub mod seal;
pub mod secret;
pub mod store;
pub mod survey;
pub mod web;

/// Sets up `tracing` once: `RUST_LOG` style filter (default `dxs=info,tower_http=info`), to stderr.
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("dxs=info,tower_http=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
