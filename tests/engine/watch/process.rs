//! `crumb watch` as a process: live results for a second `crumb` process,
//! a clean exit on SIGINT, and the polling fallback under a real
//! `max_user_watches` limit.

use super::eventually;
use crate::common::{crumb, crumb_bin, crumb_json, write};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running `crumb watch`, its stdout lines arriving on a channel.
struct WatchProcess {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl WatchProcess {
    fn spawn(mut cmd: Command) -> WatchProcess {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn crumb watch");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        WatchProcess {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a stdout line containing `needle`.
    fn wait_line(&mut self, needle: &str) {
        let deadline = Instant::now() + super::PATIENCE;
        while !self.seen.iter().any(|l| l.contains(needle)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => self.seen.push(l),
                Err(_) => panic!("no line with {needle:?}; saw {:?}", self.seen),
            }
        }
    }

    /// SIGINT, then the exit status and stderr.
    fn interrupt(mut self) -> (std::process::ExitStatus, String) {
        // SAFETY: signalling our own child by pid.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGINT);
        }
        let deadline = Instant::now() + super::PATIENCE;
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("crumb watch did not exit after SIGINT");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        (status, err)
    }
}

fn hit_paths(data: &Path, word: &str) -> Vec<String> {
    let out = crumb(data, &["search", word, "--json"]);
    if !out.status.success() {
        return Vec::new(); // the first commit may not have landed yet
    }
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|h| h["path"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn crumb_watch_serves_live_results_to_other_processes_and_stops_on_sigint() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("docs");
    let data = tmp.path().join("data");
    write(&root, "a.txt", "initial words");
    let mut cmd = Command::new(crumb_bin());
    cmd.arg("--data-dir").arg(&data).arg("watch").arg(&root);
    let mut p = WatchProcess::spawn(cmd);
    p.wait_line("watching for changes");
    let b = write(&root, "sub/b.txt", "livewire");
    assert!(eventually(|| hit_paths(&data, "livewire")
        .iter()
        .any(|h| h.ends_with("sub/b.txt"))));
    p.wait_line("updated 1");
    let st = crumb_json(&data, &["status", "--json"]);
    assert_eq!(st["files_indexed"], 2, "{st}");
    std::fs::remove_file(root.join("a.txt")).expect("rm");
    std::fs::rename(&b, root.join("c.txt")).expect("mv");
    assert!(eventually(|| hit_paths(&data, "initial").is_empty()));
    assert!(eventually(|| hit_paths(&data, "livewire")
        .iter()
        .any(|h| h.ends_with("/c.txt"))));
    let (status, stderr) = p.interrupt();
    assert!(status.success(), "exit {status:?}: {stderr}");
    // The writer lock is released: indexing works again at once.
    let out = crumb(&data, &["index", root.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether this machine lets us open a user namespace and set its own
/// inotify watch limit (Linux ≥ 5.11 with unprivileged user namespaces).
fn can_limit_watches() -> bool {
    Command::new("unshare")
        .args([
            "-U",
            "-r",
            "sh",
            "-c",
            "echo 5 > /proc/sys/user/max_inotify_watches",
        ])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `crumb watch` over `root` with a real inotify limit of `limit`
/// watches, for this process tree only.
fn watch_with_limit(limit: u32, data: &Path, root: &Path) -> WatchProcess {
    let script = format!(
        "echo {limit} > /proc/sys/user/max_inotify_watches && exec {} --data-dir {} watch --poll-interval 1 {}",
        crumb_bin().display(),
        data.display(),
        root.display()
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["-U", "-r", "sh", "-c", &script]);
    WatchProcess::spawn(cmd)
}

#[test]
fn watch_limit_falls_back_to_polling_and_tells_the_user() {
    if !can_limit_watches() {
        eprintln!("skipped: cannot set max_inotify_watches in a user namespace here");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("docs");
    let data = tmp.path().join("data");
    for i in 0..20 {
        write(&root, &format!("d{i}/f.txt"), format!("word{i}"));
    }
    let mut p = watch_with_limit(5, &data, &root);
    p.wait_line("watching for changes");
    let late = write(&root, "d7/late.txt", "latecomer");
    assert!(eventually(|| hit_paths(&data, "latecomer").len() == 1));
    // A second change, long after any start-up rescan: only polling sees it.
    std::fs::remove_file(late).expect("rm");
    let removed = eventually(|| hit_paths(&data, "latecomer").is_empty());
    let (status, stderr) = p.interrupt();
    assert!(removed, "removal not seen: {stderr}");
    assert!(status.success(), "exit {status:?}: {stderr}");
    assert!(
        stderr.contains("polling") && stderr.contains("max_user_watches"),
        "the user is told: {stderr}"
    );
}

#[test]
fn watch_limit_reached_while_watching_switches_to_polling() {
    if !can_limit_watches() {
        eprintln!("skipped: cannot set max_inotify_watches in a user namespace here");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("docs");
    let data = tmp.path().join("data");
    write(&root, "a/f.txt", "first");
    // Root and `a` fit in 4 watches; the new folders below do not.
    let mut p = watch_with_limit(4, &data, &root);
    p.wait_line("watching for changes");
    for i in 0..6 {
        write(&root, &format!("new{i}/deep/g.txt"), format!("grown{i}"));
    }
    assert!(eventually(|| hit_paths(&data, "grown5").len() == 1));
    write(&root, "new5/deep/h.txt", "afterwards");
    assert!(eventually(|| hit_paths(&data, "afterwards").len() == 1));
    let (status, stderr) = p.interrupt();
    assert!(status.success(), "exit {status:?}: {stderr}");
    assert!(stderr.contains("polling"), "the user is told: {stderr}");
}

#[test]
fn sigint_during_the_start_up_reconcile_exits_cleanly_with_a_consistent_index() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("docs");
    let data = tmp.path().join("data");
    for i in 0..400 {
        write(
            &root,
            &format!("d{}/f{i}.txt", i % 7),
            format!("bulk file {i} ").repeat(50),
        );
    }
    let mut cmd = Command::new(crumb_bin());
    cmd.arg("--data-dir").arg(&data).arg("watch").arg(&root);
    let p = WatchProcess::spawn(cmd);
    // Whether the reconcile is half done or finished, the exit must be clean.
    std::thread::sleep(Duration::from_millis(300));
    let (status, stderr) = p.interrupt();
    assert!(status.success(), "exit {status:?}: {stderr}");
    let st = crumb_json(&data, &["status", "--json"]);
    assert_eq!(
        st["passages"], st["lexical_docs"],
        "catalog and tantivy agree: {st}"
    );
    let out = crumb(&data, &["index", root.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let st = crumb_json(&data, &["status", "--json"]);
    assert_eq!(st["files_indexed"], 400, "{st}");
}
