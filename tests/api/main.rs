//! dxs integration tests: one binary, one module per area.

mod browser;
mod cli;
mod helpers;
mod store;
mod survey;
mod web;
