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

use crate::catalog::FileStatus;
use crate::extract::ExtractError;

/// How a file that yielded no text is recorded: skipped when there is
/// nothing to read in it (a format Crumb does not read, no text), failed
/// when reading it went wrong. Both indexing stages record it so.
pub(crate) fn status_of(e: &ExtractError) -> FileStatus {
    match e {
        ExtractError::Unsupported(_) | ExtractError::NoText(_) => FileStatus::Skipped,
        _ => FileStatus::Failed,
    }
}
