//! What `crumb` prints: JSON for scripts, short lines for people.

use anyhow::{bail, Result};
use crumb_engine::catalog::FileRecord;
use crumb_engine::progress::IndexingStep;
use crumb_engine::search::Matched;
use crumb_engine::{Hit, IndexReport, Status};
use serde_json::{json, Value};
use std::io::{IsTerminal, Write};

/// Hits as the JSON contract: `{path, score, snippet, location, details}` plus
/// extras. Each hit repeats the query's `no_strong_match`, so `--json` stays
/// an array of hits.
pub fn hits_json(hits: &[Hit], no_strong_match: bool) -> Value {
    Value::Array(
        hits.iter()
            .map(|h| {
                json!({
                    "path": h.path,
                    "score": h.score,
                    "snippet": h.snippet.text,
                    "highlights": h.snippet.highlights,
                    "location": h.location,
                    "details": h.details,
                    "title": h.title,
                    "kind": h.kind,
                    "modified": h.modified,
                    "file_id": h.file_id,
                    "passage_id": h.passage_id,
                    "matched": h.matched,
                    "no_strong_match": no_strong_match,
                })
            })
            .collect(),
    )
}

pub fn hits_human(hits: &[Hit], no_strong_match: bool) {
    if hits.is_empty() {
        println!("no matches");
        return;
    }
    if no_strong_match {
        println!("no strong match; the closest results:");
    }
    for (i, h) in hits.iter().enumerate() {
        let loc = h.location.display();
        let loc = if loc.is_empty() {
            String::new()
        } else {
            format!(" ({loc})")
        };
        let by_name = if h.matched == Matched::Name {
            "  (name)"
        } else {
            ""
        };
        println!("{:>2}. {}{}  [{:.3}]{by_name}", i + 1, h.path, loc, h.score);
        println!("    {}", h.snippet.text.replace('\n', " "));
    }
}

pub fn index_summary(r: &IndexReport) {
    println!("{}", r.summary());
    for f in &r.failures {
        println!("  not indexed: {}: {}", f.path, f.reason);
    }
    for p in &r.crawl_problems {
        println!("  unreadable: {}: {}", p.path, p.reason);
    }
}

pub fn status_human(s: &Status, failed: Option<&[FileRecord]>) {
    println!("data dir: {}", s.data_dir);
    for r in &s.roots {
        println!("folder:   {r}");
    }
    println!(
        "files:    {} indexed, {} failed, {} skipped; {} passages, {} vectors",
        s.files_indexed, s.files_failed, s.files_skipped, s.passages, s.vectors
    );
    println!(
        "ocr:      {} pages recognised, {} pages waiting for text recognition",
        s.recognised_pages, s.pending_ocr_pages
    );
    for (kind, c) in &s.by_type {
        println!(
            "  {kind:<9} {} indexed, {} failed, {} skipped",
            c.indexed, c.failed, c.skipped
        );
    }
    for m in &s.models {
        println!("{}: {} on {}", m.role, m.id, m.provider);
    }
    // Say what is off, not only what is on.
    for role in ["embedder", "reranker"] {
        if !s.models.iter().any(|m| m.role == role) {
            let what = if role == "embedder" {
                "meaning search is off"
            } else {
                "results are not reranked"
            };
            println!("{role}: none installed ({what}; see `crumb models list`)");
        }
    }
    if let Some(failed) = failed {
        println!("failed files:");
        for f in failed {
            println!(
                "  {}: {}",
                f.path,
                f.reason.as_deref().unwrap_or("unknown reason")
            );
        }
    }
}

/// Progress on stderr, only for a terminal.
pub fn progress(step: &IndexingStep) {
    let mut err = std::io::stderr();
    if !err.is_terminal() {
        return;
    }
    let line = match step {
        IndexingStep::Repairing => "repairing…".to_string(),
        IndexingStep::Crawling { seen } => format!("crawling… {seen} files"),
        IndexingStep::Indexing { done, total, .. } => format!("indexing {done}/{total}"),
        IndexingStep::Embedding { done, total } => format!("embedding {done}/{total}"),
        IndexingStep::Recognising { left, .. } => format!("recognising text: {left} pages left"),
        IndexingStep::Committing => "committing…".to_string(),
        IndexingStep::Done => return,
    };
    let _ = write!(err, "\r\x1b[K{line}");
    let _ = err.flush();
}

pub fn clear_progress() {
    let mut err = std::io::stderr();
    if err.is_terminal() {
        let _ = write!(err, "\r\x1b[K");
    }
}

/// `YYYY-MM-DD` to seconds since the epoch (UTC midnight).
pub fn parse_date(s: &str) -> Result<i64> {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts[..] else {
        bail!("bad date {s:?}: use YYYY-MM-DD");
    };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i64>(), m.parse::<i64>(), d.parse::<i64>()) else {
        bail!("bad date {s:?}: use YYYY-MM-DD");
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        bail!("bad date {s:?}: use YYYY-MM-DD");
    }
    // Howard Hinnant's days-from-civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok((era * 146_097 + doe - 719_468) * 86_400)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_parse_to_epoch_seconds() {
        assert_eq!(super::parse_date("1970-01-02").unwrap(), 86_400);
        assert_eq!(super::parse_date("2024-03-01").unwrap(), 1_709_251_200);
        assert!(super::parse_date("2024-13-01").is_err());
    }
}
