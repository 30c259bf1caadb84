//! The HTTP side of `crumb serve`: one axum router on 127.0.0.1 with
//! `GET /health`, `POST /v1/search`, `POST /v1/rerank` (Cohere's shape),
//! `POST /v1/embeddings` (OpenAI's shape) and MCP at `/mcp`, every route
//! behind [`guard`]. Every error is JSON: `{"error": {"code", "type", "message"}}`.

use super::auth::{host_allowed, origin_allowed, Token};
use super::tools::{self, SearchArgs};
use super::Api;
use anyhow::{Context, Result};
use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde::Deserialize;
use serde_json::{json, Value};
use std::io::Write;
use std::sync::Arc;

/// The largest request body, in bytes.
pub const MAX_BODY: usize = 1 << 20;
/// The most documents one rerank request may score.
const MAX_DOCUMENTS: usize = 1000;
/// The most inputs one embeddings request may hold.
const MAX_INPUTS: usize = 256;
/// The longest document or input, in bytes (the models read 512 tokens at most).
const MAX_TEXT_BYTES: usize = 32 * 1024;

/// Binds 127.0.0.1:`port` (0: any free port), prints the address on stdout
/// and serves until Ctrl-C or SIGTERM.
pub async fn serve(api: Arc<Api>, token: Token, port: u16) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("listen on 127.0.0.1:{port}"))?;
    let port = listener.local_addr()?.port();
    let app = router(api, token, port);
    // Scripts (and the tests) read the address from this first line.
    println!("crumb serve: listening on http://127.0.0.1:{port}");
    std::io::stdout().flush().ok();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
        .context("serve")?;
    Ok(())
}

async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// What the guard needs.
#[derive(Clone)]
struct Guard {
    token: Token,
    port: u16,
}

/// The routes, each behind the guard.
pub fn router(api: Arc<Api>, token: Token, port: u16) -> Router {
    let hosts = ["127.0.0.1", "localhost", "[::1]"].map(|h| format!("{h}:{port}"));
    let mcp_api = api.clone();
    // rmcp checks Host too (its own DNS-rebinding defence); our guard has
    // already refused anything else by the time a request gets there.
    let mcp = StreamableHttpService::new(
        move || Ok(super::mcp::CrumbMcp::new(mcp_api.clone())),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default().with_allowed_hosts(hosts),
    );
    Router::new()
        .route("/health", get(health))
        .route("/v1/search", post(search))
        .route("/v1/rerank", post(rerank))
        .route("/v1/embeddings", post(embeddings))
        .nest_service("/mcp", mcp)
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .method_not_allowed_fallback(|| async {
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "wrong method for this endpoint",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(Guard { token, port }, guard))
        .with_state(api)
}

/// Refuses, before anything is read or run: a foreign `Host` (DNS
/// rebinding), a foreign `Origin` (a web page), a body over the limit, and a
/// missing or wrong token (`GET /health` excepted). Bodies without a length
/// are cut at the limit as they stream in.
async fn guard(State(g): State<Guard>, req: Request, next: Next) -> Response {
    let h = req.headers();
    let text = |name| h.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    if !host_allowed(text(header::HOST), g.port) {
        return error(
            StatusCode::FORBIDDEN,
            "forbidden_host",
            "Host must be 127.0.0.1 or localhost with this server's port",
        );
    }
    if !origin_allowed(text(header::ORIGIN), g.port) {
        return error(
            StatusCode::FORBIDDEN,
            "forbidden_origin",
            "requests from web pages are not accepted",
        );
    }
    let length = text(header::CONTENT_LENGTH).and_then(|l| l.parse::<u64>().ok());
    if length.is_some_and(|l| l > MAX_BODY as u64) {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            &format!("request bodies are limited to {MAX_BODY} bytes"),
        );
    }
    let open = req.method() == Method::GET && req.uri().path() == "/health";
    if !open && !g.token.admits(text(header::AUTHORIZATION)) {
        let mut r = error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong bearer token (Authorization: Bearer …; see `crumb serve --help`)",
        );
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    }
    let req = req.map(|b| Body::new(http_body_util::Limited::new(b, MAX_BODY)));
    next.run(req).await
}

/// A JSON error response.
pub fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "type": code, "message": message}})),
    )
        .into_response()
}

/// A refused body: malformed JSON, the wrong fields, too large.
fn rejected(r: JsonRejection) -> Response {
    let code = match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "not_json",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_request",
        _ => "invalid_json",
    };
    error(r.status(), code, &r.body_text())
}

fn bad_request(e: impl std::fmt::Display) -> Response {
    error(StatusCode::BAD_REQUEST, "invalid_request", &e.to_string())
}

/// Engine errors: the caller's input is theirs (400), the rest ours (500).
fn failed(e: anyhow::Error) -> Response {
    match e.downcast_ref::<crumb_engine::Error>() {
        Some(crumb_engine::Error::Input(m)) => bad_request(m),
        _ => {
            tracing::warn!(target: "serve", "{e:#}");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                &format!("{e:#}"),
            )
        }
    }
}

async fn health(State(api): State<Arc<Api>>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "reranker": api.rerank.as_ref().map(|q| &q.model),
        "embedder": api.embed.as_ref().map(|q| &q.model),
    }))
}

async fn search(
    State(api): State<Arc<Api>>,
    body: Result<Json<SearchArgs>, JsonRejection>,
) -> Response {
    let Json(args) = match body {
        Ok(b) => b,
        Err(r) => return rejected(r),
    };
    match tools::search(&api, &args).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => failed(e),
    }
}

