//! The child side of contained extraction: a long-lived worker process that
//! reads requests on stdin and answers each with one JSON line on stdout.
//!
//! A binary becomes a worker by calling [`serve`] when started with
//! [`WORKER_ARG`] (`crumb __extract-worker`). The parent side is
//! [`super::Sandbox`]. The worker caps its own address space
//! (`RLIMIT_AS`: [`MEMORY_ENV`] bytes more than it maps at start) so a
//! hostile file makes it fail an allocation and exit instead of exhausting
//! the machine; the parent kills it on timeout and starts a fresh one.

use super::{ExtractError, ExtractedDoc, Extractors, Limits};
use crate::kind::FileKind;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Read, Write};
use std::path::PathBuf;

/// The first argument that makes Crumb's binaries run [`serve`].
pub const WORKER_ARG: &str = "__extract-worker";
/// Environment variable with the worker's memory budget in bytes: how much
/// address space it may map beyond what it had at start.
pub const MEMORY_ENV: &str = "CRUMB_EXTRACT_MEMORY";
/// Every response line starts with this, so stray output from a library is
/// never mistaken for an answer.
pub(crate) const RESPONSE_PREFIX: &str = "{\"crumb_extract\":";

/// One request: a JSON line, followed by `len` raw bytes when the document is
/// sent inline rather than by path.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Request {
    pub kind: FileKind,
    pub name: String,
    pub limits: Limits,
    pub path: Option<PathBuf>,
    pub len: Option<u64>,
    /// Skip optional steps that have crashed native code (a retry after a crash).
    #[serde(default)]
    pub careful: bool,
    /// What text recognition may do for this document.
    #[serde(default)]
    pub ocr: crate::ocr::OcrSettings,
}

/// One answer line.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Response {
    /// Protocol version; also the line's recognisable prefix.
    pub crumb_extract: u32,
    pub result: Result<ExtractedDoc, ExtractError>,
}

/// Runs the worker loop until stdin closes. Call it from `main` when the
/// first argument is [`WORKER_ARG`]; it returns when the parent goes away.
pub fn serve() -> std::io::Result<()> {
    let protocol = protect_stdout()?;
    apply_memory_limit();
    let mut out = std::io::BufWriter::new(protocol);
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let extractors = Extractors::default();
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if line.trim().is_empty() {
            continue;
        }
        let result = match serde_json::from_str::<Request>(&line) {
            Ok(req) => handle(&extractors, &req, &mut input),
            Err(e) => Err(ExtractError::Io(format!("bad worker request: {e}"))),
        };
        let response = Response {
            crumb_extract: 1,
            result,
        };
        serde_json::to_writer(&mut out, &response)?;
        out.write_all(b"\n")?;
        out.flush()?;
    }
}

fn handle(
    extractors: &Extractors,
    req: &Request,
    input: &mut impl Read,
) -> Result<ExtractedDoc, ExtractError> {
    let bytes = match (&req.path, req.len) {
        (_, Some(len)) => {
            let mut buf = Vec::with_capacity(len.min(64 << 20) as usize);
            input
                .take(len)
                .read_to_end(&mut buf)
                .map_err(|e| ExtractError::Io(e.to_string()))?;
            buf
        }
        (Some(path), None) => std::fs::read(path).map_err(|e| ExtractError::Io(e.to_string()))?,
        (None, None) => return Err(ExtractError::Io("worker request names no document".into())),
    };
    super::pdf::set_careful(req.careful);
    crate::ocr::with_settings(&req.ocr, || {
        extractors.extract(req.kind, &bytes, &req.name, &req.limits)
    })
}

/// Moves the protocol onto a private copy of stdout and points fd 1 at
/// stderr, so a native library that prints cannot corrupt the answers.
#[cfg(unix)]
fn protect_stdout() -> std::io::Result<std::fs::File> {
    use std::os::fd::FromRawFd;
    std::io::stdout().flush()?;
    // SAFETY: plain descriptor calls on fds this process owns; the new fd is
    // owned by the returned File and by nothing else.
    unsafe {
        let fd = libc::dup(1);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        if libc::dup2(2, 1) < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(std::fs::File::from_raw_fd(fd))
    }
}

#[cfg(not(unix))]
fn protect_stdout() -> std::io::Result<std::fs::File> {
    Err(std::io::Error::other(
        "extraction workers need a Unix platform",
    ))
}

/// Caps the address space at `$CRUMB_EXTRACT_MEMORY` bytes more than the
/// worker has mapped when it starts, and lowers the worker's CPU priority so
/// indexing never starves the UI.
fn apply_memory_limit() {
    #[cfg(unix)]
    {
        if let Some(limit) = std::env::var(MEMORY_ENV)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            let limit = limit.saturating_add(mapped_at_start());
            let rl = libc::rlimit {
                rlim_cur: limit as libc::rlim_t,
                rlim_max: limit as libc::rlim_t,
            };
            // SAFETY: setrlimit only reads the struct passed by reference.
            if unsafe { libc::setrlimit(libc::RLIMIT_AS, &rl) } != 0 {
                tracing::warn!(target: "index::extract", "cannot set worker memory limit: {}", std::io::Error::last_os_error());
            }
        }
        // SAFETY: nice() has no memory-safety preconditions.
        unsafe {
            libc::nice(10);
        }
    }
}

/// The address space already mapped when the worker starts: its binary and
/// libraries. The app's binary maps GTK and WebKit, hundreds of MB of
/// reservations, where `crumb` maps little, so the budget is what extraction
/// may add on top of that, not an absolute size: with an absolute cap, text
/// recognition that fits in the CLI's workers failed in the app's ("failed
/// to allocate memory", found by the e2e test of the second stage).
fn mapped_at_start() -> u64 {
    #[cfg(target_os = "linux")]
    {
        let pages = std::fs::read_to_string("/proc/self/statm")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok());
        // SAFETY: sysconf has no memory-safety preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if let (Some(pages), Ok(page)) = (pages, u64::try_from(page)) {
            return pages.saturating_mul(page);
        }
    }
    0
}

/// Reads the worker's answer from a response line, if it is one.
pub(crate) fn parse_response(line: &str) -> Option<Result<ExtractedDoc, ExtractError>> {
    // The prefix may follow unterminated junk that reached the pipe first.
    let start = line.find(RESPONSE_PREFIX)?;
    serde_json::from_str::<Response>(&line[start..])
        .ok()
        .map(|r| r.result)
}

/// Writes `req` (and inline bytes) to a worker's stdin.
pub(crate) fn write_request(
    to: &mut impl Write,
    req: &Request,
    bytes: Option<&[u8]>,
) -> std::io::Result<()> {
    serde_json::to_writer(&mut *to, req)?;
    to.write_all(b"\n")?;
    if let Some(b) = bytes {
        to.write_all(b)?;
    }
    to.flush()
}

/// Reads one line from a worker's stdout (for the parent's reader thread).
pub(crate) fn read_line(from: &mut impl BufRead) -> Option<String> {
    // Bytes, not a String: a stray non-UTF-8 line must not end the reader.
    let mut line = Vec::new();
    match from.read_until(b'\n', &mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(String::from_utf8_lossy(&line).into_owned()),
    }
}
