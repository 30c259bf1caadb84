//! The SQLite catalog: the source of truth for files, passages and vectors.
//! The tantivy index is derived from it and repaired from it after a crash.

mod files;
mod ocr_pending;
mod passages;
mod readers;
mod schema;

pub use files::{FileRecord, FileStatus, NewFile};
pub use ocr_pending::Recognised;
pub use passages::{FileWrite, StoredPassage};
pub use readers::{Reader, Readers};

use crate::Result;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

/// A connection to the catalog database.
pub struct Catalog {
    conn: Connection,
}

/// How much of the catalog file a read-only connection maps.
const READER_MMAP_BYTES: i64 = 256 << 20;

/// Ids as one SQL parameter, a JSON array that `json_each(?)` reads back: one
/// statement, cached, for any number of ids, where `IN (?, ?, …)` would be a
/// new statement per count.
pub(crate) fn id_list(ids: &[i64]) -> Result<String> {
    serde_json::to_string(ids).map_err(|e| crate::Error::Bug(format!("encode ids: {e}")))
}

impl Catalog {
    /// Opens (creating and migrating if needed) the catalog at `path`.
    pub fn open(path: &Path) -> Result<Catalog> {
        let conn = Connection::open(path)?;
        configure(&conn)?;
        schema::migrate(&conn)?;
        Ok(Catalog { conn })
    }

    /// Opens an existing catalog for reading only: never writes, never migrates.
    pub fn open_read_only(path: &Path) -> Result<Catalog> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        // Searches read scattered passages: through a memory map instead of
        // a read() and a copy per page, a fifth of a keyword search at
        // SciFact size. Bounded, so a reader's resident memory stays so too.
        conn.pragma_update(None, "mmap_size", READER_MMAP_BYTES)?;
        Ok(Catalog { conn })
    }

    /// The raw connection, for modules that own their own tables (vectors).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Mutable access, for transactions.
    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Reads a value from the meta table.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// Writes a value to the meta table.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    // WAL lets `crumb search` read while `crumb watch` writes; NORMAL sync is
    // durable across application crashes, which is the failure we design for.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}
