//! dxs integration tests: one binary, one module per area.

mod cli;
mod helpers;
mod report;
mod report_browser;
mod store;
mod web;
