//! Integration tests of the engine, one module per area (one binary, fast to link).

mod adversarial;
mod extract;
mod extract_support;
