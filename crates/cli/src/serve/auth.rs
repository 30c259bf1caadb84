//! Who may use the API: a bearer token, and requests that a browser page on
//! another site cannot forge.
//!
//! - The token is `$CRUMB_API_TOKEN` when set; otherwise 32 random bytes made
//!   at first start and kept in `<config dir>/api-token`, readable by the
//!   user only (0600).
//! - `Host` must name this server on loopback (`127.0.0.1:P`, `localhost:P`,
//!   `[::1]:P`): a DNS-rebinding page reaches 127.0.0.1 under its own name.
//! - `Origin`, when a browser sends one, must be this server itself.

use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::Path;

/// The file holding the generated token, in the config dir.
pub const TOKEN_FILE: &str = "api-token";
/// The environment variable that overrides the stored token.
pub const TOKEN_ENV: &str = "CRUMB_API_TOKEN";

/// The bearer token.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// `$CRUMB_API_TOKEN`, or the stored token, or a new one stored now.
    pub fn load_or_create(config_dir: &Path) -> Result<Token> {
        Token::resolve(std::env::var(TOKEN_ENV).ok(), config_dir)
    }

    /// The token from `from_env` when it is set, else the stored one.
    fn resolve(from_env: Option<String>, config_dir: &Path) -> Result<Token> {
        if let Some(t) = from_env.filter(|t| !t.trim().is_empty()) {
            return Ok(Token(t.trim().to_string()));
        }
        let path = config_dir.join(TOKEN_FILE);
        match std::fs::read_to_string(&path) {
            Ok(t) if !t.trim().is_empty() => {
                check_private(&path)?;
                return Ok(Token(t.trim().to_string()));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("read {}", path.display())),
        }
        std::fs::create_dir_all(config_dir)
            .with_context(|| format!("create {}", config_dir.display()))?;
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        write_private(&path, &token)?;
        tracing::info!(target: "serve", path = %path.display(), "API token created");
        Ok(Token(token))
    }

    /// Whether an `Authorization` header value carries this token. Compared
    /// in constant time, so timing tells nothing about how much matched.
    pub fn admits(&self, header: Option<&str>) -> bool {
        let Some(given) = header.and_then(|h| h.strip_prefix("Bearer ")) else {
            return false;
        };
        let (a, b) = (given.trim().as_bytes(), self.0.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

#[cfg(unix)]
fn write_private(path: &Path, token: &str) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("create {}", path.display()))?;
    f.write_all(token.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, token: &str) -> Result<()> {
    // The per-user config dir is private to the user on Windows and macOS.
    let mut f =
        std::fs::File::create(path).with_context(|| format!("create {}", path.display()))?;
    f.write_all(token.as_bytes())?;
    Ok(())
}

/// A token file others can read is no secret: refuse it rather than serve.
#[cfg(unix)]
fn check_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        bail!(
            "{} is readable by other users (mode {:o}); run `chmod 600` on it",
            path.display(),
            mode & 0o777
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<()> {
    Ok(())
}

/// Whether a `Host` header names this server on loopback.
pub fn host_allowed(host: Option<&str>, port: u16) -> bool {
    let Some(host) = host else { return false };
    ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|h| host.eq_ignore_ascii_case(&format!("{h}:{port}")))
}

/// Whether an `Origin` header (absent for non-browser clients) is this server.
pub fn origin_allowed(origin: Option<&str>, port: u16) -> bool {
    match origin {
        None => true,
        Some(o) => ["127.0.0.1", "localhost", "[::1]"]
            .iter()
            .any(|h| o.eq_ignore_ascii_case(&format!("http://{h}:{port}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_is_admitted() {
        let t = Token("abc123".into());
        assert!(t.admits(Some("Bearer abc123")));
        for bad in [
            None,
            Some("abc123"),
            Some("Bearer abc12"),
            Some("Bearer abc1234"),
            Some("Basic abc123"),
        ] {
            assert!(!t.admits(bad), "{bad:?}");
        }
    }

    #[test]
    fn rebinding_hosts_and_foreign_origins_are_refused() {
        assert!(host_allowed(Some("127.0.0.1:7645"), 7645));
        assert!(host_allowed(Some("localhost:7645"), 7645));
        assert!(!host_allowed(Some("evil.example:7645"), 7645));
        assert!(!host_allowed(Some("127.0.0.1:80"), 7645));
        assert!(!host_allowed(Some("127.0.0.1"), 7645));
        assert!(!host_allowed(None, 7645));
        assert!(origin_allowed(None, 7645));
        assert!(origin_allowed(Some("http://127.0.0.1:7645"), 7645));
        assert!(!origin_allowed(Some("https://evil.example"), 7645));
        assert!(!origin_allowed(Some("null"), 7645));
    }

    #[test]
    fn a_generated_token_is_stored_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = Token::resolve(None, dir.path()).unwrap();
        let b = Token::resolve(None, dir.path()).unwrap();
        let set = Token::resolve(Some("from-env".into()), dir.path()).unwrap();
        assert_eq!(set.0, "from-env", "the variable wins over the file");
        assert_eq!(a.0, b.0);
        assert_eq!(a.0.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(TOKEN_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(
                dir.path().join(TOKEN_FILE),
                std::fs::Permissions::from_mode(0o644),
            )
            .unwrap();
            assert!(
                Token::resolve(None, dir.path()).is_err(),
                "a world-readable token is refused"
            );
        }
    }
}