/// A document to rerank: a string, or `{"text": …}` as Cohere also takes.
#[derive(Deserialize)]
#[serde(untagged)]
enum Document {
    Text(String),
    Object { text: String },
}

impl Document {
    fn text(&self) -> &str {
        match self {
            Document::Text(t) | Document::Object { text: t } => t,
        }
    }
}

/// Cohere's rerank request (also Jina's, llama.cpp's and LiteLLM's).
/// Unknown fields (`rank_fields`, `max_chunks_per_doc`…) are ignored.
#[derive(Deserialize)]
struct RerankBody {
    #[serde(default)]
    model: Option<String>,
    query: String,
    documents: Vec<Document>,
    #[serde(default)]
    top_n: Option<usize>,
    #[serde(default)]
    return_documents: Option<bool>,
}

async fn rerank(
    State(api): State<Arc<Api>>,
    body: Result<Json<RerankBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(r) => return rejected(r),
    };
    let Some(queue) = api.rerank.as_ref() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_model",
            "no reranker is loaded (start with --reranker DIR|NAME)",
        );
    };
    if let Some(m) = b.model.as_deref().filter(|m| *m != queue.model) {
        return bad_request(format!(
            "model {m:?} is not loaded; this server reranks with {:?}",
            queue.model
        ));
    }
    if b.documents.is_empty() || b.documents.len() > MAX_DOCUMENTS {
        return bad_request(format!("documents must hold 1 to {MAX_DOCUMENTS} texts"));
    }
    if b.query.trim().is_empty() || b.query.len() > MAX_TEXT_BYTES {
        return bad_request(format!("query must be 1 to {MAX_TEXT_BYTES} bytes"));
    }
    if b.documents.iter().any(|d| d.text().len() > MAX_TEXT_BYTES) {
        return bad_request(format!(
            "each document is limited to {MAX_TEXT_BYTES} bytes"
        ));
    }
    let texts: Vec<String> = b.documents.iter().map(|d| d.text().to_string()).collect();
    let scores = match queue.score(b.query, texts).await {
        Ok(s) => s,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, "model", &e),
    };
    let mut order: Vec<usize> = (0..scores.len()).collect();
    // Best first; ties keep the callers' order.
    order.sort_by(|&a, &b| scores[b].score.total_cmp(&scores[a].score).then(a.cmp(&b)));
    order.truncate(b.top_n.unwrap_or(order.len()).max(1));
    let with_docs = b.return_documents.unwrap_or(false);
    let results: Vec<Value> = order
        .into_iter()
        .map(|i| {
            let mut r = json!({"index": i, "relevance_score": scores[i].score});
            if with_docs {
                r["document"] = json!({"text": b.documents[i].text()});
            }
            r
        })
        .collect();
    Json(json!({"model": queue.model, "results": results})).into_response()
}

/// One text or several.
#[derive(Deserialize)]
#[serde(untagged)]
enum Input {
    One(String),
    Many(Vec<String>),
}

/// OpenAI's embeddings request. Token-id inputs are refused (the shape
/// cannot say which tokenizer made them).
#[derive(Deserialize)]
struct EmbeddingsBody {
    input: Input,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    encoding_format: Option<String>,
    #[serde(default)]
    dimensions: Option<usize>,
}

async fn embeddings(
    State(api): State<Arc<Api>>,
    body: Result<Json<EmbeddingsBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(r) => return rejected(r),
    };
    let Some(queue) = api.embed.as_ref() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_model",
            "no embedder is loaded (start with --embedder DIR)",
        );
    };
    if let Some(m) = b.model.as_deref().filter(|m| *m != queue.model) {
        return bad_request(format!(
            "model {m:?} is not loaded; this server embeds with {:?}",
            queue.model
        ));
    }
    let inputs = match b.input {
        Input::One(s) => vec![s],
        Input::Many(v) => v,
    };
    if inputs.is_empty() || inputs.len() > MAX_INPUTS {
        return bad_request(format!("input must hold 1 to {MAX_INPUTS} texts"));
    }
    if inputs
        .iter()
        .any(|t| t.is_empty() || t.len() > MAX_TEXT_BYTES)
    {
        return bad_request(format!("each input must be 1 to {MAX_TEXT_BYTES} bytes"));
    }
    let base64 = match b.encoding_format.as_deref() {
        None | Some("float") => false,
        Some("base64") => true,
        Some(other) => {
            return bad_request(format!(
                "unknown encoding_format {other:?}; use float or base64"
            ))
        }
    };
    let tokens: usize = inputs
        .iter()
        .map(|t| crumb_engine::chunk::estimate_tokens(t))
        .sum();
    let vectors = match queue.embed(inputs).await {
        Ok(v) => v,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, "model", &e),
    };
    if let Some(d) = b
        .dimensions
        .filter(|d| vectors.first().is_some_and(|v| v.len() != *d))
    {
        return bad_request(format!(
            "this model gives {} dimensions, not {d}",
            vectors[0].len()
        ));
    }
    let data: Vec<Value> = vectors
        .iter()
        .enumerate()
        .map(|(index, v)| {
            let embedding = if base64 {
                let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                json!(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                json!(v)
            };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    Json(json!({
        "object": "list",
        "data": data,
        "model": queue.model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }))
    .into_response()
}
