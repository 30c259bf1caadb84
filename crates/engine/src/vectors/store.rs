//! The `vectors` table: one f32 little-endian blob per (passage, model).

use crate::{Error, Result};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

/// The table, as the catalog schema declares it; created here too so the
/// module works on any connection.
pub const VECTORS_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS vectors (
    passage_id INTEGER NOT NULL,
    model TEXT NOT NULL,
    dim INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (passage_id, model)
)";

/// Creates the `vectors` table when missing.
pub fn ensure_schema(conn: &Connection) -> Result<()> {
    conn.execute_batch(VECTORS_SCHEMA)?;
    Ok(())
}

/// Encodes a vector as little-endian f32 bytes (the on-disk format on every
/// platform).
pub fn encode_vector(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Decodes a blob written by [`encode_vector`]; `dim` must match its length.
pub fn decode_vector(blob: &[u8], dim: usize) -> Result<Vec<f32>> {
    if blob.len() != dim * 4 {
        return Err(Error::Bug(format!(
            "vector blob of {} bytes does not hold {dim} floats",
            blob.len()
        )));
    }
    Ok(blob
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Writes (or replaces) vectors for `model` in one transaction-sized batch.
/// Callers inside a larger transaction can pass its connection.
pub fn store_vectors(conn: &Connection, model: &str, items: &[(i64, &[f32])]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT OR REPLACE INTO vectors (passage_id, model, dim, data) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (id, v) in items {
        stmt.execute(params![id, model, v.len() as i64, encode_vector(v)])?;
    }
    Ok(())
}

/// One passage's vector for `model`, if stored.
pub fn load_vector(conn: &Connection, passage_id: i64, model: &str) -> Result<Option<Vec<f32>>> {
    let row: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT dim, data FROM vectors WHERE passage_id = ?1 AND model = ?2",
            params![passage_id, model],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    row.map(|(dim, data)| decode_vector(&data, dim.max(0) as usize))
        .transpose()
}

/// The vectors of `passage_ids` for `model`, in one query (a search
/// rescoring its 400 int8 candidates read them one by one before).
pub fn load_vectors(
    conn: &Connection,
    passage_ids: &[i64],
    model: &str,
) -> Result<HashMap<i64, Vec<f32>>> {
    let ids = crate::catalog::id_list(passage_ids)?;
    let mut stmt = conn.prepare_cached(
        "SELECT v.passage_id, v.dim, v.data FROM json_each(?1) AS j
         JOIN vectors AS v ON v.passage_id = j.value AND v.model = ?2",
    )?;
    let rows = stmt.query_map(params![ids, model], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, Vec<u8>>(2)?,
        ))
    })?;
    let mut out = HashMap::with_capacity(passage_ids.len());
    for row in rows {
        let (id, dim, data) = row?;
        out.insert(id, decode_vector(&data, dim.max(0) as usize)?);
    }
    Ok(out)
}

/// Removes the vectors of these passages (all models), e.g. when a file changes.
pub fn delete_vectors(conn: &Connection, passage_ids: &[i64]) -> Result<usize> {
    let mut stmt = conn.prepare_cached("DELETE FROM vectors WHERE passage_id = ?1")?;
    let mut n = 0;
    for id in passage_ids {
        n += stmt.execute(params![id])?;
    }
    Ok(n)
}

/// How many vectors `model` has (all models when `None`).
pub fn count_vectors(conn: &Connection, model: Option<&str>) -> Result<u64> {
    let n: i64 = match model {
        Some(m) => conn.query_row("SELECT COUNT(*) FROM vectors WHERE model = ?1", [m], |r| {
            r.get(0)
        })?,
        None => conn.query_row("SELECT COUNT(*) FROM vectors", [], |r| r.get(0))?,
    };
    Ok(n.max(0) as u64)
}

/// Of `passage_ids`, those without a vector for `model`: what a resumed
/// indexing run still has to embed.
pub fn missing_passages(conn: &Connection, model: &str, passage_ids: &[i64]) -> Result<Vec<i64>> {
    let mut stmt =
        conn.prepare_cached("SELECT 1 FROM vectors WHERE passage_id = ?1 AND model = ?2")?;
    let mut out = Vec::new();
    for &id in passage_ids {
        if !stmt.exists(params![id, model])? {
            out.push(id);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_round_trip_little_endian() {
        let v = [1.0f32, -0.5, 3.25];
        let b = encode_vector(&v);
        assert_eq!(&b[..4], &1.0f32.to_le_bytes());
        assert_eq!(decode_vector(&b, 3).ok(), Some(v.to_vec()));
        assert!(decode_vector(&b, 4).is_err());
    }

    #[test]
    fn vectors_load_in_one_query_for_the_ids_that_have_one() {
        let conn = Connection::open_in_memory().unwrap();
        ensure_schema(&conn).unwrap();
        let (a, b) = ([1.0f32, 0.0], [0.0f32, 1.0]);
        store_vectors(&conn, "m", &[(1, &a[..]), (2, &b[..])]).unwrap();
        store_vectors(&conn, "other", &[(3, &a[..])]).unwrap();
        let got = load_vectors(&conn, &[2, 3, 1, 99], "m").unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[&1], a);
        assert_eq!(got[&2], b);
    }
}
