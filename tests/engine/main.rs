//! Integration tests of the engine and the `crumb` command line, on real
//! files in temp folders, a real SQLite catalog, a real tantivy index and real
//! ONNX models. One binary, a module per area.

mod adversarial;
mod chunking;
mod cli;
mod common;
mod crash;
mod extract;
mod extract_legacy;
mod extract_support;
mod fetch;
mod hybrid;
mod indexing;
mod locations;
mod models;
mod ocr;
mod ocr_stage;
mod passages;
mod readers;
mod rerank;
mod resolution;
mod snapshots;
mod support;
mod typing;
mod vectors;
mod watch;
