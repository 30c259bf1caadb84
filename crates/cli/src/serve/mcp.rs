//! MCP tools over Crumb's index, through `rmcp` (the official Rust SDK):
//! `search`, `get` and `status`. The same handler serves stdio (`crumb mcp`)
//! and streamable HTTP (`crumb serve`, at `/mcp`).

use super::tools::{self, GetArgs, SearchArgs};
use super::Api;
use anyhow::Result;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{tool, tool_handler, tool_router, ErrorData, ServerHandler, ServiceExt};
use serde_json::{json, Value};
use std::sync::Arc;

/// The MCP server: tools over one read-only engine.
#[derive(Clone)]
pub struct CrumbMcp {
    api: Arc<Api>,
    tool_router: ToolRouter<Self>,
}

impl CrumbMcp {
    /// A server over `api`.
    pub fn new(api: Arc<Api>) -> Self {
        CrumbMcp {
            api,
            tool_router: Self::tool_router(),
        }
    }
}

/// A tool's answer: its JSON as structured content, or the error as a tool
/// error the agent can read (not a protocol error, which clients hide).
fn answer(result: Result<Value>) -> Result<CallToolResult, ErrorData> {
    Ok(match result {
        Ok(v) => CallToolResult::structured(v),
        Err(e) => {
            let code = match e.downcast_ref::<crumb_engine::Error>() {
                Some(err) => err.code(),
                None => "input",
            };
            CallToolResult::structured_error(
                json!({"error": {"code": code, "message": format!("{e:#}")}}),
            )
        }
    })
}

#[tool_router]
impl CrumbMcp {
    /// Search the person's indexed documents.
    #[tool(
        description = "Search the user's own indexed documents (PDF, Office, e-mail, notes, code…) by keyword and by meaning. Returns files, best first, each with `id` (pass it to `get` for the text), path, location (page or line), a snippet, and score details."
    )]
    async fn search(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        answer(tools::search(&self.api, &args).await)
    }

    /// The text of a passage by id.
    #[tool(
        description = "Read the text of a search hit by its `id` (only ids from `search` on this index are accepted; never paths). `before`/`after` add neighbouring passages of the same file; the text is bounded by `max_bytes`."
    )]
    async fn get(
        &self,
        Parameters(args): Parameters<GetArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        answer(tools::get(&self.api, &args).await)
    }

    /// Counts, models, providers and progress.
    #[tool(
        description = "What the index holds (files indexed, failed and skipped, per type; passages; vectors), the indexed folders, the models and the execution providers running them, and indexing progress."
    )]
    async fn status(&self) -> Result<CallToolResult, ErrorData> {
        answer(tools::status(&self.api).await)
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for CrumbMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("crumb", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Crumb searches the user's own documents on this machine. Call `search` with a query, then `get` with a hit's `id` to read its text.",
            )
    }
}

/// `crumb mcp`: serves MCP on stdin/stdout until the client closes them.
pub async fn serve_stdio(api: Arc<Api>) -> Result<()> {
    let service = CrumbMcp::new(api)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| anyhow::anyhow!("MCP start-up: {e}"))?;
    service
        .waiting()
        .await
        .map_err(|e| anyhow::anyhow!("MCP: {e}"))?;
    Ok(())
}
