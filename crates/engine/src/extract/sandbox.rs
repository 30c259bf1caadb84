//! The parent side of contained extraction: a pool of long-lived worker
//! processes (see [`super::worker`]), each used for many files, killed on
//! timeout and replaced after a crash, so one hostile file can neither take
//! the indexer down nor stall it.

use super::worker::{self, Request, MEMORY_ENV};
use super::{ExtractError, ExtractedDoc, Extractors, Limits};
use crate::kind::FileKind;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Per-file limits of contained extraction.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Wall-clock time one file may take before its worker is killed.
    pub timeout: Duration,
    /// Address-space limit of a worker process, in bytes.
    pub memory_limit: u64,
    /// A worker is replaced after this many files, to shed fragmentation.
    pub recycle_after: usize,
    /// Text recognition in images and scanned pages. Its time budget is
    /// set from [`Self::timeout`] for each document.
    pub ocr: crate::ocr::OcrSettings,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            timeout: Duration::from_secs(60),
            memory_limit: 1 << 30,
            recycle_after: 500,
            ocr: crate::ocr::OcrSettings::default(),
        }
    }
}

impl SandboxOptions {
    /// Sets the per-file timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    /// Sets what text recognition may do.
    pub fn with_ocr(mut self, ocr: crate::ocr::OcrSettings) -> Self {
        self.ocr = ocr;
        self
    }
    /// The OCR settings of one document: OCR stops at two thirds of the
    /// per-file timeout, so the pages read so far are kept and the worker
    /// is not killed mid-document.
    fn ocr_for_document(&self) -> crate::ocr::OcrSettings {
        crate::ocr::OcrSettings {
            budget_ms: (self.timeout.as_millis() * 2 / 3) as u64,
            ..self.ocr.clone()
        }
    }
    /// Sets the worker memory limit in bytes.
    pub fn with_memory_limit(mut self, bytes: u64) -> Self {
        self.memory_limit = bytes;
        self
    }
}

