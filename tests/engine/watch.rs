//! Live indexing on real folders with real file-system events: no mocked
//! event stream. Every check polls with a generous timeout (eventual
//! consistency); nothing asserts on speed.

#[cfg(unix)]
mod process;
mod random;

use crate::common::{engine, index, names, search, snapshot, write};
use crumb_engine::watch::{WatchEvent, WatchOptions, Watcher};
use crumb_engine::Engine;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tempfile::TempDir;

const PATIENCE: Duration = Duration::from_secs(60);

/// Polls `f` until it holds or `PATIENCE` runs out.
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}

/// A watched temp folder.
struct Live {
    _tmp: TempDir,
    root: PathBuf,
    data: PathBuf,
    engine: Arc<Engine>,
    watcher: Option<Watcher>,
    events: Arc<Mutex<Vec<WatchEvent>>>,
}

impl Live {
    fn start(opts: WatchOptions, setup: impl FnOnce(&Path)) -> Live {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("docs");
        let data = tmp.path().join("data");
        std::fs::create_dir_all(&root).expect("mkdir");
        setup(&root);
        let engine = Arc::new(engine(&data));
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let watcher = Watcher::start(
            engine.clone(),
            std::slice::from_ref(&root),
            opts,
            move |e| sink.lock().expect("events").push(e.clone()),
        )
        .expect("start watcher");
        let live = Live {
            _tmp: tmp,
            root,
            data,
            engine,
            watcher: Some(watcher),
            events,
        };
        assert!(live.watcher().wait_idle(PATIENCE), "initial reconcile");
        live
    }

    fn watcher(&self) -> &Watcher {
        self.watcher.as_ref().expect("running")
    }

    fn finds(&self, word: &str) -> Vec<String> {
        names(&search(&self.engine, word))
    }

    /// Waits until a search for `word` returns exactly `expected` file names.
    fn expect(&self, word: &str, expected: &[&str]) {
        let ok = eventually(|| self.finds(word) == expected);
        assert!(ok, "{word}: got {:?}, want {expected:?}", self.finds(word));
    }

    fn indexed_paths(&self) -> Vec<String> {
        snapshot(&self.data, &self.root).into_keys().collect()
    }

    /// What the watcher has said so far.
    fn events(&self) -> Vec<WatchEvent> {
        self.events.lock().expect("events").clone()
    }

    /// A watched folder whose scans are read: pdfium and the OCR models
    /// are required (None only when an opt-out counted the test skipped).
    fn with_ocr() -> Option<Live> {
        crate::extract_support::require_pdfium();
        if !crate::ocr::have_ocr_models() {
            return None;
        }
        Some(Live::start(WatchOptions::default(), |_| {}))
    }

    /// Total files (re)indexed by batches so far.
    fn updates(&self) -> u64 {
        self.events()
            .iter()
            .map(|e| match e {
                WatchEvent::Batch { batch } => batch.report.indexed,
                _ => 0,
            })
            .sum()
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        if let Some(w) = self.watcher.take() {
            w.stop().expect("stop");
        }
    }
}

#[test]
fn created_modified_and_deleted_files_are_searchable_at_once() {
    let live = Live::start(WatchOptions::default(), |_| {});
    let a = write(&live.root, "a.txt", "apple orchard");
    live.expect("apple", &["a.txt"]);
    std::fs::write(&a, "banana plantation, much longer than before").expect("edit");
    live.expect("banana", &["a.txt"]);
    live.expect("apple", &[]);
    std::fs::remove_file(&a).expect("rm");
    live.expect("banana", &[]);
    assert!(live.indexed_paths().is_empty());
}

#[test]
fn renamed_files_and_folders_move_their_hits() {
    let live = Live::start(WatchOptions::default(), |root| {
        write(root, "proj/notes/x.txt", "xylophone");
        write(root, "proj/y.md", "yodel");
    });
    live.expect("xylophone", &["x.txt"]);
    std::fs::rename(live.root.join("proj/y.md"), live.root.join("proj/z.md")).expect("mv");
    live.expect("yodel", &["z.md"]);
    std::fs::rename(live.root.join("proj"), live.root.join("archive")).expect("mv dir");
    let want = vec![
        "archive/notes/x.txt".to_string(),
        "archive/z.md".to_string(),
    ];
    assert!(
        eventually(|| live.indexed_paths() == want),
        "{:?}",
        live.indexed_paths()
    );
    std::fs::remove_dir_all(live.root.join("archive/notes")).expect("rm dir");
    live.expect("xylophone", &[]);
    live.expect("yodel", &["z.md"]);
}

