//! The model downloader against a real HTTP server on 127.0.0.1 that cuts its
//! first transfer partway, as flaky networks do. No mocks.

use crumb_engine::models::fetch::{
    fetch_model, read_seen, sha256_file, verify_model, FetchPolicy, FileStatus, SEEN_FILE,
};
use crumb_engine::models::manifest::{ModelEntry, ModelFile, ModelRole, Pin};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// Requests seen: (path, Range header).
type RequestLog = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A tiny HTTP/1.1 file server. The first GET of each `cut` path sends the
/// full `Content-Length` but only half the body, then hangs up.
struct Server {
    base: String,
    log: RequestLog,
}

fn serve(files: HashMap<String, Vec<u8>>, cut: Vec<String>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = Arc::clone(&log);
    std::thread::spawn(move || {
        let mut cut_done: Vec<String> = Vec::new();
        for stream in listener.incoming().flatten() {
            let _ = handle(stream, &files, &cut, &mut cut_done, &log2);
        }
    });
    Server { base, log }
}

fn handle(
    mut stream: TcpStream,
    files: &HashMap<String, Vec<u8>>,
    cut: &[String],
    cut_done: &mut Vec<String>,
    log: &Mutex<Vec<(String, Option<String>)>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut range = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("range:") {
            range = Some(v.trim().to_string());
        }
    }
    log.lock().expect("log").push((path.clone(), range.clone()));
    let Some(body) = files.get(&path) else {
        return stream.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    };
    let start = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok())
        .unwrap_or(0)
        .min(body.len());
    let rest = &body[start..];
    let head = if start > 0 {
        format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {}-{}/{}\r\nConnection: close\r\n\r\n",
            rest.len(), start, body.len() - 1, body.len()
        )
    } else {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            rest.len()
        )
    };
    stream.write_all(head.as_bytes())?;
    if cut.contains(&path) && !cut_done.contains(&path) {
        cut_done.push(path);
        stream.write_all(&rest[..rest.len() / 2])?;
        stream.flush()?;
        return stream.shutdown(std::net::Shutdown::Both);
    }
    stream.write_all(rest)
}

fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u32).wrapping_mul(2654435761).to_le_bytes()[2] ^ seed)
        .collect()
}

fn sha(data: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("f");
    std::fs::write(&p, data).expect("write");
    sha256_file(&p).expect("sha").0
}

fn entry(files: Vec<ModelFile>) -> ModelEntry {
    ModelEntry {
        name: "test-model".into(),
        role: ModelRole::Reranker,
        repo: "acme/test-model".into(),
        revision: "main".into(),
        license: "apache-2.0".into(),
        model_type: "deberta-v2".into(),
        query_prefix: String::new(),
        bundled: false,
        files,
    }
}

/// A manifest record of `data`: its size and sha256 pinned, or both
/// "unpinned".
fn file(path: &str, data: &[u8], pinned: bool) -> ModelFile {
    ModelFile {
        path: path.into(),
        variant: None,
        size: if pinned {
            Pin::Pinned(data.len() as u64)
        } else {
            Pin::unpinned()
        },
        approx_size: None,
        sha256: if pinned {
            Pin::Pinned(sha(data))
        } else {
            Pin::unpinned()
        },
        default: true,
    }
}

const STRICT: FetchPolicy = FetchPolicy {
    allow_unpinned: false,
};
const ALLOW_UNPINNED: FetchPolicy = FetchPolicy {
    allow_unpinned: true,
};

#[test]
fn fetch_resumes_a_cut_transfer_with_range_and_verifies_sha256() {
    let model = bytes(700_000, 7);
    let config = br#"{"model_type":"deberta-v2"}"#.to_vec();
    let url_model = "/acme/test-model/resolve/main/onnx/model_quantized.onnx".to_string();
    let url_config = "/acme/test-model/resolve/main/config.json".to_string();
    let server = serve(
        HashMap::from([
            (url_model.clone(), model.clone()),
            (url_config.clone(), config.clone()),
        ]),
        vec![url_model.clone()],
    );
    let e = entry(vec![
        file("config.json", &config, true),
        file("onnx/model_quantized.onnx", &model, true),
    ]);
    let dest = tempfile::tempdir().expect("tmp");
    let files: Vec<&ModelFile> = e.files.iter().collect();
    let mut seen = Vec::new();
    let got = fetch_model(&e, &files, &server.base, dest.path(), STRICT, &mut |p| {
        seen.push(p.clone())
    })
    .expect("fetch");
    assert_eq!(got[0], ("config.json".into(), FileStatus::Verified));
    assert_eq!(
        got[1],
        ("onnx/model_quantized.onnx".into(), FileStatus::Verified)
    );
    assert_eq!(
        std::fs::read(dest.path().join("onnx/model_quantized.onnx")).expect("read"),
        model
    );
    assert!(!dest.path().join("onnx/model_quantized.onnx.part").exists());

    let log = server.log.lock().expect("log").clone();
    let model_reqs: Vec<_> = log.iter().filter(|(p, _)| *p == url_model).collect();
    assert_eq!(model_reqs.len(), 2, "{log:?}");
    assert_eq!(model_reqs[0].1, None);
    assert_eq!(
        model_reqs[1].1.as_deref(),
        Some(format!("bytes={}-", model.len() / 2).as_str())
    );
    // Progress ran to the end, with the total known.
    let last = seen
        .iter()
        .rev()
        .find(|p| p.file == "onnx/model_quantized.onnx")
        .expect("progress");
    assert_eq!(
        (last.done, last.total),
        (model.len() as u64, Some(model.len() as u64))
    );

    // A second fetch finds everything sound and downloads nothing.
    let before = server.log.lock().expect("log").len();
    fetch_model(&e, &files, &server.base, dest.path(), STRICT, &mut |_| {}).expect("refetch");
    assert_eq!(server.log.lock().expect("log").len(), before);
}

