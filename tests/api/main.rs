//! dxs integration tests: one binary, one module per area.

mod cli;
mod dashboards;
mod deploy;
mod helpers;
mod metrics;
mod metrics_fixture;
mod prometheus;
mod promtool;
mod store;
mod web;