#[test]
fn moves_into_and_out_of_the_watched_folder() {
    let live = Live::start(WatchOptions::default(), |_| {});
    let outside = live.root.parent().expect("parent").join("outside");
    write(&outside, "in.txt", "immigrant");
    write(&outside, "batch/one.txt", "wanderer");
    write(&outside, "batch/deep/two.txt", "wanderer");
    std::fs::rename(outside.join("in.txt"), live.root.join("in.txt")).expect("mv in");
    std::fs::rename(outside.join("batch"), live.root.join("batch")).expect("mv dir in");
    live.expect("immigrant", &["in.txt"]);
    assert!(eventually(|| live.finds("wanderer").len() == 2));
    std::fs::rename(live.root.join("batch"), outside.join("batch")).expect("mv dir out");
    std::fs::rename(live.root.join("in.txt"), outside.join("in.txt")).expect("mv out");
    live.expect("wanderer", &[]);
    live.expect("immigrant", &[]);
}

#[test]
fn atomic_saves_are_one_update_and_temp_files_never_indexed() {
    // A long quiet period so a slow, shared CI machine still sees each save
    // as one burst.
    let opts = WatchOptions::default().with_quiet(Duration::from_millis(1500));
    let live = Live::start(opts, |root| {
        write(root, "doc.txt", "first draft");
    });
    // gedit/VS Code style: write a temp file, rename it over the original.
    write(&live.root, "doc.txt.tmp", "second draft");
    std::fs::rename(live.root.join("doc.txt.tmp"), live.root.join("doc.txt")).expect("rename");
    live.expect("second", &["doc.txt"]);
    // The batch's event follows its commit, which a search may see first.
    assert!(eventually(|| live.updates() >= 1), "one save, one update");
    assert_eq!(live.updates(), 1, "one save, one update");
    // vim style: probe file 4913, move the original to a backup, write anew.
    write(&live.root, "4913", "");
    std::fs::remove_file(live.root.join("4913")).expect("rm");
    write(&live.root, ".doc.txt.swp", "swapped secret");
    std::fs::rename(live.root.join("doc.txt"), live.root.join("doc.txt~")).expect("backup");
    write(&live.root, "doc.txt", "third draft");
    std::fs::remove_file(live.root.join("doc.txt~")).expect("rm backup");
    live.expect("third", &["doc.txt"]);
    assert!(eventually(|| live.updates() >= 2));
    assert_eq!(live.updates(), 2);
    // Office, LibreOffice, browsers, emacs: lock and partial files.
    for name in [
        "~$budget.docx",
        "report.swp",
        "report.swx",
        "movie.part",
        "setup.crdownload",
        "scratch.tmp",
        "#notes.org#",
        ".~lock.budget.ods#",
    ] {
        write(&live.root, name, "secret temporary");
    }
    write(&live.root, "real.txt", "real content");
    live.expect("real", &["real.txt"]);
    assert!(live.watcher().wait_idle(PATIENCE));
    assert_eq!(live.finds("secret"), Vec::<String>::new());
    assert_eq!(live.indexed_paths(), vec!["doc.txt", "real.txt"]);
    // A full index of the same tree agrees.
    let fresh = live.root.parent().expect("parent").join("fresh");
    index(&engine(&fresh), &live.root);
    assert_eq!(
        snapshot(&fresh, &live.root),
        snapshot(&live.data, &live.root)
    );
}