#[test]
fn a_part_left_by_an_earlier_run_is_resumed_not_restarted() {
    let model = bytes(200_000, 3);
    let url = "/acme/test-model/resolve/main/onnx/model.onnx".to_string();
    let server = serve(HashMap::from([(url.clone(), model.clone())]), vec![]);
    let e = entry(vec![file("onnx/model.onnx", &model, true)]);
    let dest = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(dest.path().join("onnx")).expect("mkdir");
    std::fs::write(dest.path().join("onnx/model.onnx.part"), &model[..12_345]).expect("part");
    let files: Vec<&ModelFile> = e.files.iter().collect();
    let got =
        fetch_model(&e, &files, &server.base, dest.path(), STRICT, &mut |_| {}).expect("fetch");
    assert_eq!(got[0].1, FileStatus::Verified);
    let log = server.log.lock().expect("log").clone();
    assert_eq!(log, vec![(url, Some("bytes=12345-".to_string()))]);
}

#[test]
fn a_corrupt_download_is_rejected_and_removed() {
    let served = bytes(50_000, 1);
    let url = "/acme/test-model/resolve/main/tokenizer.json".to_string();
    let server = serve(HashMap::from([(url, served)]), vec![]);
    // Same size, other bytes: only the sha256 can tell.
    let e = entry(vec![file("tokenizer.json", &bytes(50_000, 2), true)]);
    let dest = tempfile::tempdir().expect("tmp");
    let files: Vec<&ModelFile> = e.files.iter().collect();
    let err = fetch_model(&e, &files, &server.base, dest.path(), STRICT, &mut |_| {})
        .expect_err("mismatch");
    let msg = err.to_string();
    assert!(
        msg.contains("test-model/tokenizer.json")
            && msg.contains("does not match the manifest")
            && msg.contains("sha256"),
        "{msg}"
    );
    assert!(!dest.path().join("tokenizer.json").exists());
}

#[test]
fn an_unpinned_file_is_refused_unless_allowed_then_its_hash_is_recorded_and_a_change_caught() {
    let first = bytes(30_000, 5);
    let url = "/acme/test-model/resolve/main/onnx/model.onnx".to_string();
    let server = serve(HashMap::from([(url.clone(), first.clone())]), vec![]);
    let e = entry(vec![file("onnx/model.onnx", &first, false)]);
    let dest = tempfile::tempdir().expect("tmp");
    let files: Vec<&ModelFile> = e.files.iter().collect();

    let err = fetch_model(&e, &files, &server.base, dest.path(), STRICT, &mut |_| {})
        .expect_err("unpinned refused");
    assert!(
        err.to_string().contains("unpinned") && err.to_string().contains("--allow-unpinned"),
        "{err}"
    );
    assert!(
        server.log.lock().expect("log").is_empty(),
        "nothing fetched"
    );

    let got = fetch_model(
        &e,
        &files,
        &server.base,
        dest.path(),
        ALLOW_UNPINNED,
        &mut |_| {},
    )
    .expect("allowed");
    let FileStatus::Unpinned { sha256, recorded } = &got[0].1 else {
        panic!("{got:?}");
    };
    assert!(*recorded);
    assert_eq!(*sha256, sha(&first));
    let label = got[0].1.label();
    assert!(
        label.starts_with("unpinned") && label.contains("not verified"),
        "{label}"
    );
    assert_eq!(
        read_seen(dest.path())["onnx/model.onnx"].sha256,
        sha(&first)
    );
    assert!(dest.path().join(SEEN_FILE).is_file());

    // The file changes on disk: verify says so.
    std::fs::write(dest.path().join("onnx/model.onnx"), bytes(30_000, 6)).expect("w");
    let v = verify_model(&e, dest.path()).expect("verify");
    assert!(
        matches!(&v[0].1, FileStatus::Mismatch(why) if why.contains("recorded")),
        "{v:?}"
    );

    // Upstream changes: a re-download is refused, not silently accepted.
    let changed = serve(HashMap::from([(url, bytes(30_000, 9))]), vec![]);
    std::fs::remove_file(dest.path().join("onnx/model.onnx")).expect("rm");
    let err = fetch_model(
        &e,
        &files,
        &changed.base,
        dest.path(),
        ALLOW_UNPINNED,
        &mut |_| {},
    )
    .expect_err("changed upstream");
    assert!(
        err.to_string().contains("recorded at its first download"),
        "{err}"
    );
    assert!(!dest.path().join("onnx/model.onnx").exists());
}

