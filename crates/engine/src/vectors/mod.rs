//! Passage embeddings: stored in SQLite keyed by (passage, model), and loaded
//! into a compact in-memory [`VectorIndex`] for brute-force cosine search.
//!
//! Vectors are unit length (the embedder normalises them), so cosine is a dot
//! product.

mod index;
mod persist;
mod simd;
mod snapshot;
mod store;

pub use index::{Quantization, VectorIndex};
pub use snapshot::{trim_log, Refresh, VectorSnapshot, LOG_KEEP};

/// Where the engine keeps `model`'s snapshot copy under a data dir.
pub fn snapshot_path(data_dir: &std::path::Path, model: &str) -> std::path::PathBuf {
    persist::path_for(data_dir, model)
}
pub use store::{
    count_vectors, decode_vector, delete_vectors, encode_vector, ensure_schema, load_vector,
    missing_passages, store_vectors, VECTORS_SCHEMA,
};
