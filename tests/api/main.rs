//! dxs integration tests: one binary, one module per area.

mod cli;
mod helpers;
mod metrics;
mod metrics_fixture;
mod store;
mod web;