#[test]
fn crumb_models_fetch_refuses_a_model_whose_bytes_do_not_match_the_manifest() {
    let real = bytes(40_000, 11);
    let served = bytes(40_000, 12);
    let url = "/acme/test-model/resolve/main/onnx/model_quantized.onnx".to_string();
    let config = br#"{"model_type":"bert"}"#.to_vec();
    let server = serve(
        HashMap::from([
            (url, served),
            (
                "/acme/test-model/resolve/main/config.json".to_string(),
                config.clone(),
            ),
        ]),
        vec![],
    );
    let mut e = entry(vec![
        file("config.json", &config, true),
        file("onnx/model_quantized.onnx", &real, true),
    ]);
    // A manifest entry for a known name, so `crumb models fetch` accepts it.
    e.name = "mxbai-embed-xsmall-v1".into();
    e.repo = "acme/test-model".into();
    let manifest = serde_json::json!({"version": 1, "base_url": server.base, "models": [e]});
    let tmp = tempfile::tempdir().expect("tmp");
    let manifest_path = tmp.path().join("manifest.json");
    std::fs::write(&manifest_path, manifest.to_string()).expect("w");
    let into = tmp.path().join("models");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_crumb"))
        .arg("--data-dir")
        .arg(tmp.path().join("data"))
        .args(["models", "fetch", "mxbai-embed-xsmall-v1", "--manifest"])
        .arg(&manifest_path)
        .arg("--into")
        .arg(&into)
        .output()
        .expect("run crumb");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("mxbai-embed-xsmall-v1/onnx/model_quantized.onnx")
            && err.contains("does not match the manifest")
            && err.contains(&sha(&real)),
        "{err}"
    );
    assert!(!into
        .join("mxbai-embed-xsmall-v1/onnx/model_quantized.onnx")
        .exists());
}

#[test]
fn verify_says_which_files_are_missing_unpinned_or_verified() {
    let data = b"{}".to_vec();
    let e = entry(vec![
        file("config.json", &data, true),
        file("tokenizer.json", &data, false),
        file("onnx/model.onnx", &data, true),
    ]);
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("config.json"), &data).expect("w");
    std::fs::write(dir.path().join("tokenizer.json"), &data).expect("w");
    let got: HashMap<String, FileStatus> = verify_model(&e, dir.path())
        .expect("verify")
        .into_iter()
        .collect();
    assert_eq!(got["config.json"], FileStatus::Verified);
    // An unpinned file is neither verified nor usable until accepted.
    assert_eq!(
        got["tokenizer.json"],
        FileStatus::Unpinned {
            sha256: sha(&data),
            recorded: false
        }
    );
    assert!(!got["tokenizer.json"].is_ok());
    assert_eq!(got["onnx/model.onnx"], FileStatus::Missing);
}

#[test]
fn an_unreachable_server_is_one_clear_offline_error_not_five_retries() {
    // A port that was just free: nothing listens there, so the connection is
    // refused, as when the machine is offline or the host is down.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let model = bytes(1000, 5);
    let e = entry(vec![file("onnx/model.onnx", &model, true)]);
    let dest = tempfile::tempdir().expect("tmp");
    let files: Vec<&ModelFile> = e.files.iter().collect();
    let base = format!("http://127.0.0.1:{port}");
    let err = fetch_model(&e, &files, &base, dest.path(), STRICT, &mut |_| {})
        .expect_err("nothing listens there")
        .to_string();
    assert!(err.contains("cannot reach http://127.0.0.1:"), "{err}");
    assert!(err.contains("offline"), "{err}");
    assert!(
        !err.contains("gave up after"),
        "not retried as a cut transfer: {err}"
    );
    assert!(!dest.path().join("onnx/model.onnx").exists());
}
