//! Read-only catalog connections for searches.
//!
//! SQLite in WAL mode lets any number of readers run beside the one writer,
//! each on the last committed state. Searches take a connection from this
//! pool, never the writer's, so a long write (a batch of files, a tantivy
//! commit, a vector store) does not hold them up. Connections are opened on
//! demand and kept for reuse; a rusqlite connection is not `Sync`, so each
//! is lent to one search at a time.

use super::Catalog;
use crate::{Error, Result};
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Mutex;

/// Idle connections kept: one per concurrent search on a small machine,
/// plus some for the local API's callers.
const KEEP_IDLE: usize = 8;

/// A pool of read-only connections to one catalog file.
pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Catalog>>,
    /// A connection that only ever asks `data_version`: it changes exactly
    /// when another connection (this process's writer, or another process)
    /// commits, which is what tells cached derived data (the vector index)
    /// that it is stale.
    version: Mutex<Option<Catalog>>,
}

impl Readers {
    /// A pool for the catalog at `path` (which must exist when the first
    /// connection is taken).
    pub fn new(path: PathBuf) -> Readers {
        Readers {
            path,
            idle: Mutex::new(Vec::new()),
            version: Mutex::new(None),
        }
    }

    /// A connection for one search; it goes back to the pool when dropped.
    pub fn get(&self) -> Result<Reader<'_>> {
        let pooled = self.idle.lock().map_err(poisoned)?.pop();
        let cat = match pooled {
            Some(c) => c,
            None => Catalog::open_read_only(&self.path)?,
        };
        Ok(Reader {
            pool: self,
            cat: Some(cat),
        })
    }

    /// The catalog's change counter as seen from outside every writer.
    pub fn data_version(&self) -> Result<i64> {
        let mut v = self.version.lock().map_err(poisoned)?;
        if v.is_none() {
            *v = Some(Catalog::open_read_only(&self.path)?);
        }
        match v.as_ref() {
            Some(c) => c.data_version(),
            None => Err(Error::Bug("version connection missing".into())),
        }
    }
}

/// A pooled read-only catalog connection.
pub struct Reader<'a> {
    pool: &'a Readers,
    cat: Option<Catalog>,
}

impl Deref for Reader<'_> {
    type Target = Catalog;
    fn deref(&self) -> &Catalog {
        // Only `drop` takes it out.
        self.cat
            .as_ref()
            .expect("reader connection present until drop")
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let (Some(cat), Ok(mut idle)) = (self.cat.take(), self.pool.idle.lock()) {
            if idle.len() < KEEP_IDLE {
                idle.push(cat);
            }
        }
    }
}

fn poisoned<T>(_: T) -> Error {
    Error::Bug("reader pool lock poisoned".into())
}
