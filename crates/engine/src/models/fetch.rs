//! Downloading and checking model files: resumable (HTTP `Range`) transfers
//! into `<file>.part`, sha256 checks, progress reporting.

use super::manifest::{ModelEntry, ModelFile};
use crate::{Error, Result};
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Transfer attempts per file; each one resumes where the last stopped.
pub const ATTEMPTS: usize = 5;

/// Progress of one file's download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchProgress {
    /// Model name.
    pub model: String,
    /// File path inside the model.
    pub file: String,
    /// Bytes on disk so far (including a resumed part).
    pub done: u64,
    /// Total bytes, when the server or the manifest says.
    pub total: Option<u64>,
}

/// What became of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// Present and its full sha256 matches the manifest.
    Verified,
    /// Present; only part of its hash is known, and that part matches.
    PartiallyVerified,
    /// Present, but the manifest knows no hash for it (size checked if known).
    UnknownHash,
    /// Not on disk.
    Missing,
    /// Present but its size or hash differs from the manifest.
    Mismatch(String),
}

impl FileStatus {
    /// Whether the file can be used.
    pub fn is_ok(&self) -> bool {
        matches!(
            self,
            FileStatus::Verified | FileStatus::PartiallyVerified | FileStatus::UnknownHash
        )
    }

    /// A short word for listings.
    pub fn label(&self) -> String {
        match self {
            FileStatus::Verified => "verified".into(),
            FileStatus::PartiallyVerified => "partially verified (full sha256 unknown)".into(),
            FileStatus::UnknownHash => "present, sha256 unknown".into(),
            FileStatus::Missing => "missing".into(),
            FileStatus::Mismatch(why) => format!("MISMATCH: {why}"),
        }
    }
}

/// Streams a file through sha256, returning lowercase hex and the size.
pub fn sha256_file(path: &Path) -> Result<(String, u64)> {
    let mut f = File::open(path).map_err(|e| Error::io(format!("open {}", path.display()), e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n_total = 0u64;
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| Error::io(format!("read {}", path.display()), e))?;
        if n == 0 {
            break;
        }
        n_total += n as u64;
        h.update(&buf[..n]);
    }
    let hex = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((hex, n_total))
}

/// Checks one file on disk against its manifest record.
pub fn check_file(path: &Path, spec: &ModelFile) -> Result<FileStatus> {
    if !path.is_file() {
        return Ok(FileStatus::Missing);
    }
    let (hash, size) = sha256_file(path)?;
    if let Some(want) = spec.size.filter(|&w| w != size) {
        return Ok(FileStatus::Mismatch(format!(
            "size {size}, expected {want}"
        )));
    }
    if let Some(want) = &spec.sha256 {
        return Ok(if hash.eq_ignore_ascii_case(want) {
            FileStatus::Verified
        } else {
            FileStatus::Mismatch(format!("sha256 {hash}, expected {want}"))
        });
    }
    let pre = spec.sha256_prefix.as_deref().unwrap_or("");
    let suf = spec.sha256_suffix.as_deref().unwrap_or("");
    if pre.is_empty() && suf.is_empty() {
        return Ok(FileStatus::UnknownHash);
    }
    Ok(if hash.starts_with(pre) && hash.ends_with(suf) {
        FileStatus::PartiallyVerified
    } else {
        FileStatus::Mismatch(format!("sha256 {hash}, expected {pre}…{suf}"))
    })
}

/// Checks every file of a model (the default ones, plus any other present).
pub fn verify_model(entry: &ModelEntry, dir: &Path) -> Result<Vec<(String, FileStatus)>> {
    let mut out = Vec::new();
    for f in &entry.files {
        let path = dir.join(&f.path);
        if f.default || path.is_file() {
            out.push((f.path.clone(), check_file(&path, f)?));
        }
    }
    Ok(out)
}

