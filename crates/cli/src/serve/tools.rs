//! What the HTTP API and the MCP tools both speak: search arguments, hits
//! with stable passage ids, `get` arguments, and the status report.

use super::Api;
use anyhow::{bail, Result};
use crumb_engine::passage::ReadRange;
use crumb_engine::{FileKind, Filters, Mode, SearchRequest};
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::{Component, Path};

/// The most hits one search returns.
pub const MAX_LIMIT: usize = 50;
/// The longest query accepted, in bytes.
const MAX_QUERY_BYTES: usize = 4096;

/// One string or several (`"type": "pdf"` or `"type": ["pdf", "docx"]`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// Arguments of a search.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// What to look for: words, phrases in quotes, or a question. The query
    /// language's operators work too (`type:pdf`, `in:folder`, `after:2024`, `-word`).
    pub query: String,
    /// Most files to return (default 10, at most 50).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Retrievers: `hybrid` (default), `bm25` (keywords only) or `vector` (meaning only).
    #[serde(default)]
    pub mode: Option<String>,
    /// Only these kinds of file: pdf, docx, xlsx, pptx, odt, epub, html,
    /// markdown, text, code, email, rtf, doc, xls, ppt…
    #[serde(default, rename = "type")]
    pub kinds: Option<OneOrMany>,
    /// Only files under this absolute folder.
    #[serde(default)]
    pub folder: Option<String>,
    /// Only files modified on or after this date (YYYY-MM-DD).
    #[serde(default)]
    pub after: Option<String>,
    /// Only files modified before this date (YYYY-MM-DD).
    #[serde(default)]
    pub before: Option<String>,
    /// Rerank the best files with the cross-encoder (default true, when one is loaded).
    #[serde(default)]
    pub rerank: Option<bool>,
}

impl SearchArgs {
    /// The engine request, or why these arguments cannot be one.
    pub fn to_request(&self) -> Result<SearchRequest> {
        if self.query.len() > MAX_QUERY_BYTES {
            bail!("query is longer than {MAX_QUERY_BYTES} bytes");
        }
        let limit = self.limit.unwrap_or(10);
        if limit == 0 || limit > MAX_LIMIT {
            bail!("limit must be between 1 and {MAX_LIMIT}");
        }
        let mode: Mode = match self.mode.as_deref() {
            None => Mode::Hybrid,
            Some(m) => m.parse()?,
        };
        let kinds = self
            .kinds
            .clone()
            .map(OneOrMany::into_vec)
            .unwrap_or_default()
            .iter()
            .map(|k| FileKind::parse(k).ok_or_else(|| anyhow::anyhow!("unknown type {k:?}")))
            .collect::<Result<Vec<_>>>()?;
        let folder = match self.folder.as_deref() {
            None => None,
            Some(f) => Some(checked_folder(f)?),
        };
        let rerank = self.rerank.unwrap_or(true);
        Ok(SearchRequest {
            query: self.query.clone(),
            limit,
            mode,
            rerank,
            rerank_top: if rerank { 20 } else { 0 },
            rerank_first: 0,
            filters: Filters {
                kinds,
                folder,
                modified_after: self
                    .after
                    .as_deref()
                    .map(crate::output::parse_date)
                    .transpose()?,
                modified_before: self
                    .before
                    .as_deref()
                    .map(crate::output::parse_date)
                    .transpose()?,
            },
            ..SearchRequest::default()
        })
    }
}

/// A folder filter only narrows what the index holds, but `..` in it is
/// refused outright: it is never needed, and only ever an attempt to reach
/// elsewhere. The folder itself is never opened.
fn checked_folder(f: &str) -> Result<String> {
    let p = Path::new(f);
    if !p.is_absolute() {
        bail!("folder must be an absolute path");
    }
    if p.components().any(|c| matches!(c, Component::ParentDir)) {
        bail!("folder must not contain `..`");
    }
    Ok(f.trim_end_matches('/').to_string())
}

