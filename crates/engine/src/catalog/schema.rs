//! Schema and migrations. `user_version` holds the schema version; each
//! migration runs in its own transaction, so a crash leaves the old version.

use crate::{Error, Result};
use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // v1: files, passages, vectors, pending lexical deletions.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE roots (path TEXT PRIMARY KEY, added_ns INTEGER NOT NULL);
    CREATE TABLE files (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        path TEXT NOT NULL UNIQUE,
        root TEXT NOT NULL,
        kind TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        hash TEXT,
        status TEXT NOT NULL,
        reason TEXT,
        title TEXT,
        indexed_ns INTEGER NOT NULL,
        lexical_synced INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX files_root ON files(root);
    CREATE INDEX files_unsynced ON files(lexical_synced) WHERE lexical_synced = 0;
    CREATE TABLE passages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        ord INTEGER NOT NULL,
        text TEXT NOT NULL,
        byte_start INTEGER NOT NULL,
        byte_end INTEGER NOT NULL,
        page INTEGER,
        line INTEGER,
        label TEXT
    );
    CREATE INDEX passages_file ON passages(file_id);
    CREATE TABLE vectors (
        passage_id INTEGER NOT NULL REFERENCES passages(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        dim INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (passage_id, model)
    );
    CREATE TABLE lexical_deletes (file_id INTEGER PRIMARY KEY);
    "#,
    // v2: a log of vector inserts and deletes, written by triggers in the
    // writer's transaction, so the in-memory vector snapshot catches up by
    // reading what changed instead of reloading everything
    // (`vectors::snapshot`). Deletes by cascade from passages fire the
    // delete trigger too. Existing vectors predate the log: a snapshot's
    // first load reads them all anyway.
    r#"
    CREATE TABLE vector_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        passage_id INTEGER NOT NULL,
        model TEXT NOT NULL,
        op INTEGER NOT NULL
    );
    CREATE TRIGGER vector_log_insert AFTER INSERT ON vectors BEGIN
        INSERT INTO vector_log (passage_id, model, op) VALUES (new.passage_id, new.model, 1);
    END;
    CREATE TRIGGER vector_log_update AFTER UPDATE ON vectors BEGIN
        INSERT INTO vector_log (passage_id, model, op) VALUES (old.passage_id, old.model, 0);
        INSERT INTO vector_log (passage_id, model, op) VALUES (new.passage_id, new.model, 1);
    END;
    CREATE TRIGGER vector_log_delete AFTER DELETE ON vectors BEGIN
        INSERT INTO vector_log (passage_id, model, op) VALUES (old.passage_id, old.model, 0);
    END;
    -- Names this catalog, so a vector snapshot copy on disk is never used
    -- with another one.
    INSERT OR IGNORE INTO meta (key, value) VALUES ('catalog_uid', lower(hex(randomblob(16))))
    "#,
    // v3: pages waiting for text recognition, the second indexing stage's
    // queue (`index::recognise`). Written with the file's row in the first
    // stage's transaction; gone with the file (cascade) or when the file is
    // rewritten; so a restart resumes from here.
    r#"
    CREATE TABLE ocr_pending (
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        page INTEGER NOT NULL,
        PRIMARY KEY (file_id, page)
    ) WITHOUT ROWID
    "#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`SCHEMA_VERSION`].
pub fn migrate(conn: &Connection) -> Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(Error::Input(format!(
            "this data dir was written by a newer Crumb (schema {current}, this build knows {SCHEMA_VERSION})"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = i as i64 + 1;
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {version}; COMMIT;"
        ))
        .inspect_err(|_| {
            let _ = conn.execute_batch("ROLLBACK");
        })?;
        tracing::info!(target: "catalog", version, "migrated catalog schema");
    }
    Ok(())
}
