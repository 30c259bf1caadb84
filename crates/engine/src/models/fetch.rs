//! Downloading and checking model files: resumable (HTTP `Range`) transfers
//! into `<file>.part`, sha256 checks against the manifest, the unpinned
//! policy (refuse unless allowed, then record the hash seen), progress.

use super::manifest::{ModelEntry, ModelFile};
use crate::{Error, Result};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
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
    /// Present and its sha256 matches the manifest's pinned one.
    Verified,
    /// Present; the manifest's hash is `"unpinned"`, so it cannot be
    /// verified. `recorded`: its hash matches the one recorded when it was
    /// first downloaded with `--allow-unpinned` (a later change is caught).
    Unpinned {
        /// The file's sha256.
        sha256: String,
        /// Whether a hash was recorded for it (and matches).
        recorded: bool,
    },
    /// Not on disk.
    Missing,
    /// Present but its size or hash differs from the manifest or from the
    /// hash recorded at its first download.
    Mismatch(String),
}

impl FileStatus {
    /// Whether the file can be used: verified, or unpinned but accepted once
    /// (and unchanged since).
    pub fn is_ok(&self) -> bool {
        matches!(
            self,
            FileStatus::Verified | FileStatus::Unpinned { recorded: true, .. }
        )
    }

    /// A short phrase for listings. An unpinned file is never "verified".
    pub fn label(&self) -> String {
        match self {
            FileStatus::Verified => "verified".into(),
            FileStatus::Unpinned {
                sha256,
                recorded: true,
            } => format!(
                "unpinned, not verified (sha256 {}… unchanged since its first download)",
                &sha256[..12.min(sha256.len())]
            ),
            FileStatus::Unpinned {
                recorded: false, ..
            } => "unpinned, not verified (no hash recorded for it)".into(),
            FileStatus::Missing => "missing".into(),
            FileStatus::Mismatch(why) => format!("MISMATCH: {why}"),
        }
    }
}

/// What a fetch accepts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Download files whose manifest hash is `"unpinned"`, recording the
    /// hash seen (`--allow-unpinned`).
    pub allow_unpinned: bool,
}

/// The file next to a model's files that records the sha256 of each unpinned
/// file at its first download.
pub const SEEN_FILE: &str = ".seen-sha256.json";

/// One recorded hash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SeenFile {
    /// Lowercase hex sha256.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// The hashes recorded for a model folder, by file path.
