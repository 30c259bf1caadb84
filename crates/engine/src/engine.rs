//! The facade: one `Engine` per data dir, whose `index` and `search` read like
//! the data flow. Owns the single writer (catalog write connection and tantivy
//! `IndexWriter`, each behind its own lock); searches never take either: they
//! read through pooled read-only SQLite connections (WAL), a tantivy
//! `Searcher`, and an immutable vector index shared behind an `Arc`.

use crate::catalog::{Catalog, FileStatus, Reader, Readers};
use crate::crawl::{crawl, FoundFile};
use crate::extract::{Extractors, Sandbox};
use crate::index::{self, IndexReport, Prepared};
use crate::lexical::Lexical;
use crate::models::{Embedder, Reranker};
use crate::options::EngineOptions;
use crate::options::ExtractMode;
use crate::progress::{CancelFlag, IndexingStep, Progress};
use crate::vectors::{Quantization, Refresh, VectorSnapshot};
use crate::{Error, Result};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Instant;

/// Files prepared and committed together. Small enough that a crash loses
/// little work, large enough that commits stay cheap.
const BATCH_FILES: usize = 64;
/// How often a long indexing run commits the keyword index: what it wrote
/// becomes searchable at this pace, and each commit costs a new segment.
const LEXICAL_COMMIT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// A Crumb index in a data dir.
pub struct Engine {
    pub(crate) opts: EngineOptions,
    /// The writer's connection (read-only when the engine is).
    pub(crate) catalog: Mutex<Catalog>,
    /// Searches' connections.
    readers: Readers,
    pub(crate) lexical: Lexical,
    pub(crate) extractors: Extractors,
    pub(crate) sandbox: Sandbox,
    pub(crate) embedder: RwLock<Option<Arc<dyn Embedder>>>,
    pub(crate) reranker: RwLock<Option<Arc<dyn Reranker>>>,
    vector_cache: Mutex<Option<VectorCache>>,
    /// Held by the one search that refreshes a stale snapshot, so concurrent
    /// searches wait for its result instead of each loading their own.
    vector_refresh: Mutex<()>,
    /// (model, log position) of the newest snapshot copy written to disk,
    /// and whether a write is under way (one at a time, off the search path).
    vector_persisted: Arc<Mutex<Option<(String, i64)>>>,
    vector_persisting: Arc<std::sync::atomic::AtomicBool>,
    /// Recent cross-encoder scores (see [`crate::search::RerankCache`]).
    pub(crate) rerank_cache: crate::search::RerankCache,
    /// (model, id): every passage numbered up to `id` has a vector for
    /// `model`, as of the last embedding pass that reached the end.
    embedded_floor: Mutex<Option<(String, i64)>>,
    /// The second stage (OCR) is paused by the user.
    pub(crate) recognition_paused: std::sync::atomic::AtomicBool,
}

/// Meta key naming the catalog (schema v2), which a snapshot copy must match.
const CATALOG_UID: &str = "catalog_uid";
/// Log rows after which the snapshot copy on disk is rewritten: a later
/// start then catches up over at most about this many changes.
const PERSIST_AFTER_LOG_ROWS: i64 = 50_000;
/// Changes applied on top of a restored copy that make it worth rewriting.
const PERSIST_AFTER_CHANGES: usize = 20_000;

/// Scores kept by the rerank cache: a few hundred queries' worth.
const RERANK_CACHE_SCORES: usize = 8192;

struct VectorCache {
    key: i64,
    snapshot: Arc<VectorSnapshot>,
}

