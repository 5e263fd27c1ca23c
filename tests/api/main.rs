//! dxs integration tests: one binary, one module per area.

mod browser;
mod cli;
mod collectors;
mod collectors_faults;
mod helpers;
mod scenario;
mod scenario_json;
mod store;
mod stub;
mod survey;
mod web;
mod webhooks;