/// Downloads `files` of `entry` from `base_url` into `dir`, skipping files
/// already present and sound. Returns each file's final status.
pub fn fetch_model(
    entry: &ModelEntry,
    files: &[&ModelFile],
    base_url: &str,
    dir: &Path,
    progress: &mut dyn FnMut(&FetchProgress),
) -> Result<Vec<(String, FileStatus)>> {
    let mut out = Vec::new();
    for spec in files {
        let dest = dir.join(&spec.path);
        let status = check_file(&dest, spec)?;
        if status.is_ok() {
            out.push((spec.path.clone(), status));
            continue;
        }
        let url = entry.url(base_url, spec);
        let mut report = |done: u64, total: Option<u64>| {
            progress(&FetchProgress {
                model: entry.name.clone(),
                file: spec.path.clone(),
                done,
                total: total.or(spec.size),
            })
        };
        download(&url, &dest, &mut report)?;
        let status = check_file(&dest, spec)?;
        if let FileStatus::Mismatch(why) = &status {
            let _ = fs::remove_file(&dest);
            return Err(Error::Model(format!(
                "{url}: {why}; the download was removed"
            )));
        }
        out.push((spec.path.clone(), status));
    }
    Ok(out)
}

fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".part");
    dest.with_file_name(name)
}

/// Downloads `url` to `dest` through `dest.part`, resuming a previous part
/// with a `Range` request and retrying cut transfers.
pub fn download(url: &str, dest: &Path, progress: &mut dyn FnMut(u64, Option<u64>)) -> Result<()> {
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("create {}", parent.display()), e))?;
    }
    let part = part_path(dest);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut last_err = String::new();
    for attempt in 1..=ATTEMPTS {
        match transfer(&agent, url, &part, progress) {
            Ok(()) => {
                fs::rename(&part, dest)
                    .map_err(|e| Error::io(format!("rename {}", part.display()), e))?;
                return Ok(());
            }
            Err(Transfer::Fatal(e)) => return Err(e),
            Err(Transfer::Retry(msg)) => {
                tracing::warn!(target: "models::fetch", url, attempt, error = %msg, "transfer cut, resuming");
                last_err = msg;
                std::thread::sleep(Duration::from_millis(200 * attempt as u64));
            }
        }
    }
    Err(Error::Model(format!(
        "{url}: gave up after {ATTEMPTS} attempts: {last_err}"
    )))
}

enum Transfer {
    Retry(String),
    Fatal(Error),
}

fn transfer(
    agent: &ureq::Agent,
    url: &str,
    part: &Path,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> std::result::Result<(), Transfer> {
    let have = fs::metadata(part).map(|m| m.len()).unwrap_or(0);
    let mut req = agent.get(url).header("Accept-Encoding", "identity");
    if have > 0 {
        req = req.header("Range", format!("bytes={have}-"));
    }
    let resp = match req.call() {
        Ok(r) => r,
        Err(ureq::Error::StatusCode(416)) => {
            // The part already holds the whole file.
            return Ok(());
        }
        Err(ureq::Error::StatusCode(code)) if code < 500 && code != 429 => {
            return Err(Transfer::Fatal(Error::Model(format!("{url}: HTTP {code}"))))
        }
        Err(e) => return Err(Transfer::Retry(e.to_string())),
    };
    let resumed = resp.status().as_u16() == 206;
    let body_len = resp.body().content_length();
    let start = if resumed { have } else { 0 };
    let total = body_len.map(|n| n + start);
    let mut file = OpenOptions::new()
        .create(true)
        .write(true)
        .append(resumed)
        .truncate(!resumed)
        .open(part)
        .map_err(|e| Transfer::Fatal(Error::io(format!("open {}", part.display()), e)))?;
    let mut reader = resp.into_body().into_reader();
    let mut buf = vec![0u8; 1 << 16];
    let mut done = start;
    progress(done, total);
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                let _ = file.flush();
                return Err(Transfer::Retry(format!("cut after {done} bytes: {e}")));
            }
        };
        file.write_all(&buf[..n])
            .map_err(|e| Transfer::Fatal(Error::io(format!("write {}", part.display()), e)))?;
        done += n as u64;
        progress(done, total);
    }
    file.flush()
        .map_err(|e| Transfer::Fatal(Error::io(format!("write {}", part.display()), e)))?;
    match total {
        Some(t) if done < t => Err(Transfer::Retry(format!("short body: {done} of {t} bytes"))),
        _ => Ok(()),
    }
}