impl Engine {
    /// Opens the data dir, creating it if needed. A writable engine repairs
    /// whatever an interrupted run left behind before returning.
    pub fn open(opts: EngineOptions) -> Result<Engine> {
        let dir = &opts.data_dir;
        let catalog_path = dir.join("catalog.sqlite");
        let (catalog, lexical) = if opts.read_only {
            if !catalog_path.exists() {
                return Err(Error::Input(format!(
                    "no index in {}; run `crumb index FOLDER` first",
                    dir.display()
                )));
            }
            (
                Catalog::open_read_only(&catalog_path)?,
                Lexical::open(&dir.join("lexical"), false)?,
            )
        } else {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("create data dir {}", dir.display()), e))?;
            // Take the tantivy writer lock first: it is what makes this process
            // the one writer of this data dir.
            let mut lexical = Lexical::open(&dir.join("lexical"), true)?;
            let catalog = Catalog::open(&catalog_path)?;
            if lexical.is_outdated() {
                // Mark first, rebuild second: a crash in between leaves every
                // file unsynced, and the repair below refills the index.
                catalog.mark_all_lexical_unsynced()?;
                lexical = lexical.rebuild()?;
            }
            crate::passage::ensure_index_id(&catalog, dir)?;
            (catalog, lexical)
        };
        let engine = Engine {
            opts: opts.clone(),
            catalog: Mutex::new(catalog),
            readers: Readers::new(catalog_path),
            lexical,
            extractors: Extractors::default(),
            sandbox: sandbox_for(&opts),
            embedder: RwLock::new(None),
            reranker: RwLock::new(None),
            vector_cache: Mutex::new(None),
            vector_refresh: Mutex::new(()),
            vector_persisted: Arc::new(Mutex::new(None)),
            vector_persisting: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            rerank_cache: crate::search::RerankCache::new(RERANK_CACHE_SCORES),
            embedded_floor: Mutex::new(None),
            recognition_paused: std::sync::atomic::AtomicBool::new(false),
        };
        if !engine.opts.read_only {
            let mut cat = engine.catalog()?;
            index::repair_lexical(&mut cat, &engine.lexical)?;
        }
        Ok(engine)
    }

    /// The options it was opened with.
    pub fn options(&self) -> &EngineOptions {
        &self.opts
    }

    /// The writer's connection: for writes, and reads that must see them.
    pub(crate) fn catalog(&self) -> Result<MutexGuard<'_, Catalog>> {
        self.catalog
            .lock()
            .map_err(|_| Error::Bug("catalog lock poisoned".into()))
    }

    /// A read-only connection of its own, for a search: it never waits for
    /// the writer (see [`Readers`]).
    pub(crate) fn reader(&self) -> Result<Reader<'_>> {
        self.readers.get()
    }

    /// Holds the writer's catalog lock until the returned guard is dropped,
    /// as a long batch commit does. For tests that show searches do not wait
    /// for the writer; nothing else should call it.
    #[doc(hidden)]
    pub fn hold_writer_for_test(&self) -> Result<impl Drop + '_> {
        self.catalog()
    }

    /// Whether the index holds any vectors (cheap: no count).
    pub fn has_vectors(&self) -> Result<bool> {
        self.catalog()?.has_vectors()
    }

    /// Sets (or clears) the embedder used for indexing and vector search.
    pub fn set_embedder(&self, embedder: Option<Arc<dyn Embedder>>) {
        if let Ok(mut e) = self.embedder.write() {
            *e = embedder;
        }
    }

    /// Sets (or clears) the reranker.
    pub fn set_reranker(&self, reranker: Option<Arc<dyn Reranker>>) {
        if let Ok(mut r) = self.reranker.write() {
            *r = reranker;
        }
    }

    /// The current embedder.
    pub fn embedder(&self) -> Option<Arc<dyn Embedder>> {
        self.embedder.read().ok().and_then(|e| e.clone())
    }

    /// The current reranker.
    pub fn reranker(&self) -> Option<Arc<dyn Reranker>> {
        self.reranker.read().ok().and_then(|r| r.clone())
    }

    /// Indexes folders: new and changed files are (re)indexed, unchanged ones
    /// skipped, files gone from disk removed. Both stages run: the first
    /// commits every file's text and name (keyword search has them from
    /// then on), the second recognises the text of scanned pages and images
    /// (see [`Engine::recognise_pending`]); then passages get vectors.
    pub fn index(
        &self,
        roots: &[PathBuf],
        progress: &dyn Progress,
        cancel: &CancelFlag,
    ) -> Result<IndexReport> {
        self.index_stages(roots, progress, cancel, true)
    }

    /// [`Engine::index`] without the second stage: pages that need text
    /// recognition are left pending, for [`Engine::recognise_pending`] (the
    /// live watcher runs it on its trailing thread, behind keyword work).
    pub fn index_text(
        &self,
        roots: &[PathBuf],
        progress: &dyn Progress,
        cancel: &CancelFlag,
    ) -> Result<IndexReport> {
        self.index_stages(roots, progress, cancel, false)
    }

    /// The first stage, then text recognition when `recognise` (otherwise
    /// the pages it would read are only counted), then embedding.
    fn index_stages(
        &self,
        roots: &[PathBuf],
        progress: &dyn Progress,
        cancel: &CancelFlag,
        recognise: bool,
    ) -> Result<IndexReport> {
        let started = Instant::now();
        let mut report = self.index_first_stage(roots, progress, cancel)?;
        report.keyword_seconds = started.elapsed().as_secs_f64();
        if recognise {
            let recognised = self.recognise_pending(progress, cancel)?;
            report.indexed = report.indexed.saturating_sub(recognised.indexed_lost());
            report.absorb_recognised(recognised);
        } else {
            report.ocr_pending = self.pending_ocr_pages()?;
        }
        report.embedded += self.embed_missing(progress, cancel)?;
        progress.report(&IndexingStep::Done);
        report.seconds = started.elapsed().as_secs_f64();
        tracing::info!(target: "index", "{}", report.summary());
        Ok(report)
    }

    /// Crawl, skip unchanged, extract, chunk and write: the keyword commit.
    fn index_first_stage(
        &self,
        roots: &[PathBuf],
        progress: &dyn Progress,
        cancel: &CancelFlag,
    ) -> Result<IndexReport> {
        let roots = canonical_roots(roots)?;
        let mut report = IndexReport::default();
        for root in &roots {
            let root_s = root.to_string_lossy().into_owned();
            self.catalog()?.add_root(&root_s)?;
            progress.report(&IndexingStep::Crawling { seen: report.seen });
            let mut found = Vec::new();
            let problems = crawl(root, &self.opts.crawl, |f| found.push(f))?;
            report
                .crawl_problems
                .extend(problems.into_iter().map(index::Failure::from));
            report.seen += found.len() as u64;
            self.remove_missing(&root_s, &found, &mut report)?;
            self.index_found(&root_s, found, progress, cancel, &mut report)?;
        }
        self.lexical.merge_small_segments()?;
        Ok(report)
    }

    /// Drops catalog entries under `root` whose files the crawl no longer saw.
    fn remove_missing(
        &self,
        root: &str,
        found: &[FoundFile],
        report: &mut IndexReport,
    ) -> Result<()> {
        let seen: HashSet<String> = found
            .iter()
            .map(|f| f.path.to_string_lossy().into_owned())
            .collect();
        let mut cat = self.catalog()?;
        let gone: Vec<i64> = cat
            .files_under_root(root)?
            .into_iter()
            .filter(|f| !seen.contains(&f.path))
            .map(|f| f.id)
            .collect();
        report.removed += gone.len() as u64;
        self.delete_files(&mut cat, &gone)
    }

    /// Prepares and writes files that are new or changed, batch by batch.
    pub(crate) fn index_found(
        &self,
        root: &str,
        found: Vec<FoundFile>,
        progress: &dyn Progress,
        cancel: &CancelFlag,
        report: &mut IndexReport,
    ) -> Result<()> {
        let mut known: HashMap<String, crate::catalog::FileRecord> = HashMap::new();
        let mut work = Vec::new();
        {
            let cat = self.catalog()?;
            for f in found {
                let key = f.path.to_string_lossy().into_owned();
                match cat.file_by_path(&key)? {
                    Some(prev) if prev.size == f.size && prev.mtime_ns == f.mtime_ns => {
                        report.unchanged += 1
                    }
                    Some(prev) => {
                        known.insert(key, prev);
                        work.push(f);
                    }
                    None => work.push(f),
                }
            }
        }
        let now = crate::time::now_ns();
        for f in &mut work {
            smudge_racy(f, now);
        }
        let total = work.len() as u64;
        let mut done = 0u64;
        // Extraction of the next batch overlaps the write (SQLite and tantivy
        // commits) of the one before: with small files the commits were half
        // the time, and the cores sat idle through them. One batch waits at
        // most, so memory stays bounded.
        let (to_writer, batches) = std::sync::mpsc::sync_channel::<Vec<index::Prepared>>(1);
        let written = std::thread::scope(|s| {
            let writer = s.spawn(move || -> Result<()> {
                // The lexical index commits about once a second, not per
                // batch (see `index::sync`); the last batch always commits.
                let mut written = Vec::new();
                let mut last_commit = Instant::now();
                for prepared in batches {
                    let mut cat = self.catalog()?;
                    written.extend(index::write_batch(
                        &mut cat,
                        &self.lexical,
                        root,
                        prepared,
                        report,
                    )?);
                    if last_commit.elapsed() >= LEXICAL_COMMIT_EVERY {
                        index::commit_written(&mut cat, &self.lexical, &written)?;
                        written.clear();
                        last_commit = Instant::now();
                    }
                }
                let mut cat = self.catalog()?;
                index::commit_written(&mut cat, &self.lexical, &written)
            });
            let mut outcome = Ok(());
            for batch in work.chunks(BATCH_FILES) {
                if cancel.is_cancelled() {
                    outcome = Err(Error::Cancelled);
                    break;
                }
                progress.report(&IndexingStep::Indexing {
                    done,
                    total,
                    current: batch[0].path.to_string_lossy().into_owned(),
                });
                let prepared = self.prepare_batch(batch, &known);
                if to_writer.send(prepared).is_err() {
                    break; // the writer failed: its error is the outcome
                }
                done += batch.len() as u64;
            }
            drop(to_writer);
            let wrote = writer
                .join()
                .unwrap_or_else(|_| Err(Error::Bug("the index writer thread panicked".into())));
            wrote.and(outcome)
        });
        written?;
        progress.report(&IndexingStep::Indexing {
            done,
            total,
            current: String::new(),
        });
        Ok(())
    }

    /// Extracts a batch on all cores; each file is independent.
    fn prepare_batch(
        &self,
        batch: &[FoundFile],
        known: &HashMap<String, crate::catalog::FileRecord>,
    ) -> Vec<Prepared> {
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(batch.len().max(1));
        let per = batch.len().div_ceil(workers);
        std::thread::scope(|s| {
            let handles: Vec<_> = batch
                .chunks(per.max(1))
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|f| {
                                let prev = known.get(f.path.to_string_lossy().as_ref());
                                index::prepare_file(
                                    f.clone(),
                                    prev,
                                    &self.extractors,
                                    &self.sandbox,
                                    &self.opts,
                                )
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        })
    }

    /// The id up to which every passage has a vector for `model` (0 when
    /// unknown: a new process, or another model).
    pub(crate) fn embedded_floor(&self, model: &str) -> i64 {
        self.embedded_floor
            .lock()
            .ok()
            .and_then(|f| f.as_ref().filter(|(m, _)| m == model).map(|(_, id)| *id))
            .unwrap_or(0)
    }

    pub(crate) fn set_embedded_floor(&self, model: &str, id: i64) {
        if let Ok(mut f) = self.embedded_floor.lock() {
            *f = Some((model.to_string(), id));
        }
    }

    /// The vector snapshot for `model`, brought up to date when this
    /// process's writer or another process has committed since it was taken:
    /// the readers' `data_version` moves on any other connection's commit,
    /// the writer's included. A stale snapshot catches up from the vector
    /// log (O(change), see [`VectorSnapshot`]); searches still holding the
    /// old one keep it. Read through a reader connection: a search never
    /// waits for the writer here either. (Public so tests can compare it with
    /// a fresh load after each commit.)
    pub fn vector_snapshot(&self, model: &str) -> Result<Arc<VectorSnapshot>> {
        let cached = |key: i64| -> Result<Option<Arc<VectorSnapshot>>> {
            let cache = self
                .vector_cache
                .lock()
                .map_err(|_| Error::Bug("vector cache poisoned".into()))?;
            Ok(cache
                .as_ref()
                .filter(|c| c.snapshot.model() == model && c.key == key)
                .map(|c| c.snapshot.clone()))
        };
        let key = self.readers.data_version()?;
        if let Some(s) = cached(key)? {
            return Ok(s);
        }
        let _gate = self
            .vector_refresh
            .lock()
            .map_err(|_| Error::Bug("vector refresh gate poisoned".into()))?;
        // Another search may have refreshed while this one waited.
        let key = self.readers.data_version()?;
        if let Some(s) = cached(key)? {
            return Ok(s);
        }
        let previous = self
            .vector_cache
            .lock()
            .map_err(|_| Error::Bug("vector cache poisoned".into()))?
            .as_ref()
            .filter(|c| c.snapshot.model() == model)
            .map(|c| c.snapshot.clone());
        let reader = self.reader()?;
        let uid = reader.meta(CATALOG_UID)?;
        let (snapshot, how) = match previous {
            Some(p) => p.refreshed(reader.conn())?,
            None => self.first_snapshot(reader.conn(), model, uid.as_deref())?,
        };
        drop(reader);
        tracing::debug!(target: "vectors::snapshot", model, ?how, n = snapshot.len(), "vector snapshot refreshed");
        let snapshot = Arc::new(snapshot);
        if let Some(uid) = uid {
            self.maybe_persist(&snapshot, how, uid);
        }
        *self
            .vector_cache
            .lock()
            .map_err(|_| Error::Bug("vector cache poisoned".into()))? = Some(VectorCache {
            key,
            snapshot: snapshot.clone(),
        });
        Ok(snapshot)
    }

    /// A process's first snapshot of `model`: the copy on disk caught up from
    /// the log when there is a usable one, else every vector from SQLite.
    /// int8 in memory (a quarter of f32), rescored with the stored f32
    /// vectors at query time: the same top 10 as f32 on SciFact.
    fn first_snapshot(
        &self,
        conn: &rusqlite::Connection,
        model: &str,
        uid: Option<&str>,
    ) -> Result<(VectorSnapshot, Refresh)> {
        if let Some(uid) = uid {
            let path = crate::vectors::snapshot_path(&self.opts.data_dir, model);
            if let Some(done) = VectorSnapshot::load_persisted(conn, &path, model, uid)? {
                return Ok(done);
            }
        }
        Ok((
            VectorSnapshot::load(conn, model, Quantization::Int8)?,
            Refresh::Reloaded,
        ))
    }

    /// Writes the snapshot's copy to disk on a background thread when the
    /// copy is missing or far behind, so the next process starts from it.
    /// The writer's engine only: a read-only one never writes the data dir.
    fn maybe_persist(&self, snapshot: &Arc<VectorSnapshot>, how: Refresh, uid: String) {
        use std::sync::atomic::Ordering;
        let Some(position) = snapshot.position() else {
            return;
        };
        if self.opts.read_only || snapshot.is_empty() {
            return;
        }
        let model = snapshot.model().to_string();
        let written = self
            .vector_persisted
            .lock()
            .ok()
            .and_then(|p| p.clone())
            .filter(|(m, _)| *m == model)
            .map(|(_, at)| at);
        let due = match how {
            Refresh::Reloaded => true,
            Refresh::Restored { changed } => changed >= PERSIST_AFTER_CHANGES,
            Refresh::CaughtUp { .. } | Refresh::Unchanged => {
                written.is_some_and(|at| position - at >= PERSIST_AFTER_LOG_ROWS)
            }
        };
        if let (Refresh::Restored { .. }, None) = (how, written) {
            if let Ok(mut p) = self.vector_persisted.lock() {
                *p = Some((model.clone(), position));
            }
        }
        if !due || self.vector_persisting.swap(true, Ordering::AcqRel) {
            return;
        }
        let path = crate::vectors::snapshot_path(&self.opts.data_dir, &model);
        let snapshot = snapshot.clone();
        let (persisted, persisting) = (
            self.vector_persisted.clone(),
            self.vector_persisting.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("crumb-vectors-save".into())
            .spawn(move || {
                let started = Instant::now();
                match snapshot.persist(&path, &uid) {
                    Ok(_) => {
                        tracing::debug!(target: "vectors::persist", n = snapshot.len(), ms = started.elapsed().as_millis() as u64, "vector snapshot copy written");
                        if let Ok(mut p) = persisted.lock() {
                            *p = Some((model, position));
                        }
                    }
                    Err(e) => {
                        tracing::warn!(target: "vectors::persist", error = %e, "could not write the vector snapshot copy")
                    }
                }
                persisting.store(false, Ordering::Release);
            });
        if spawned.is_err() {
            self.vector_persisting.store(false, Ordering::Release);
        }
    }

    /// Removes an indexed folder and everything under it from the index.
    pub fn remove_root(&self, root: &Path) -> Result<()> {
        let root_s = root.to_string_lossy().into_owned();
        let mut cat = self.catalog()?;
        let ids: Vec<i64> = cat
            .files_under_root(&root_s)?
            .iter()
            .map(|f| f.id)
            .collect();
        self.delete_files(&mut cat, &ids)?;
        cat.remove_root(&root_s)
    }

    /// Deletes files from the catalog and the lexical index (the commit
    /// makes the in-memory vector index stale): the one way files leave the
    /// index.
    pub(crate) fn delete_files(&self, cat: &mut Catalog, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        index::delete_files(cat, &self.lexical, ids)?;
        crate::vectors::trim_log(cat.conn(), crate::vectors::LOG_KEEP)?;
        Ok(())
    }

    /// A persisted engine setting (for example the embedder an index was built with).
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        self.catalog()?.meta(key)
    }

    /// Persists an engine setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.catalog()?.set_meta(key, value)
    }

    /// Folders being indexed.
    pub fn roots(&self) -> Result<Vec<String>> {
        self.catalog()?.roots()
    }

    /// Failed files, with reasons.
    pub fn failed_files(&self) -> Result<Vec<crate::catalog::FileRecord>> {
        self.catalog()?.files_with_status(FileStatus::Failed)
    }
}

