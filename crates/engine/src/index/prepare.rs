//! One file from disk to passages: read, hash, extract, chunk. Pure work with
//! no writes, so batches can be prepared in parallel.

use crate::catalog::{FileRecord, FileStatus};
use crate::chunk::{chunk, Passage};
use crate::crawl::FoundFile;
use crate::extract::{ExtractError, Extractors, Sandbox, Source};
use crate::kind::FileKind;
use crate::options::EngineOptions;
use std::io::Read;

/// The outcome for one file.
#[derive(Debug)]
pub enum Prepared {
    /// Same content as the catalog already holds: only the mtime moved.
    Touched {
        /// Catalog id.
        id: i64,
        /// New mtime.
        mtime_ns: i64,
    },
    /// Ready to write.
    Write {
        /// What the crawl saw.
        found: FoundFile,
        /// Kind.
        kind: FileKind,
        /// Content hash, when read.
        hash: Option<String>,
        /// Outcome.
        status: FileStatus,
        /// Reason for failure or skip.
        reason: Option<String>,
        /// Title.
        title: Option<String>,
        /// Passages.
        passages: Vec<Passage>,
        /// Pages left for the second stage (text recognition).
        pending_ocr: Vec<u32>,
    },
}

/// Reads and processes one file. Never fails: problems become a failed or
/// skipped outcome with a reason.
pub fn prepare_file(
    found: FoundFile,
    previous: Option<&FileRecord>,
    extractors: &Extractors,
    sandbox: &Sandbox,
    opts: &EngineOptions,
) -> Prepared {
    let kind = FileKind::from_path(&found.path);
    let outcome = |status, reason: String, hash| Prepared::Write {
        found: found.clone(),
        kind,
        hash,
        status,
        reason: Some(reason),
        title: None,
        passages: Vec::new(),
        pending_ocr: Vec::new(),
    };
    if found.size > opts.crawl.max_file_bytes {
        return outcome(
            FileStatus::Skipped,
            format!(
                "larger than the {} MiB limit ({} MiB)",
                opts.crawl.max_file_bytes >> 20,
                found.size >> 20
            ),
            None,
        );
    }
    if extractors.for_kind(kind).is_none() {
        let ext = found
            .path
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_else(|| "no extension".into());
        return outcome(
            FileStatus::Skipped,
            format!("unsupported format ({ext})"),
            None,
        );
    }
    let bytes = match read_capped(&found.path, opts.crawl.max_file_bytes) {
        Ok(b) => b,
        Err(e) => return outcome(FileStatus::Failed, format!("cannot read file: {e}"), None),
    };
    let hash = blake3::hash(&bytes).to_hex().to_string();
    if let Some(prev) = previous {
        if prev.hash.as_deref() == Some(hash.as_str()) && prev.kind == kind {
            return Prepared::Touched {
                id: prev.id,
                mtime_ns: found.mtime_ns,
            };
        }
    }
    let name = found
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let _span =
        tracing::debug_span!(target: "index::extract", "extract", path = %found.path.display())
            .entered();
    match sandbox.extract(Source::Bytes(&bytes), kind, &name, &opts.limits) {
        Ok(doc) if doc.is_empty() && doc.pending_ocr.is_empty() => outcome(
            FileStatus::Skipped,
            ExtractError::NoText("the document contains no text".into()).to_string(),
            Some(hash),
        ),
        Ok(doc) => {
            let passages = chunk(&doc, &opts.chunk);
            Prepared::Write {
                found,
                kind,
                hash: Some(hash),
                status: FileStatus::Indexed,
                reason: None,
                title: doc.title.clone(),
                passages,
                pending_ocr: doc.pending_ocr,
            }
        }
        Err(e) => {
            tracing::info!(target: "index::extract", path = %found.path.display(), reason = %e, "not indexed");
            outcome(super::status_of(&e), e.to_string(), Some(hash))
        }
    }
}

fn read_capped(path: &std::path::Path, cap: u64) -> std::io::Result<Vec<u8>> {
    let f = std::fs::File::open(path)?;
    let mut buf = Vec::new();
    f.take(cap + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(std::io::Error::other(
            "file grew past the size limit while reading",
        ));
    }
    Ok(buf)
}
