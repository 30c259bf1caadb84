//! One owner per model, serving a queue: `/v1/rerank` and `/v1/embeddings`
//! callers send jobs, and the owner thread takes every job waiting when it
//! gets to the model and runs them together.
//!
//! - Embeddings: all waiting inputs go through one `embed_passages` call, so
//!   the model's own batch planner (sorted by length, bounded by rows and
//!   attention memory) packs texts of different callers into shared runs.
//! - Rerank: a cross-encoder scores (query, document) pairs of one query per
//!   call, so waiting jobs with the same query are merged into one call, and
//!   jobs with different queries run one after another, each over the whole
//!   session pool (`OrtModel::run_all`).
//!
//! The queue is bounded: when it is full, callers wait to enqueue (back
//! pressure) rather than pile up memory. The model runs on a plain thread,
//! never on the async runtime's workers.

use crumb_engine::models::{Embedder, RerankScore, Reranker};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Jobs that may wait for a model.
const QUEUE_JOBS: usize = 256;
/// The most jobs merged into one turn of the owner.
const MERGE_JOBS: usize = 64;

type Reply<T> = oneshot::Sender<Result<T, String>>;

struct RerankJob {
    query: String,
    documents: Vec<String>,
    reply: Reply<Vec<RerankScore>>,
}

/// The reranker's queue.
pub(crate) struct RerankQueue {
    tx: mpsc::Sender<RerankJob>,
    /// Model id (what `model` in a request must name, when given).
    pub model: String,
}

impl RerankQueue {
    /// Starts the owner thread of `reranker`.
    pub fn start(reranker: Arc<dyn Reranker>) -> RerankQueue {
        let (tx, mut rx) = mpsc::channel::<RerankJob>(QUEUE_JOBS);
        let model = reranker.id().to_string();
        std::thread::Builder::new()
            .name("api-rerank".into())
            .spawn(move || {
                while let Some(first) = rx.blocking_recv() {
                    let jobs = drain(first, &mut rx);
                    rerank_turn(reranker.as_ref(), jobs);
                }
            })
            .ok();
        RerankQueue { tx, model }
    }

    /// Scores `documents` against `query`, in order.
    pub async fn score(
        &self,
        query: String,
        documents: Vec<String>,
    ) -> Result<Vec<RerankScore>, String> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(RerankJob {
                query,
                documents,
                reply,
            })
            .await
            .map_err(|_| "the reranker stopped".to_string())?;
        rx.await.map_err(|_| "the reranker stopped".to_string())?
    }
}

/// The first job and whatever else is already waiting, up to [`MERGE_JOBS`].
fn drain<T>(first: T, rx: &mut mpsc::Receiver<T>) -> Vec<T> {
    let mut jobs = vec![first];
    while jobs.len() < MERGE_JOBS {
        match rx.try_recv() {
            Ok(j) => jobs.push(j),
            Err(_) => break,
        }
    }
    jobs
}

/// Runs one turn: jobs grouped by query, one model call per query.
fn rerank_turn(reranker: &dyn Reranker, jobs: Vec<RerankJob>) {
    let mut by_query: HashMap<String, Vec<RerankJob>> = HashMap::new();
    for j in jobs {
        by_query.entry(j.query.clone()).or_default().push(j);
    }
    for (query, group) in by_query {
        let docs: Vec<&str> = group
            .iter()
            .flat_map(|j| j.documents.iter().map(String::as_str))
            .collect();
        tracing::debug!(target: "serve::batch", jobs = group.len(), pairs = docs.len(), "rerank run");
        let scored = reranker.score(&query, &docs).map_err(|e| e.to_string());
        split_replies(
            group,
            scored,
            |j: &RerankJob| j.documents.len(),
            |j: RerankJob| j.reply,
        );
    }
}