/// A file modified this recently may be written again within the same coarse
/// file-system clock tick (a few ms on ext4, 2 s on FAT) without its size or
/// mtime changing, and would then look unchanged forever.
const RACY_NS: i64 = 2_000_000_000;

/// Stores a "racily clean" file with a nudged mtime, so that the next check
/// re-reads and re-hashes it instead of trusting size and mtime (git smudges
/// such index entries the same way). The live watcher depends on this: it
/// often reads a file milliseconds after it was written.
fn smudge_racy(f: &mut FoundFile, now_ns: i64) {
    if f.mtime_ns > now_ns - RACY_NS {
        f.mtime_ns -= 1;
    }
}

fn sandbox_for(opts: &EngineOptions) -> Sandbox {
    let sandbox = match &opts.extract {
        ExtractMode::CurrentExe => Sandbox::current_exe(),
        ExtractMode::Command { program, args } => Sandbox::new(program, args.clone()),
        ExtractMode::InProcess => Sandbox::in_process(),
    };
    let mut options = opts.sandbox.clone();
    // Indexing never recognises text in line: scanned pages and images are
    // left to the second stage (`index::recognise`), so keyword search of
    // everything else never waits for OCR. With OCR off they are still
    // listed there, unread, for when it is turned on.
    options.ocr.defer = true;
    // Recognised text is cached beside the index, so re-indexing, a moved
    // file or a second copy never recognise a page twice.
    if options.ocr.cache_dir.is_none() {
        options.ocr.cache_dir = Some(opts.data_dir.join("ocr-cache"));
    }
    sandbox.with_options(options)
}

fn canonical_roots(roots: &[PathBuf]) -> Result<Vec<PathBuf>> {
    roots
        .iter()
        .map(|r| {
            if !r.is_dir() {
                return Err(Error::MissingFolder(r.clone()));
            }
            r.canonicalize()
                .map_err(|e| Error::io(format!("resolve {}", r.display()), e))
        })
        .collect()
}
