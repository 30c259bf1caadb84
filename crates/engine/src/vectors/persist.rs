//! A vector snapshot's copy on disk, so a process starts searching by
//! meaning without decoding every vector from SQLite: at a million passages
//! that decode took 3.5 s, reading this file a fraction of it.
//!
//! It is a cache, never a source of truth: it names the catalog it came from
//! (`catalog_uid` in `meta`) and the vector-log position it reflects, and is
//! only used when the catalog is the same one and its log still holds every
//! change since (the snapshot then catches up from the log). Anything else,
//! a torn or foreign file included, means a full load from SQLite. Only the
//! writer writes it, to a temporary file renamed into place.
//!
//! Layout (little-endian): magic, format version, dim, rows, log position,
//! catalog uid and model id (length-prefixed), then rows × i64 ids
//! (ascending), rows × f32 scales, rows × dim int8 codes.

use super::index::VectorIndex;
use crate::{Error, Result};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"CRUMBVEC";
const VERSION: u32 = 1;

/// Where `model`'s snapshot copy lives under a data dir.
pub(crate) fn path_for(data_dir: &Path, model: &str) -> PathBuf {
    let safe: String = model
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(48)
        .collect();
    let tag = blake3::hash(model.as_bytes()).to_hex();
    data_dir
        .join("vectors")
        .join(format!("{safe}-{}.i8", &tag[..12]))
}

/// What a copy on disk holds besides its vectors.
pub(crate) struct Header {
    pub(crate) position: i64,
    pub(crate) catalog_uid: String,
}

/// Writes `rows` (id, segment index, row) of `segments`, which must be
/// sorted by id, to `path` atomically.
pub(crate) fn write(
    path: &Path,
    model: &str,
    header: &Header,
    segments: &[&VectorIndex],
    rows: &[(i64, usize, usize)],
) -> Result<()> {
    let io = |what: &str| {
        let what = format!("{what} {}", path.display());
        move |e| Error::io(what, e)
    };
    let dim = segments.first().map(|s| s.dim()).unwrap_or(0);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io("create the folder of"))?;
    }
    let tmp = path.with_extension("i8.tmp");
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&tmp).map_err(io("create"))?);
    let mut put = |bytes: &[u8]| w.write_all(bytes).map_err(io("write"));
    put(MAGIC)?;
    put(&VERSION.to_le_bytes())?;
    put(&(dim as u32).to_le_bytes())?;
    put(&(rows.len() as u64).to_le_bytes())?;
    put(&header.position.to_le_bytes())?;
    for s in [header.catalog_uid.as_str(), model] {
        put(&(s.len() as u32).to_le_bytes())?;
        put(s.as_bytes())?;
    }
    for (id, _, _) in rows {
        put(&id.to_le_bytes())?;
    }
    for &(_, seg, row) in rows {
        let (_, scales) = segments[seg]
            .int8_parts()
            .ok_or_else(|| Error::Bug("only int8 snapshots are persisted".into()))?;
        put(&scales[row].to_le_bytes())?;
    }
    for &(_, seg, row) in rows {
        if let Some((codes, _)) = segments[seg].int8_parts() {
            put(bytemuck::cast_slice(&codes[row * dim..(row + 1) * dim]))?;
        }
    }
    w.into_inner()
        .map_err(|e| Error::io(format!("write {}", path.display()), e.into_error()))?;
    std::fs::rename(&tmp, path).map_err(io("rename into place"))?;
    Ok(())
}

/// Reads `model`'s copy at `path`, if there is one and it came from the
/// catalog `catalog_uid`; `Ok(None)` for anything else (absent, another
/// catalog or model, another format, torn).
pub(crate) fn read(
    path: &Path,
    model: &str,
    catalog_uid: &str,
) -> Result<Option<(Header, VectorIndex)>> {
    let Ok(file) = File::open(path) else {
        return Ok(None);
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    match read_from(
        BufReader::with_capacity(1 << 20, file),
        len,
        model,
        catalog_uid,
    ) {
        Ok(found) => Ok(found),
        Err(e) => {
            tracing::warn!(target: "vectors::persist", path = %path.display(), error = %e, "ignoring an unreadable vector snapshot copy");
            Ok(None)
        }
    }
}

fn read_from(
    mut r: impl Read,
    len: u64,
    model: &str,
    catalog_uid: &str,
) -> std::io::Result<Option<(Header, VectorIndex)>> {
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic)?;
    let mut u32b = [0u8; 4];
    let mut u64b = [0u8; 8];
    let mut next_u32 = |r: &mut dyn Read| -> std::io::Result<u32> {
        r.read_exact(&mut u32b)?;
        Ok(u32::from_le_bytes(u32b))
    };
    if &magic != MAGIC || next_u32(&mut r)? != VERSION {
        return Ok(None);
    }
    let dim = next_u32(&mut r)? as usize;
    r.read_exact(&mut u64b)?;
    let rows = u64::from_le_bytes(u64b) as usize;
    r.read_exact(&mut u64b)?;
    let position = i64::from_le_bytes(u64b);
    let mut strings = Vec::new();
    for _ in 0..2 {
        let n = next_u32(&mut r)? as usize;
        if n > 4096 {
            return Ok(None);
        }
        let mut b = vec![0u8; n];
        r.read_exact(&mut b)?;
        strings.push(String::from_utf8_lossy(&b).into_owned());
    }
    if strings[0] != catalog_uid || strings[1] != model || dim == 0 || dim > 65_536 {
        return Ok(None);
    }
    // The header's size must be the file's before anything is allocated
    // from it: a torn or foreign file is ignored, never trusted.
    let head = 8 + 4 + 4 + 8 + 8 + 4 + strings[0].len() + 4 + strings[1].len();
    let body = (rows as u128) * (8 + 4 + dim as u128);
    if head as u128 + body != len as u128 {
        return Ok(None);
    }
    let mut bytes = vec![0u8; rows * 8];
    r.read_exact(&mut bytes)?;
    let ids: Vec<i64> = bytes
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap_or_default()))
        .collect();
    let mut bytes = vec![0u8; rows * 4];
    r.read_exact(&mut bytes)?;
    let scales: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap_or_default()))
        .collect();
    drop(bytes);
    let mut codes = vec![0i8; rows * dim];
    r.read_exact(bytemuck::cast_slice_mut(&mut codes))?;
    let index = VectorIndex::from_int8_parts(model, dim, ids, codes, scales)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
    Ok(Some((
        Header {
            position,
            catalog_uid: strings.swap_remove(0),
        },
        index,
    )))
}