/// Where the document comes from: a file the worker reads itself, or bytes
/// the caller already holds.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// A file on disk.
    Path(&'a Path),
    /// The document's bytes.
    Bytes(&'a [u8]),
}

/// Runs extraction in worker processes (or in-process, as a fallback).
pub struct Sandbox {
    command: Option<(PathBuf, Vec<String>)>,
    options: SandboxOptions,
    idle: Mutex<Vec<Worker>>,
    local: Extractors,
    not_a_worker: std::sync::atomic::AtomicBool,
    /// Text recognition turned off at run time (the app's setting), over
    /// what [`SandboxOptions::ocr`] says.
    ocr_off: std::sync::atomic::AtomicBool,
}

impl Sandbox {
    /// A sandbox whose workers are started as `program args...`; the program
    /// must call [`worker::serve`] (e.g. `crumb __extract-worker`).
    pub fn new(program: impl Into<PathBuf>, args: Vec<String>) -> Self {
        Sandbox {
            command: Some((program.into(), args)),
            ..Sandbox::in_process()
        }
    }

    /// Workers started from the running executable with [`worker::WORKER_ARG`]:
    /// right for any binary whose `main` dispatches that argument to `serve`.
    pub fn current_exe() -> Self {
        match std::env::current_exe() {
            Ok(exe) => Sandbox::new(exe, vec![worker::WORKER_ARG.to_string()]),
            Err(_) => Sandbox::in_process(),
        }
    }

    /// No worker processes: extraction runs in this process, guarded only
    /// against panics. For tests and platforms without process support.
    pub fn in_process() -> Self {
        Sandbox {
            command: None,
            options: SandboxOptions::default(),
            idle: Mutex::new(Vec::new()),
            local: Extractors::default(),
            not_a_worker: std::sync::atomic::AtomicBool::new(false),
            ocr_off: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Turns text recognition on or off for the documents extracted from
    /// now on (it cannot be turned on where the options have it off).
    pub fn set_ocr_enabled(&self, on: bool) {
        self.ocr_off
            .store(!on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether text recognition is on.
    pub fn ocr_enabled(&self) -> bool {
        self.options.ocr.enabled && !self.ocr_off.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The OCR settings of one document: the options' with the time budget
    /// and the run-time switch applied. Off, a sandbox that defers (the
    /// engine's) still lists the pages that need recognition, so that
    /// turning it on later reads them without re-indexing; one that
    /// recognises in line recognises nothing.
    fn ocr_for_document(&self) -> crate::ocr::OcrSettings {
        let mut ocr = self.options.ocr_for_document();
        if !self.ocr_enabled() {
            ocr.enabled = ocr.defer;
        }
        ocr
    }

    /// Replaces the options.
    pub fn with_options(mut self, options: SandboxOptions) -> Self {
        self.options = options;
        self
    }

    /// Extracts one document under the time and memory limits. A timeout or
    /// memory exhaustion is [`ExtractError::Limit`]; a worker crash is
    /// [`ExtractError::Corrupt`]. Never panics, never waits past the timeout.
    pub fn extract(
        &self,
        source: Source<'_>,
        kind: FileKind,
        name: &str,
        limits: &Limits,
    ) -> Result<ExtractedDoc, ExtractError> {
        self.extract_with(source, kind, name, limits, self.ocr_for_document())
    }

    /// The second indexing stage: recognises the text of `pages` (1-based;
    /// an image file is page 1) of one document, under the same limits as
    /// [`Sandbox::extract`]. The answer holds only those pages' text; pages
    /// the time budget left unread are in its `pending_ocr`.
    pub fn recognise_pages(
        &self,
        source: Source<'_>,
        kind: FileKind,
        name: &str,
        limits: &Limits,
        pages: &[u32],
    ) -> Result<ExtractedDoc, ExtractError> {
        let ocr = crate::ocr::OcrSettings {
            enabled: true,
            defer: false,
            pages: Some(pages.to_vec()),
            ..self.options.ocr_for_document()
        };
        if !self.ocr_enabled() {
            return Err(ExtractError::NoText(
                "text recognition is turned off".into(),
            ));
        }
        self.extract_with(source, kind, name, limits, ocr)
    }

    fn extract_with(
        &self,
        source: Source<'_>,
        kind: FileKind,
        name: &str,
        limits: &Limits,
        ocr: crate::ocr::OcrSettings,
    ) -> Result<ExtractedDoc, ExtractError> {
        // Plain text, Markdown and code already in this process's memory are
        // decoded here: decoding is safe Rust, linear in the bytes (capped by
        // the crawl's size limit) and guarded against panics, while a worker
        // round trip would copy the bytes and the text through two pipes.
        // For a folder of small text files those copies and the context
        // switches around them were most of the indexer's kernel time.
        // (Compressed ones go to a worker: inflating is where bombs go off.)
        if let (Source::Bytes(b), FileKind::Text | FileKind::Markdown | FileKind::Code) =
            (source, kind)
        {
            if !super::is_gzip(b) {
                return self.extract_locally(source, kind, name, limits, &ocr);
            }
        }
        let Some((program, args)) = &self.command else {
            return self.extract_locally(source, kind, name, limits, &ocr);
        };
        if self.not_a_worker.load(std::sync::atomic::Ordering::Relaxed) {
            return self.extract_locally(source, kind, name, limits, &ocr);
        }
        let req = Request {
            kind,
            name: name.to_string(),
            limits: *limits,
            path: match source {
                Source::Path(p) => Some(p.to_path_buf()),
                Source::Bytes(_) => None,
            },
            len: match source {
                Source::Bytes(b) => Some(b.len() as u64),
                Source::Path(_) => None,
            },
            careful: false,
            ocr,
        };
        let bytes = match source {
            Source::Bytes(b) => Some(b),
            Source::Path(_) => None,
        };
        let first = self.in_worker(program, args, &req, bytes, source);
        match &first {
            // pdfium can crash in its optional steps (flattening annotations);
            // one more try without them still gets the page text.
            Err(ExtractError::Corrupt { detail, .. })
                if kind == FileKind::Pdf && detail.starts_with("parser crashed") =>
            {
                let careful = Request {
                    careful: true,
                    ..req
                };
                self.in_worker(program, args, &careful, bytes, source)
                    .or(first)
            }
            _ => first,
        }
    }

    fn in_worker(
        &self,
        program: &Path,
        args: &[String],
        req: &Request,
        bytes: Option<&[u8]>,
        source: Source<'_>,
    ) -> Result<ExtractedDoc, ExtractError> {
        let (kind, name, limits) = (req.kind, req.name.as_str(), &req.limits);
        // A pooled worker may have died while idle: one retry on a fresh one.
        for attempt in 0..2 {
            // An idle worker that has exited (killed from outside) is replaced
            // before anything is written to it: a write to a dead pipe raises
            // SIGPIPE, fatal in a binary that restores its default action.
            let pooled = self.idle.lock().ok().and_then(|mut v| v.pop());
            let pooled = pooled.and_then(|mut w| w.alive().then_some(w));
            let mut w = match pooled {
                Some(w) => w,
                None => match Worker::spawn(program, args, &self.options) {
                    Ok(w) => w,
                    Err(e) => {
                        tracing::warn!(target: "index::extract", "cannot start extraction worker {}: {e}; extracting in-process", program.display());
                        return self.extract_locally(source, kind, name, limits, &req.ocr);
                    }
                },
            };
            if worker::write_request(&mut w.stdin, req, bytes).is_err() {
                if attempt == 0 && w.files > 0 {
                    continue;
                }
                if w.files == 0 && w.exited_cleanly() {
                    tracing::warn!(target: "index::extract", "{} is not an extraction worker; extracting in-process", program.display());
                    self.not_a_worker
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                    return self.extract_locally(source, kind, name, limits, &req.ocr);
                }
                return Err(w.crash_reason(kind, &self.options));
            }
            return match w.answer(self.options.timeout) {
                Answer::Done(result) => {
                    w.files += 1;
                    if w.files < self.options.recycle_after {
                        if let Ok(mut idle) = self.idle.lock() {
                            idle.push(w);
                        }
                    }
                    result
                }
                Answer::TimedOut => {
                    tracing::warn!(target: "index::extract", "{name}: extraction timed out; worker killed");
                    Err(ExtractError::Limit(format!(
                        "extraction took longer than {} s",
                        self.options.timeout.as_secs()
                    )))
                }
                Answer::Died if w.files == 0 && w.exited_cleanly() => {
                    // A fresh worker that exits 0 without answering is not a
                    // worker at all (a binary that does not dispatch
                    // WORKER_ARG): extract in-process from now on.
                    tracing::warn!(target: "index::extract", "{} is not an extraction worker; extracting in-process", program.display());
                    self.not_a_worker
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                    self.extract_locally(source, kind, name, limits, &req.ocr)
                }
                Answer::Died => Err(w.crash_reason(kind, &self.options)),
            };
        }
        Err(ExtractError::corrupt(
            kind.as_str(),
            "extraction worker failed twice",
        ))
    }

    fn extract_locally(
        &self,
        source: Source<'_>,
        kind: FileKind,
        name: &str,
        limits: &Limits,
        ocr: &crate::ocr::OcrSettings,
    ) -> Result<ExtractedDoc, ExtractError> {
        crate::ocr::with_settings(ocr, || match source {
            Source::Bytes(b) => self.local.extract(kind, b, name, limits),
            Source::Path(p) => {
                let bytes = std::fs::read(p).map_err(|e| ExtractError::Io(e.to_string()))?;
                self.local.extract(kind, &bytes, name, limits)
            }
        })
    }
}

enum Answer {
    Done(Result<ExtractedDoc, ExtractError>),
    TimedOut,
    Died,
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    stderr_tail: Arc<Mutex<String>>,
    stderr_done: Receiver<()>,
    files: usize,
}

impl Worker {
    fn spawn(program: &Path, args: &[String], options: &SandboxOptions) -> std::io::Result<Worker> {
        let mut child = Command::new(program)
            .args(args)
            .env(MEMORY_ENV, options.memory_limit.to_string())
            // The memory limit bounds address space, and glibc gives every
            // thread that allocates (ONNX Runtime's OCR thread pools, pdfium)
            // its own arena with a 64 MiB reservation: with PP-OCRv6's
            // recogniser, scanned pages that read alone failed the 1 GiB
            // limit once a worker had read a few dozen files (3 of the
            // corpus's PDFs; none with two arenas, docs/BENCHMARKS.md "OCR").
            // Other allocators ignore the variable.
            .env("MALLOC_ARENA_MAX", "2")
            // Parser panics are caught and reported; backtraces would only
            // bury the one line that says why a worker died.
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let (stdin, stdout, stderr) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(i), Some(o), Some(e)) => (i, o, e),
                _ => return Err(std::io::Error::other("worker pipes missing")),
            };
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            let mut out = BufReader::new(stdout);
            while let Some(line) = worker::read_line(&mut out) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr_tail = Arc::new(Mutex::new(String::new()));
        let tail = Arc::clone(&stderr_tail);
        let (done_tx, stderr_done) = mpsc::channel();
        std::thread::spawn(move || {
            let mut err = BufReader::new(stderr);
            while let Some(line) = worker::read_line(&mut err) {
                if let Ok(mut t) = tail.lock() {
                    t.push_str(&line);
                    // Keep the first 2 KiB (where the reason usually is)
                    // and the last 2 KiB; drop the middle.
                    if t.len() > 8192 {
                        let head = floor_boundary(&t, 2048);
                        let tail_start = floor_boundary(&t, t.len() - 2048);
                        let tail = t.split_off(tail_start);
                        t.truncate(head);
                        t.push_str("\n…\n");
                        t.push_str(&tail);
                    }
                }
            }
            let _ = done_tx.send(());
        });
        Ok(Worker {
            child,
            stdin,
            lines,
            stderr_tail,
            stderr_done,
            files: 0,
        })
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the answer line, skipping anything else the worker printed.
    fn answer(&mut self, timeout: Duration) -> Answer {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(result) = worker::parse_response(line.trim_end()) {
                        return Answer::Done(result);
                    }
                }
                Err(RecvTimeoutError::Timeout) => return Answer::TimedOut,
                Err(RecvTimeoutError::Disconnected) => return Answer::Died,
            }
        }
    }

    /// Why the worker died, from its exit status and last stderr lines.
    fn exited_cleanly(&mut self) -> bool {
        wait_briefly(&mut self.child).is_some_and(|s| s.success())
    }

    fn crash_reason(&mut self, kind: FileKind, options: &SandboxOptions) -> ExtractError {
        let status = wait_briefly(&mut self.child);
        // The stderr reader ends at EOF once the worker is gone; wait for it
        // (boundedly) so the worker's last words are in the tail.
        let _ = self.stderr_done.recv_timeout(Duration::from_secs(1));
        let tail = self
            .stderr_tail
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default();
        let oom = [
            "memory allocation",
            "bad_alloc",
            "out of memory",
            "Cannot allocate",
            "capacity overflow",
        ];
        if oom.iter().any(|m| tail.contains(m)) {
            return ExtractError::Limit(format!(
                "extraction needed more than {} MiB of memory",
                options.memory_limit >> 20
            ));
        }
        let how = status
            .map(describe_exit)
            .unwrap_or_else(|| "did not exit".into());
        tracing::warn!(target: "index::extract", "extraction worker died ({how}): {}", tail.trim());
        ExtractError::corrupt(kind.as_str(), format!("parser crashed ({how})"))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_briefly(child: &mut Child) -> Option<std::process::ExitStatus> {
    for _ in 0..50 {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    child.wait().ok()
}

fn describe_exit(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("signal {sig}");
        }
    }
    format!("exit status {}", status.code().unwrap_or(-1))
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