pub fn read_seen(dir: &Path) -> BTreeMap<String, SeenFile> {
    fs::read_to_string(dir.join(SEEN_FILE))
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

fn record_seen(dir: &Path, path: &str, sha256: &str, size: u64) -> Result<()> {
    let mut seen = read_seen(dir);
    seen.insert(
        path.to_string(),
        SeenFile {
            sha256: sha256.to_string(),
            size,
        },
    );
    let json = serde_json::to_string_pretty(&seen)
        .map_err(|e| Error::Bug(format!("serialise recorded hashes: {e}")))?;
    let target = dir.join(SEEN_FILE);
    fs::write(&target, json).map_err(|e| Error::io(format!("write {}", target.display()), e))
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

/// Checks one file on disk against its manifest record and, for an
/// unpinned file, against the hash recorded at its first download.
pub fn check_file(path: &Path, spec: &ModelFile, seen: Option<&SeenFile>) -> Result<FileStatus> {
    if !path.is_file() {
        return Ok(FileStatus::Missing);
    }
    let (hash, size) = sha256_file(path)?;
    if let Some(want) = spec.pinned_size().filter(|&w| w != size) {
        return Ok(FileStatus::Mismatch(format!(
            "size {size} bytes, the manifest says {want}"
        )));
    }
    if let Some(want) = spec.pinned_sha256() {
        return Ok(if hash.eq_ignore_ascii_case(want) {
            FileStatus::Verified
        } else {
            FileStatus::Mismatch(format!("sha256 {hash}, the manifest says {want}"))
        });
    }
    match seen {
        Some(s) if !s.sha256.eq_ignore_ascii_case(&hash) => Ok(FileStatus::Mismatch(format!(
            "sha256 {hash} differs from {} recorded at its first download: the file changed",
            s.sha256
        ))),
        Some(_) => Ok(FileStatus::Unpinned {
            sha256: hash,
            recorded: true,
        }),
        None => Ok(FileStatus::Unpinned {
            sha256: hash,
            recorded: false,
        }),
    }
}

/// Checks every file of a model (the default ones, plus any other present).
pub fn verify_model(entry: &ModelEntry, dir: &Path) -> Result<Vec<(String, FileStatus)>> {
    let seen = read_seen(dir);
    let mut out = Vec::new();
    for f in &entry.files {
        let path = dir.join(&f.path);
        if f.default || path.is_file() {
            out.push((f.path.clone(), check_file(&path, f, seen.get(&f.path))?));
        }
    }
    Ok(out)
}

/// Downloads `files` of `entry` from `base_url` into `dir`, skipping files
/// already present and sound. Refuses, before downloading anything, files
/// the manifest calls `"unpinned"` unless `policy` allows them; an allowed
/// one has its hash recorded in [`SEEN_FILE`]. A download whose bytes do not
/// match is removed and reported. Returns each file's final status.
pub fn fetch_model(
    entry: &ModelEntry,
    files: &[&ModelFile],
    base_url: &str,
    dir: &Path,
    policy: FetchPolicy,
    progress: &mut dyn FnMut(&FetchProgress),
) -> Result<Vec<(String, FileStatus)>> {
    let seen = read_seen(dir);
    let mut before = Vec::new();
    for spec in files {
        before.push(check_file(
            &dir.join(&spec.path),
            spec,
            seen.get(&spec.path),
        )?);
    }
    if !policy.allow_unpinned {
        let refused: Vec<&str> = files
            .iter()
            .zip(&before)
            .filter(|(spec, status)| spec.pinned_sha256().is_none() && !status.is_ok())
            .map(|(spec, _)| spec.path.as_str())
            .collect();
        if !refused.is_empty() {
            return Err(Error::Model(format!(
                "{}: the manifest has no confirmed sha256 for {} (\"unpinned\"), so the \
                 download could not be verified; nothing was downloaded. Pass \
                 --allow-unpinned to accept it anyway: the hash seen is then recorded in {} \
                 so a later change is caught",
                entry.name,
                refused.join(", "),
                dir.join(SEEN_FILE).display()
            )));
        }
    }
    let mut out = Vec::new();
    for (spec, status) in files.iter().zip(before) {
        let dest = dir.join(&spec.path);
        if status.is_ok() {
            out.push((spec.path.clone(), status));
            continue;
        }
        if let FileStatus::Unpinned {
            sha256,
            recorded: false,
        } = &status
        {
            // Present but never recorded (copied in by hand): accepted as
            // is, since unpinned files are allowed, and recorded from now.
            let size = fs::metadata(&dest).map(|m| m.len()).unwrap_or(0);
            record_seen(dir, &spec.path, sha256, size)?;
            out.push((
                spec.path.clone(),
                FileStatus::Unpinned {
                    sha256: sha256.clone(),
                    recorded: true,
                },
            ));
            continue;
        }
        if let FileStatus::Mismatch(why) = &status {
            tracing::warn!(target: "models::fetch", file = %dest.display(), why = %why, "replacing a file that does not match");
        }
        let url = entry.url(base_url, spec);
        let mut report = |done: u64, total: Option<u64>| {
            progress(&FetchProgress {
                model: entry.name.clone(),
                file: spec.path.clone(),
                done,
                total: total.or(spec.pinned_size()),
            })
        };
        download(&url, &dest, &mut report)?;
        // Checked against the manifest and, for an unpinned file, against
        // the hash recorded at its first download: an upstream change since
        // is refused like any other mismatch.
        match check_file(&dest, spec, seen.get(&spec.path))? {
            FileStatus::Mismatch(why) => {
                let _ = fs::remove_file(&dest);
                return Err(Error::Model(format!(
                    "{}/{} from {url} does not match the manifest: {why}. The download was \
                     removed; the model is not installed",
                    entry.name, spec.path
                )));
            }
            FileStatus::Unpinned { sha256, .. } => {
                let size = fs::metadata(&dest).map(|m| m.len()).unwrap_or(0);
                record_seen(dir, &spec.path, &sha256, size)?;
                tracing::warn!(target: "models::fetch", file = %spec.path, sha256 = %sha256, "unpinned file accepted; its hash is recorded");
                out.push((
                    spec.path.clone(),
                    FileStatus::Unpinned {
                        sha256,
                        recorded: true,
                    },
                ));
            }
            other => out.push((spec.path.clone(), other)),
        }
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

/// Whether `e` means no connection could be made (no DNS answer, refused,
/// no route), as opposed to a transfer that started and was cut.
fn unreachable(e: &ureq::Error) -> bool {
    use std::io::ErrorKind;
    match e {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            ErrorKind::ConnectionRefused
                | ErrorKind::NetworkUnreachable
                | ErrorKind::HostUnreachable
                | ErrorKind::AddrNotAvailable
        ),
        _ => false,
    }
}

/// `scheme://host[:port]` of a URL, for messages.
fn host_of(url: &str) -> &str {
    let rest = url.find("://").map_or(0, |i| i + 3);
    url[rest..].find('/').map_or(url, |i| &url[..rest + i])
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
        // No connection at all: retrying at once cannot help, and five
        // "transfer cut, resuming" warnings would say the wrong thing.
        Err(e) if unreachable(&e) => {
            return Err(Transfer::Fatal(Error::Model(format!(
                "cannot reach {} ({e}): you seem to be offline, or the server is down; try again once connected",
                host_of(url)
            ))))
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
