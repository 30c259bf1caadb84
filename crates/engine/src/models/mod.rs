//! Neural models: the embedder and the rerankers, behind traits so the search
//! pipeline can be tested with fakes and run with real ONNX models.

use serde::{Deserialize, Serialize};

/// Turns text into unit-length vectors.
pub trait Embedder: Send + Sync {
    /// Stable model id; vectors in the catalog are keyed by it.
    fn id(&self) -> &str;
    /// Vector dimension.
    fn dim(&self) -> usize;
    /// Embeds passages (documents), in order.
    fn embed_passages(&self, texts: &[&str]) -> crate::Result<Vec<Vec<f32>>>;
    /// Embeds a query; models with a query prefix apply it here.
    fn embed_query(&self, text: &str) -> crate::Result<Vec<f32>> {
        Ok(self.embed_passages(&[text])?.remove(0))
    }
    /// The execution provider that actually runs the model ("cpu", "cuda"…).
    fn provider(&self) -> String {
        "cpu".into()
    }
}

/// One passage's relevance to a query from a cross-encoder.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RerankScore {
    /// The raw model output.
    pub logit: f32,
    /// sigmoid(logit), in 0..1.
    pub score: f32,
}

impl RerankScore {
    /// Builds a score from a logit.
    pub fn from_logit(logit: f32) -> Self {
        RerankScore {
            logit,
            score: 1.0 / (1.0 + (-logit).exp()),
        }
    }
}

/// Scores (query, passage) pairs with a cross-encoder.
pub trait Reranker: Send + Sync {
    /// Stable model id.
    fn id(&self) -> &str;
    /// Scores each passage against the query, in order.
    fn score(&self, query: &str, passages: &[&str]) -> crate::Result<Vec<RerankScore>>;
    /// The execution provider that actually runs the model.
    fn provider(&self) -> String {
        "cpu".into()
    }
}
