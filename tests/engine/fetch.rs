//! The model downloader against a real HTTP server on 127.0.0.1 that cuts its
//! first transfer partway, as flaky networks do. No mocks.

use crumb_engine::models::fetch::{fetch_model, sha256_file, verify_model, FileStatus};
use crumb_engine::models::manifest::{ModelEntry, ModelFile, ModelRole};
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

fn file(path: &str, data: &[u8], full_hash: bool) -> ModelFile {
    let h = sha(data);
    ModelFile {
        path: path.into(),
        variant: None,
        size: Some(data.len() as u64),
        approx_size: None,
        sha256: full_hash.then(|| h.clone()),
        sha256_prefix: (!full_hash).then(|| h[..8].to_string()),
        sha256_suffix: (!full_hash).then(|| h[60..].to_string()),
        default: true,
    }
}

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
        file("onnx/model_quantized.onnx", &model, false),
    ]);
    let dest = tempfile::tempdir().expect("tmp");
    let files: Vec<&ModelFile> = e.files.iter().collect();
    let mut seen = Vec::new();
    let got = fetch_model(&e, &files, &server.base, dest.path(), &mut |p| {
        seen.push(p.clone())
    })
    .expect("fetch");
    assert_eq!(got[0], ("config.json".into(), FileStatus::Verified));
    assert_eq!(
        got[1],
        (
            "onnx/model_quantized.onnx".into(),
            FileStatus::PartiallyVerified
        )
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
    fetch_model(&e, &files, &server.base, dest.path(), &mut |_| {}).expect("refetch");
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
    let got = fetch_model(&e, &files, &server.base, dest.path(), &mut |_| {}).expect("fetch");
    assert_eq!(got[0].1, FileStatus::Verified);
    let log = server.log.lock().expect("log").clone();
    assert_eq!(log, vec![(url, Some("bytes=12345-".to_string()))]);
}

#[test]
fn a_corrupt_download_is_rejected_and_removed() {
    let served = bytes(50_000, 1);
    let url = "/acme/test-model/resolve/main/tokenizer.json".to_string();
    let server = serve(HashMap::from([(url, served)]), vec![]);
    let mut spec = file("tokenizer.json", &bytes(50_000, 2), true);
    spec.size = None;
    let e = entry(vec![spec]);
    let dest = tempfile::tempdir().expect("tmp");
    let files: Vec<&ModelFile> = e.files.iter().collect();
    let err =
        fetch_model(&e, &files, &server.base, dest.path(), &mut |_| {}).expect_err("mismatch");
    assert!(err.to_string().contains("sha256"), "{err}");
    assert!(!dest.path().join("tokenizer.json").exists());
}

#[test]
fn verify_says_which_files_are_missing_unknown_or_verified() {
    let data = b"{}".to_vec();
    let mut unknown = file("tokenizer.json", &data, true);
    unknown.sha256 = None;
    let e = entry(vec![
        file("config.json", &data, true),
        unknown,
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
    assert_eq!(got["tokenizer.json"], FileStatus::UnknownHash);
    assert_eq!(got["onnx/model.onnx"], FileStatus::Missing);
}
