//! Crumb's search engine: crawl folders, extract text, chunk it into passages,
//! index them twice (tantivy BM25 and embeddings in SQLite), and answer queries
//! by fusing both and reranking with a cross-encoder.
//!
//! The engine knows nothing of any window: the `crumb` command line and the
//! Tauri app both drive it through [`Engine`].
//!
//! ```no_run
//! use crumb_engine::{Engine, EngineOptions, SearchRequest};
//! use crumb_engine::progress::{CancelFlag, NoProgress};
//!
//! let engine = Engine::open(EngineOptions::new("/tmp/crumb-data"))?;
//! engine.index(&["/home/me/Documents".into()], &NoProgress, &CancelFlag::new())?;
//! for hit in engine.search(&SearchRequest::new("tax return 2023"))? {
//!     println!("{} {}", hit.path, hit.location.display());
//! }
//! # Ok::<(), crumb_engine::Error>(())
//! ```
#![deny(missing_docs)]

pub mod catalog;
pub mod chunk;
pub mod crawl;
mod engine;
pub mod error;
pub mod extract;
pub mod folders;
pub mod index;
pub mod kind;
pub mod lexical;
pub mod models;
pub mod ocr;
pub mod options;
pub mod passage;
pub mod preview;
pub mod progress;
pub mod resources;
pub mod search;
mod status;
mod time;
pub mod vectors;
pub mod watch;

pub use engine::Engine;
pub use error::{Error, Result, WireError};
pub use index::IndexReport;
pub use kind::FileKind;
pub use options::{
    default_config_dir, default_data_dir, ChunkOptions, CrawlOptions, EngineOptions, ExtractMode,
};
pub use search::{Filters, Hit, Mode, ScoreDetails, SearchRequest};
pub use status::{KindCounts, ModelStatus, Status};