#[test]
fn a_burst_of_500_files_is_coalesced_and_fully_indexed() {
    let live = Live::start(WatchOptions::default(), |_| {});
    for i in 0..500 {
        write(
            &live.root,
            &format!("burst/d{}/f{i}.txt", i % 10),
            format!("burst item{i}"),
        );
    }
    assert!(
        eventually(|| live.indexed_paths().len() == 500),
        "{} of 500",
        live.indexed_paths().len()
    );
    assert!(live.watcher().wait_idle(PATIENCE));
    let st = live.watcher().status();
    assert!(
        st.batches < 500,
        "coalesced into few batches, got {}",
        st.batches
    );
    live.expect("item437", &["f437.txt"]);
    // Text files leave nothing to recognise, and `crumb watch` says nothing
    // of recognition after each batch.
    let said: Vec<WatchEvent> = live
        .events()
        .into_iter()
        .filter(|e| {
            matches!(
                e,
                WatchEvent::Recognised { .. } | WatchEvent::OcrWaiting { .. }
            )
        })
        .collect();
    assert_eq!(said, Vec::<WatchEvent>::new());
}

#[test]
fn an_overflowing_queue_rescans_instead_of_losing_changes() {
    // A tiny queue: 300 new files cannot fit, so it must fall back to a
    // rescan of the folder, and still index every file.
    let opts = WatchOptions::default()
        .with_max_pending(20)
        .with_quiet(Duration::from_millis(500));
    let live = Live::start(opts, |root| {
        write(root, "old.txt", "old");
    });
    std::fs::remove_file(live.root.join("old.txt")).expect("rm");
    for i in 0..300 {
        write(
            &live.root,
            &format!("f{i}.txt"),
            format!("overflow item{i}"),
        );
    }
    assert!(eventually(|| live.indexed_paths().len() == 300));
    assert!(live.watcher().status().overflows >= 1);
    live.expect("old", &[]);
}

#[test]
fn polling_fallback_keeps_the_index_current_and_says_so() {
    let opts = WatchOptions::default()
        .with_force_polling(true)
        .with_poll_interval(Duration::from_millis(200));
    let live = Live::start(opts, |_| {});
    let st = live.watcher().status();
    assert_eq!(st.polling.len(), 1, "{st:?}");
    assert!(live
        .events()
        .iter()
        .any(|e| matches!(e, WatchEvent::Polling { .. })));
    write(&live.root, "sub/p.txt", "polled");
    live.expect("polled", &["p.txt"]);
    std::fs::remove_dir_all(live.root.join("sub")).expect("rm");
    live.expect("polled", &[]);
}

#[test]
fn changes_made_while_not_running_are_caught_up_on_start() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("docs");
    let data = tmp.path().join("data");
    write(&root, "keep.txt", "keeper");
    write(&root, "edit.txt", "before");
    write(&root, "gone.txt", "goner");
    index(&engine(&data), &root);
    // Downtime.
    std::fs::write(root.join("edit.txt"), "after the edit").expect("edit");
    std::fs::remove_file(root.join("gone.txt")).expect("rm");
    write(&root, "new/added.txt", "newcomer");
    let eng = Arc::new(engine(&data));
    let w = Watcher::start(eng.clone(), &[], WatchOptions::default(), |_| {}).expect("start");
    assert!(w.wait_idle(PATIENCE));
    assert_eq!(names(&search(&eng, "after")), vec!["edit.txt"]);
    assert!(names(&search(&eng, "goner")).is_empty());
    assert_eq!(names(&search(&eng, "newcomer")), vec!["added.txt"]);
    w.stop().expect("stop");
}

#[test]
fn pause_holds_changes_until_resume() {
    let live = Live::start(WatchOptions::default(), |_| {});
    live.watcher().pause();
    write(&live.root, "held.txt", "deferred");
    assert!(eventually(|| live.watcher().status().pending > 0));
    assert!(live.watcher().status().paused);
    assert!(live.finds("deferred").is_empty());
    live.watcher().resume();
    live.expect("deferred", &["held.txt"]);
}

