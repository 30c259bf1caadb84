//! Recognises the text of image files with Crumb's OCR pipeline and prints
//! one JSON line per image: `{"path", "ms", "text"}` (ms: decoding and
//! recognition, models already loaded). Reads one path per line on stdin and
//! answers each line before reading the next, so a benchmark can interleave
//! it with another engine page by page (`scripts/bench-ocr.py`).
//!
//! Usage: ocr-images [--threads N] [--max-side PX] < list-of-paths

use crumb_engine::extract::decode_image;
use crumb_engine::ocr::{find_models, DetectOptions, Ocr};
use std::io::{BufRead, Write};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<usize>().ok())
    };
    crumb_engine::models::init_runtime(None)?;
    let threads = arg("--threads").unwrap_or_else(crumb_engine::models::physical_cores);
    let mut detect = DetectOptions::default();
    if let Some(side) = arg("--max-side") {
        detect.max_side = side as u32;
    }
    let ocr = Ocr::open(&find_models()?, threads)?.with_detect_options(detect);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let path = line.trim();
        if path.is_empty() {
            continue;
        }
        let start = Instant::now();
        let text = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| decode_image(&b).map_err(|e| e.to_string()))
            .and_then(|img| ocr.read(&img).map_err(|e| e.to_string()));
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        let row = match text {
            Ok(t) => serde_json::json!({"path": path, "ms": ms, "text": t}),
            Err(e) => serde_json::json!({"path": path, "ms": ms, "error": e}),
        };
        writeln!(out, "{row}")?;
        out.flush()?;
    }
    Ok(())
}
