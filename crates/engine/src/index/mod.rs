//! The indexing pipeline: crawl → skip unchanged → extract → chunk → write
//! (catalog, then lexical) → embed. Every batch is committed so that a crash at
//! any moment leaves a consistent index that the next run repairs and resumes.

mod changes;
mod embed;
mod prepare;
mod recognise;
mod report;
mod sync;

pub use prepare::{prepare_file, Prepared};
pub use recognise::RecogniseStep;
pub use report::{Failure, IndexReport};
pub(crate) use sync::{commit_written, delete_files, repair_lexical, write_batch};