/// Runs a search on the blocking pool and returns hits with passage ids.
pub async fn search(api: &Api, args: &SearchArgs) -> Result<Value> {
    // Arguments that cannot make a search are the caller's fault (400).
    let request = args
        .to_request()
        .map_err(|e| crumb_engine::Error::Input(format!("{e:#}")))?;
    let _slot = api.search_slots.acquire().await?;
    let engine = api.engine.clone();
    let (results, tag) = tokio::task::spawn_blocking(move || {
        let results = engine.search_results(&request, &|| false)?;
        anyhow::Ok((results, engine.index_tag()?))
    })
    .await??;
    let hits: Vec<Value> = results
        .hits
        .iter()
        .map(|h| {
            json!({
                "id": crumb_engine::passage::passage_ref_with(&tag, h.passage_id),
                "path": h.path,
                "title": h.title,
                "kind": h.kind,
                "modified": h.modified,
                "score": h.score,
                "snippet": h.snippet.text,
                "highlights": h.snippet.highlights,
                "location": h.location,
                "details": h.details,
                "matched": h.matched,
            })
        })
        .collect();
    Ok(json!({
        "hits": hits,
        "no_strong_match": results.no_strong_match,
        "problems": results.problems,
    }))
}

/// Arguments of `get`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetArgs {
    /// A passage id from a search hit (`id`).
    pub id: String,
    /// Passages of the same file before it to include (default 0, at most 16).
    #[serde(default)]
    pub before: Option<usize>,
    /// Passages after it to include (default 0, at most 16).
    #[serde(default)]
    pub after: Option<usize>,
    /// The most bytes of text to return (default 16384, at most 65536).
    #[serde(default)]
    pub max_bytes: Option<usize>,
}

/// Reads a passage (and its neighbours) by id, from the catalog only.
pub async fn get(api: &Api, args: &GetArgs) -> Result<Value> {
    let range = ReadRange::default()
        .with_neighbours(args.before.unwrap_or(0), args.after.unwrap_or(0))
        .with_max_bytes(args.max_bytes.unwrap_or(ReadRange::default().max_bytes));
    let engine = api.engine.clone();
    let id = args.id.clone();
    let text = tokio::task::spawn_blocking(move || engine.read_passage(&id, range)).await??;
    Ok(serde_json::to_value(text)?)
}

/// Counts, models and providers, and indexing progress under `--watch`.
pub async fn status(api: &Api) -> Result<Value> {
    let engine = api.engine.clone();
    let status = tokio::task::spawn_blocking(move || engine.status()).await??;
    let mut v = serde_json::to_value(status)?;
    v["indexing"] = match &api.progress {
        None => json!(null),
        Some(p) => serde_json::to_value(p.lock().ok().and_then(|s| s.clone()))?,
    };
    v["watching"] = json!(api.progress.is_some());
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: Value) -> SearchArgs {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn search_arguments_become_a_bounded_request() {
        let r = args(
            json!({"query": "tax", "type": ["pdf"], "folder": "/home/me/docs/",
            "after": "2024-01-01", "rerank": false, "mode": "bm25"}),
        )
        .to_request()
        .unwrap();
        assert_eq!(r.limit, 10);
        assert_eq!(r.mode, Mode::Bm25);
        assert!(!r.rerank);
        assert_eq!(r.filters.kinds, vec![FileKind::Pdf]);
        assert_eq!(r.filters.folder.as_deref(), Some("/home/me/docs"));
        assert_eq!(r.filters.modified_after, Some(1_704_067_200));
        assert!(args(json!({"query": "x", "limit": 51}))
            .to_request()
            .is_err());
        assert!(args(json!({"query": "x", "type": "nonsense"}))
            .to_request()
            .is_err());
    }

    #[test]
    fn folder_filters_with_parent_components_or_relative_paths_are_refused() {
        for f in ["/home/me/../../etc", "../etc", "docs", "/a/b/.."] {
            let e = args(json!({"query": "x", "folder": f})).to_request();
            assert!(e.is_err(), "{f} accepted");
        }
        assert!(
            serde_json::from_value::<SearchArgs>(json!({"query": "x", "path": "/etc"})).is_err()
        );
    }
}
