//! Errors as they cross to the webview: always `{ code, message }`.

use crumb_engine::WireError;

/// What every command returns.
pub type CmdResult<T> = Result<T, WireError>;

/// Converts an app-side error. Engine errors keep their stable code; anything
/// else is reported as `app`.
pub fn wire(e: anyhow::Error) -> WireError {
    match e.downcast_ref::<crumb_engine::Error>() {
        Some(engine) => engine.to_wire(),
        None => WireError {
            code: "app".into(),
            message: format!("{e:#}"),
        },
    }
}

/// Converts an engine error.
pub fn engine(e: crumb_engine::Error) -> WireError {
    e.to_wire()
}

/// An error with an app-specific code.
pub fn coded(code: &str, message: impl Into<String>) -> WireError {
    WireError {
        code: code.into(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_errors_keep_their_code_through_anyhow() {
        let e = anyhow::Error::new(crumb_engine::Error::Cancelled);
        assert_eq!(wire(e).code, "cancelled");
        assert_eq!(wire(anyhow::anyhow!("boom")).code, "app");
    }
}
