//! 1,000 random create, edit, rename and delete operations while watching
//! (starting during the start-up reconcile); then the watched index must
//! equal a fresh index of the final tree. `CRUMB_SEED=N` replays a run.

use super::eventually;
use crate::common::{engine, index, snapshot, write};
use crumb_engine::watch::{WatchEvent, WatchOptions, Watcher};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// xorshift64*: tiny, seedable, good enough to pick operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> Option<&'a T> {
        if v.is_empty() {
            None
        } else {
            v.get(self.below(v.len()))
        }
    }
}

const WORDS: &[&str] = &[
    "amber", "basil", "cedar", "delta", "ember", "fjord", "gravel", "harbor", "indigo", "juniper",
    "kelp", "lumen", "maple", "nectar", "onyx", "pebble", "quartz", "raven", "saffron", "tundra",
    "umber", "velvet", "willow", "xenon", "yarrow", "zephyr",
];

fn text(rng: &mut Rng) -> String {
    let n = 1 + rng.below(60);
    (0..n)
        .map(|_| *rng.pick(WORDS).unwrap_or(&"word"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The tree as the test believes it is.
struct Tree {
    root: PathBuf,
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl Tree {
    fn step(&mut self, rng: &mut Rng, i: usize) {
        let ext = [".txt", ".md"][rng.below(2)];
        match rng.below(100) {
            0..=32 => {
                let dir = rng.pick(&self.dirs).cloned().unwrap_or(self.root.clone());
                let p = dir.join(format!("f{i}{ext}"));
                std::fs::write(&p, text(rng)).expect("create");
                self.files.push(p);
            }
            33..=44 => {
                if let Some(p) = rng.pick(&self.files).cloned() {
                    std::fs::write(&p, text(rng)).expect("edit");
                }
            }
            45..=54 => {
                // Same size, new content: only the hash can tell.
                if let Some(p) = rng.pick(&self.files).cloned() {
                    let mut bytes = std::fs::read(&p).expect("read");
                    bytes.reverse();
                    std::fs::write(&p, bytes).expect("edit same size");
                }
            }
            55..=71 => {
                let Some(k) = (!self.files.is_empty()).then(|| rng.below(self.files.len())) else {
                    return;
                };
                let dir = rng.pick(&self.dirs).cloned().unwrap_or(self.root.clone());
                let to = dir.join(format!("r{i}{ext}"));
                std::fs::rename(&self.files[k], &to).expect("rename");
                self.files[k] = to;
            }
            72..=86 => {
                if !self.files.is_empty() {
                    let p = self.files.swap_remove(rng.below(self.files.len()));
                    std::fs::remove_file(p).expect("delete");
                }
            }
            87..=92 => {
                let parent = rng.pick(&self.dirs).cloned().unwrap_or(self.root.clone());
                let d = parent.join(format!("d{i}"));
                std::fs::create_dir(&d).expect("mkdir");
                self.dirs.push(d);
            }
            93..=98 => {
                let Some(from) = rng.pick(&self.dirs).cloned() else {
                    return;
                };
                let to = self.root.join(format!("moved{i}"));
                std::fs::rename(&from, &to).expect("rename dir");
                let remap = |p: &mut PathBuf| {
                    if let Ok(rest) = p.strip_prefix(&from) {
                        *p = to.join(rest);
                    }
                };
                self.files.iter_mut().for_each(remap);
                self.dirs.iter_mut().for_each(remap);
            }
            _ => {
                let Some(d) = rng.pick(&self.dirs).cloned() else {
                    return;
                };
                std::fs::remove_dir_all(&d).expect("rm dir");
                self.files.retain(|p| !p.starts_with(&d));
                self.dirs.retain(|p| !p.starts_with(&d));
            }
        }
    }
}

#[test]
fn random_operations_while_watching_match_a_fresh_index() {
    let seed = std::env::var("CRUMB_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(time_seed);
    eprintln!("random watch test: CRUMB_SEED={seed}");
    let mut rng = Rng(seed | 1);
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("docs");
    let data = tmp.path().join("data");
    let mut tree = Tree {
        root: root.clone(),
        files: Vec::new(),
        dirs: Vec::new(),
    };
    for i in 0..200 {
        let p = write(&root, &format!("seed{}/s{i}.txt", i % 8), text(&mut rng));
        tree.files.push(p);
    }
    tree.dirs = (0..8).map(|i| root.join(format!("seed{i}"))).collect();
    let eng = Arc::new(engine(&data));
    // Tiny, eager batches, so indexing races the operations all along;
    // operations start at once, while the start-up reconcile runs.
    let opts = WatchOptions::default()
        .with_quiet(Duration::from_millis(10))
        .with_max_wait(Duration::from_millis(50))
        .with_batch_paths(16);
    let w = Watcher::start(eng, std::slice::from_ref(&root), opts, |e| {
        if let WatchEvent::Error { error } = e {
            eprintln!("watcher error (retried): {}", error.message);
        }
    })
    .expect("start");
    for i in 0..1000 {
        tree.step(&mut rng, i);
        if i % 10 == 9 {
            std::thread::sleep(Duration::from_millis(rng.below(25) as u64));
        }
    }
    // The final tree, indexed from scratch.
    let fresh = tmp.path().join("fresh");
    index(&engine(&fresh), &root);
    let want = snapshot(&fresh, &root);
    let settled = eventually(|| w.status().is_idle() && snapshot(&data, &root) == want);
    let got = snapshot(&data, &root);
    eprintln!(
        "random watch test: {} files in the final tree, {} batches",
        want.len(),
        w.status().batches
    );
    assert!(settled || got == want, "seed {seed}: did not settle");
    assert_eq!(got.len(), want.len(), "seed {seed}");
    assert_eq!(got, want, "seed {seed}");
    w.stop().expect("stop");
}

fn time_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(42)
}
