//! dxs integration tests: one binary, one module per area.

mod cli;
mod helpers;
mod scoring;
mod store;
mod web;