#[cfg(unix)]
#[test]
fn symlinked_folders_are_not_followed_as_in_a_crawl() {
    let live = Live::start(WatchOptions::default(), |_| {});
    let outside = live.root.parent().expect("parent").join("elsewhere");
    write(&outside, "old.txt", "linked");
    std::os::unix::fs::symlink(&outside, live.root.join("link")).expect("symlink");
    write(&outside, "new.txt", "linked");
    write(&outside, "sub/deeper.txt", "linked");
    // A sentinel written last: once it is searchable, the rest was seen too.
    write(&live.root, "sentinel.txt", "sentinel");
    live.expect("sentinel", &["sentinel.txt"]);
    assert!(live.watcher().wait_idle(PATIENCE));
    assert_eq!(live.finds("linked"), Vec::<String>::new());
    assert_eq!(live.indexed_paths(), vec!["sentinel.txt"]);
}

/// The real MiniLM embedder behind a gate the test opens: while it is
/// closed, no passage can get a vector.
struct GatedEmbedder {
    inner: Box<dyn crumb_engine::models::Embedder>,
    open: Arc<(Mutex<bool>, std::sync::Condvar)>,
}

impl crumb_engine::models::Embedder for GatedEmbedder {
    fn id(&self) -> &str {
        self.inner.id()
    }
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn embed_passages(&self, texts: &[&str]) -> crumb_engine::Result<Vec<Vec<f32>>> {
        let (lock, cv) = &*self.open;
        let mut open = lock.lock().expect("gate");
        while !*open {
            open = cv.wait(open).expect("gate");
        }
        drop(open);
        self.inner.embed_passages(texts)
    }
    fn embed_query(&self, text: &str) -> crumb_engine::Result<Vec<f32>> {
        self.inner.embed_query(text)
    }
}