/// Hands each job its slice of a merged result (or the shared error).
fn split_replies<J, T: Clone>(
    jobs: Vec<J>,
    result: Result<Vec<T>, String>,
    len: impl Fn(&J) -> usize,
    reply: impl Fn(J) -> Reply<Vec<T>>,
) {
    let mut at = 0;
    for j in jobs {
        let n = len(&j);
        let part = match &result {
            Ok(all) => all
                .get(at..at + n)
                .map(<[T]>::to_vec)
                .ok_or_else(|| "the model returned too few results".to_string()),
            Err(e) => Err(e.clone()),
        };
        at += n;
        // A caller that gave up (closed connection) is no error.
        let _ = reply(j).send(part);
    }
}

struct EmbedJob {
    inputs: Vec<String>,
    reply: Reply<Vec<Vec<f32>>>,
}

/// The embedder's queue.
pub(crate) struct EmbedQueue {
    tx: mpsc::Sender<EmbedJob>,
    /// Model id.
    pub model: String,
}

impl EmbedQueue {
    /// Starts the owner thread of `embedder`.
    pub fn start(embedder: Arc<dyn Embedder>) -> EmbedQueue {
        let (tx, mut rx) = mpsc::channel::<EmbedJob>(QUEUE_JOBS);
        let model = embedder.id().to_string();
        std::thread::Builder::new()
            .name("api-embed".into())
            .spawn(move || {
                while let Some(first) = rx.blocking_recv() {
                    let jobs = drain(first, &mut rx);
                    let texts: Vec<&str> = jobs
                        .iter()
                        .flat_map(|j| j.inputs.iter().map(String::as_str))
                        .collect();
                    tracing::debug!(target: "serve::batch", jobs = jobs.len(), texts = texts.len(), "embed run");
                    let out = embedder.embed_passages(&texts).map_err(|e| e.to_string());
                    split_replies(jobs, out, |j: &EmbedJob| j.inputs.len(), |j: EmbedJob| j.reply);
                }
            })
            .ok();
        EmbedQueue { tx, model }
    }

    /// Embeds `inputs` as documents, in order.
    pub async fn embed(&self, inputs: Vec<String>) -> Result<Vec<Vec<f32>>, String> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(EmbedJob { inputs, reply })
            .await
            .map_err(|_| "the embedder stopped".to_string())?;
        rx.await.map_err(|_| "the embedder stopped".to_string())?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts model calls: a stand-in for the logic around the model only.
    struct Counting(AtomicUsize);
    impl Reranker for Counting {
        fn id(&self) -> &str {
            "counting"
        }
        fn score_cancellable(
            &self,
            _q: &str,
            passages: &[&str],
            _stop: &(dyn Fn() -> bool + Sync),
        ) -> crumb_engine::Result<Vec<RerankScore>> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(passages
                .iter()
                .map(|p| RerankScore::from_logit(p.len() as f32))
                .collect())
        }
    }

    #[test]
    fn waiting_jobs_with_one_query_share_a_model_call_and_get_their_own_scores() {
        let model = Counting(AtomicUsize::new(0));
        let mut replies = Vec::new();
        let mut jobs = Vec::new();
        for docs in [vec!["a", "bbb"], vec!["cc"], vec!["dddd", "e", "ff"]] {
            let (reply, rx) = oneshot::channel();
            jobs.push(RerankJob {
                query: "q".into(),
                documents: docs.iter().map(|d| d.to_string()).collect(),
                reply,
            });
            replies.push((docs, rx));
        }
        rerank_turn(&model, jobs);
        assert_eq!(
            model.0.load(Ordering::SeqCst),
            1,
            "one model call for three jobs"
        );
        for (docs, mut rx) in replies {
            let got = rx.try_recv().unwrap().unwrap();
            let want: Vec<f32> = docs
                .iter()
                .map(|d| RerankScore::from_logit(d.len() as f32).score)
                .collect();
            assert_eq!(got.iter().map(|s| s.score).collect::<Vec<_>>(), want);
        }
    }
}
