//! Crumb's search engine: crawl folders, extract text, chunk it into passages,
//! index them twice (tantivy BM25 and embeddings in SQLite), and answer queries
//! by fusing both and reranking with a cross-encoder.
//!
//! The engine knows nothing of any window: the `crumb` command line and the
//! Tauri app both drive it through [`Engine`].
#![deny(missing_docs)]

pub mod error;
pub mod extract;
pub mod kind;
pub mod models;
pub mod progress;
pub mod vectors;

pub use error::{Error, Result, WireError};
pub use kind::FileKind;
