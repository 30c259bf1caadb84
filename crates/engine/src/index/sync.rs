//! Writing a prepared batch, and keeping tantivy in step with SQLite.
//!
//! Order matters for crash safety: (1) the catalog transaction writes files and
//! passages with `lexical_synced = 0`; (2) tantivy replaces those files'
//! documents and commits; (3) the catalog marks them synced. A crash after (1)
//! or (2) leaves unsynced rows that [`repair_lexical`] replays idempotently
//! (delete by file id, then add). Deletions go through `lexical_deletes` the
//! same way.
//!
//! A bulk run does (1) per batch but (2)–(3) about once a second
//! ([`write_batch`] then [`commit_written`]): each tantivy commit writes a
//! new segment (eight files) and starts merges, and committing every 64 small
//! files spent most of an index run creating and merging files.

use super::{Failure, IndexReport, Prepared};
use crate::catalog::FileWrite;
use crate::catalog::{Catalog, FileStatus, NewFile};
use crate::lexical::{FileFields, Lexical};
use crate::Result;

/// Writes one batch to the catalog (committed) and adds its documents to the
/// lexical index without committing it: returns the files that
/// [`commit_written`] must mark synced once tantivy has committed.
pub(crate) fn write_batch(
    catalog: &mut Catalog,
    lexical: &Lexical,
    root: &str,
    batch: Vec<Prepared>,
    report: &mut IndexReport,
) -> Result<Vec<i64>> {
    let mut paths = Vec::new();
    let mut writes = Vec::new();
    for p in &batch {
        match p {
            Prepared::Touched { id, mtime_ns } => {
                catalog.touch_file(*id, *mtime_ns)?;
                report.unchanged += 1;
            }
            Prepared::Write { found, .. } => paths.push(found.path.to_string_lossy().into_owned()),
        }
    }
    let mut i = 0;
    for p in &batch {
        if let Prepared::Write {
            found,
            kind,
            hash,
            status,
            reason,
            title,
            passages,
            pending_ocr,
        } = p
        {
            match status {
                FileStatus::Indexed => report.indexed += 1,
                FileStatus::Failed => report.failed += 1,
                FileStatus::Skipped => report.skipped += 1,
            }
            if let Some(r) = reason {
                report.failures.push(Failure {
                    path: paths[i].clone(),
                    reason: r.clone(),
                });
            }
            report.passages += passages.len() as u64;
            report.ocr_pending += pending_ocr.len() as u64;
            writes.push(FileWrite {
                file: NewFile {
                    path: &paths[i],
                    root,
                    kind: *kind,
                    size: found.size,
                    mtime_ns: found.mtime_ns,
                    hash: hash.as_deref(),
                    status: *status,
                    reason: reason.as_deref(),
                    title: title.as_deref(),
                },
                passages,
                pending_ocr,
            });
            i += 1;
        }
    }
    if writes.is_empty() {
        return Ok(Vec::new());
    }
    let ids = catalog.write_files(&writes)?;
    put_files(catalog, lexical, &ids, &[])?;
    Ok(ids)
}

/// Commits the lexical index and marks `ids` (written by [`write_batch`]) synced.
pub(crate) fn commit_written(catalog: &mut Catalog, lexical: &Lexical, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    lexical.commit()?;
    catalog.mark_lexical_synced(ids, &[])
}

/// Mirrors the given files (and deletions) into tantivy, commits, and marks
/// them synced.
pub(crate) fn sync_files(
    catalog: &mut Catalog,
    lexical: &Lexical,
    ids: &[i64],
    deletes: &[i64],
) -> Result<()> {
    put_files(catalog, lexical, ids, deletes)?;
    lexical.commit()?;
    catalog.mark_lexical_synced(ids, deletes)
}

/// Replaces the given files' documents (and applies deletions) in tantivy's
/// writer, uncommitted.
fn put_files(catalog: &Catalog, lexical: &Lexical, ids: &[i64], deletes: &[i64]) -> Result<()> {
    for &id in deletes {
        lexical.delete_file(id)?;
    }
    for &id in ids {
        let Some(file) = catalog.file_by_id(id)? else {
            lexical.delete_file(id)?;
            continue;
        };
        let passages = catalog.passages_of(id)?;
        lexical.put_file(
            &FileFields {
                file_id: id,
                path: &file.path,
                title: file.title.as_deref(),
                kind: file.kind,
                modified_s: file.mtime_ns / 1_000_000_000,
            },
            &passages,
        )?;
    }
    Ok(())
}

/// Replays whatever the catalog holds that tantivy may not: files written but
/// not marked synced, and deletions not yet applied. Returns how many files
/// were repaired.
pub(crate) fn repair_lexical(catalog: &mut Catalog, lexical: &Lexical) -> Result<usize> {
    let unsynced = catalog.unsynced_files()?;
    let deletes = catalog.pending_lexical_deletes()?;
    if unsynced.is_empty() && deletes.is_empty() {
        return Ok(0);
    }
    tracing::info!(target: "index::repair", files = unsynced.len(), deletes = deletes.len(), "repairing lexical index after an interrupted run");
    for chunk in unsynced.chunks(256) {
        sync_files(catalog, lexical, chunk, &[])?;
    }
    sync_files(catalog, lexical, &[], &deletes)?;
    Ok(unsynced.len() + deletes.len())
}

/// Deletes catalog files and their lexical documents.
pub(crate) fn delete_files(catalog: &mut Catalog, lexical: &Lexical, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    catalog.delete_files(ids)?;
    sync_files(catalog, lexical, &[], ids)
}
