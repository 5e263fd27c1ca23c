//! dxs integration tests: one binary, one module per area.

mod browser;
mod cli;
mod collectors;
mod collectors_bounds;
mod collectors_faults;
mod dashboards;
mod deploy;
mod helpers;
mod incidents;
mod kubernetes;
mod metrics;
mod metrics_fixture;
mod pipeline;
mod prometheus;
mod promtool;
mod report;
mod report_browser;
mod scenario;
mod scenario_json;
mod scoring;
mod store;
mod stub;
mod survey;
mod web;
mod webhooks;