/// A saved file is found by its words while its embedding has not run (the
/// model is held at a gate, so this is ordering, not timing), a second
/// batch commits meanwhile, and both become meaning-searchable once the
/// trailing embedding queue gets the model.
#[test]
fn keyword_search_has_a_change_before_its_embedding_runs() {
    use crumb_engine::models::{load_embedder, ExecutionProvider};
    use crumb_engine::{Mode, SearchRequest};
    let minilm = crate::support::minilm_dir();
    if !crate::support::have(&minilm) {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("docs");
    std::fs::create_dir_all(&root).expect("mkdir");
    let engine = Arc::new(engine(&tmp.path().join("data")));
    let gate = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
    let real = load_embedder(&minilm, ExecutionProvider::Cpu).expect("embedder");
    engine.set_embedder(Some(Arc::new(GatedEmbedder {
        inner: real,
        open: gate.clone(),
    })));
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let watcher = Watcher::start(
        engine.clone(),
        std::slice::from_ref(&root),
        WatchOptions::default(),
        move |e| sink.lock().expect("events").push(e.clone()),
    )
    .expect("watcher");
    assert!(watcher.wait_idle(PATIENCE), "empty folder reconciled");

    write(
        &root,
        "kiln.txt",
        "Firing stoneware pottery in a wood kiln overnight.",
    );
    assert!(eventually(
        || names(&search(&engine, "stoneware")) == ["kiln.txt"]
    ));
    write(
        &root,
        "tyres.txt",
        "Pump the bicycle tyres before the trip.",
    );
    assert!(eventually(
        || names(&search(&engine, "tyres")) == ["tyres.txt"]
    ));
    let st = engine.status().expect("status");
    assert_eq!(st.vectors, 0, "nothing embedded while the model is held");
    assert!(
        watcher.status().embedding,
        "the watcher says embedding is behind"
    );
    assert!(!watcher.status().is_idle());

    *gate.0.lock().expect("gate") = true;
    gate.1.notify_all();
    assert!(watcher.wait_idle(PATIENCE), "embedding caught up");
    let st = engine.status().expect("status");
    assert_eq!(st.vectors, st.passages);
    let by_meaning = engine
        .search(
            &SearchRequest::new("ceramics and clay firing")
                .with_mode(Mode::Vector)
                .with_rerank(false),
        )
        .expect("search");
    assert_eq!(
        names(&by_meaning).first().map(String::as_str),
        Some("kiln.txt")
    );
    let embedded: u64 = events
        .lock()
        .expect("events")
        .iter()
        .map(|e| match e {
            WatchEvent::Embedded { passages } => *passages,
            _ => 0,
        })
        .sum();
    assert_eq!(embedded, 2, "each passage embedded once, and said so");
    watcher.stop().expect("stop");
}

/// The watcher's trailing thread reads scans behind keyword work: with text
/// recognition paused, a scan waits (counted) while a text file saved after
/// it is found at once; resumed, the scan's words are found at their page.
#[test]
fn scans_wait_for_text_recognition_while_keyword_edits_go_through() {
    let Some(live) = Live::with_ocr() else {
        return;
    };
    live.watcher().pause_recognition();
    write(
        &live.root,
        "scan.pdf",
        crate::ocr::image_pdf(&[
            crate::ocr::render("Copper kettles whistle loudly", "gray"),
            crate::ocr::render(crate::ocr::SENTENCE, "gray"),
        ]),
    );
    assert!(
        eventually(|| live.watcher().status().ocr_pending == 2),
        "{:?}",
        live.watcher().status()
    );
    live.expect("scan", &["scan.pdf"]);
    write(&live.root, "later.txt", "the zeppelin timetable changed");
    live.expect("zeppelin", &["later.txt"]);
    // Paused recognition is not work left: the watcher is idle, two pages wait.
    assert!(live.watcher().wait_idle(PATIENCE));
    let st = live.watcher().status();
    assert!(st.ocr_paused && st.ocr_pending == 2, "{st:?}");
    assert!(live.finds("marmalade").is_empty());

    live.watcher().resume_recognition();
    live.expect("marmalade", &["scan.pdf"]);
    assert!(live.watcher().wait_idle(PATIENCE));
    assert_eq!(live.watcher().status().ocr_pending, 0);
    let hits = search(&live.engine, "marmalade");
    assert_eq!(hits[0].location.page, Some(2));
    assert!(live
        .events()
        .iter()
        .any(|e| matches!(e, WatchEvent::Recognised { left: 0, .. })));
}

/// Pause takes hold after the page being read, and says when: the watcher
/// reports the step in flight, that step's event is the last, and no page
/// is read after it until resume.
#[test]
fn pausing_recognition_mid_page_finishes_that_page_then_reads_nothing() {
    let Some(live) = Live::with_ocr() else {
        return;
    };
    let words = [
        "amber", "basalt", "cobalt", "damask", "ermine", "fennel", "garnet", "hazel",
    ];
    for w in words {
        let text = format!("The {w} ledger was signed on Tuesday");
        write(
            &live.root,
            &format!("scan-{w}.png"),
            crate::ocr::render(&text, "png"),
        );
    }
    // Catch a page being read (each scan is one step); a pause that lands
    // between two steps has nothing in flight, so try again.
    let mut in_flight = false;
    for _ in 0..50 {
        assert!(
            eventually(|| live.watcher().status().recognising),
            "{:?}",
            live.watcher().status()
        );
        if live.watcher().pause_recognition() {
            in_flight = true;
            break;
        }
        live.watcher().resume_recognition();
    }
    assert!(in_flight, "never paused while a page was being read");
    assert!(eventually(|| !live.watcher().status().recognising));
    let events = |live: &Live| -> Vec<(u64, u64)> {
        live.events()
            .iter()
            .filter_map(|e| match e {
                WatchEvent::Recognised { pages, left } => Some((*pages, *left)),
                _ => None,
            })
            .collect()
    };
    let settled = events(&live);
    let left = live.watcher().status().ocr_pending;
    assert_eq!(
        settled.last().map(|e| e.1),
        Some(left),
        "the last step's event tells what is left"
    );
    assert!(
        left > 0,
        "every page was read before the pause: {settled:?}"
    );
    // Well past a step's time: nothing more is read while paused.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(events(&live), settled);
    assert_eq!(live.watcher().status().ocr_pending, left);
    assert!(!live.watcher().status().recognising);

    live.watcher().resume_recognition();
    assert!(live.watcher().wait_idle(PATIENCE));
    assert_eq!(live.watcher().status().ocr_pending, 0);
    for w in words {
        assert_eq!(live.finds(w), vec![format!("scan-{w}.png")], "{w}");
    }
}
