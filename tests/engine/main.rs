//! Engine integration tests: one binary, a module per area.

mod fetch;
mod models;
mod support;
mod vectors;
