//! Zip containers (OOXML, OpenDocument, EPUB) read under a decompression
//! budget, so a zip bomb fails with [`ExtractError::Limit`] instead of filling
//! memory.

use super::{ExtractError, Limits};
use std::io::{Cursor, Read};
use zip::result::ZipError;
use zip::ZipArchive;

/// The OLE2 compound-file magic: legacy Office files, and password-protected
/// OOXML files, which Office wraps in a compound file holding `EncryptedPackage`.
pub(crate) const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// A zip archive with a budget of bytes it may still inflate.
pub(crate) struct Archive<'a> {
    zip: Backend<'a>,
    budget: u64,
    limit: u64,
    kind: &'static str,
}

impl<'a> Archive<'a> {
    /// Opens `bytes` as the zip container of a `kind` document.
    pub(crate) fn open(
        bytes: &'a [u8],
        kind: &'static str,
        limits: &Limits,
    ) -> Result<Self, ExtractError> {
        if bytes.starts_with(CFB_MAGIC) {
            return Err(compound_file_error(bytes, kind));
        }
        let zip = match ZipArchive::new(Cursor::new(bytes)) {
            Ok(z) => Backend::Zip(z),
            Err(e) => {
                // A truncated file has lost its central directory at the end,
                // but the members before the cut can still be read in order.
                let members = salvage(bytes, limits.max_decompressed_bytes);
                if members.is_empty() {
                    return Err(zip_error(kind, e));
                }
                tracing::warn!(target: "index::extract", "damaged {kind} zip ({e}); read {} members before the damage", members.len());
                Backend::Salvaged(members)
            }
        };
        Ok(Archive {
            zip,
            budget: limits.max_decompressed_bytes,
            limit: limits.max_decompressed_bytes,
            kind,
        })
    }

    /// Names of all members, in archive order.
    pub(crate) fn names(&self) -> Vec<String> {
        match &self.zip {
            Backend::Zip(z) => z.file_names().map(str::to_string).collect(),
            Backend::Salvaged(m) => m.iter().map(|(n, _)| n.clone()).collect(),
        }
    }

    /// True when the archive has a member called `name`.
    pub(crate) fn contains(&self, name: &str) -> bool {
        match &self.zip {
            Backend::Zip(z) => z.index_for_name(name).is_some(),
            Backend::Salvaged(m) => m.iter().any(|(n, _)| n == name),
        }
    }

    /// Inflates member `name`, charging it to the budget. `Ok(None)` when absent.
    pub(crate) fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, ExtractError> {
        let kind = self.kind;
        let limit = self.limit;
        let zip = match &mut self.zip {
            Backend::Zip(z) => z,
            // Salvaged members were inflated (and charged) when salvaged.
            Backend::Salvaged(m) => {
                return Ok(m.iter().find(|(n, _)| n == name).map(|(_, b)| b.clone()))
            }
        };
        let mut file = match zip.by_name(name) {
            Ok(f) => f,
            Err(ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(zip_error(kind, e)),
        };
        // The declared size can lie, so it is only a first check; the read
        // below is capped at the budget whatever the header says.
        if file.size() > self.budget {
            return Err(bomb(name, limit));
        }
        let mut out = Vec::with_capacity(file.size().min(1 << 20) as usize);
        let cap = self.budget + 1;
        (&mut file)
            .take(cap)
            .read_to_end(&mut out)
            .map_err(|e| ExtractError::corrupt(kind, format!("{name}: {e}")))?;
        if out.len() as u64 > self.budget {
            return Err(bomb(name, limit));
        }
        self.budget -= out.len() as u64;
        Ok(Some(out))
    }

    /// Like [`Archive::read`], but a missing member is an error.
    pub(crate) fn require(&mut self, name: &str) -> Result<Vec<u8>, ExtractError> {
        self.read(name)?
            .ok_or_else(|| ExtractError::corrupt(self.kind, format!("missing part {name}")))
    }
}

enum Backend<'a> {
    Zip(ZipArchive<Cursor<&'a [u8]>>),
    /// Members read one by one from the local headers of a damaged archive.
    Salvaged(Vec<(String, Vec<u8>)>),
}

/// Reads members in file order until the data ends or breaks, within `budget`.
fn salvage(bytes: &[u8], mut budget: u64) -> Vec<(String, Vec<u8>)> {
    let mut cur = Cursor::new(bytes);
    let mut out = Vec::new();
    while let Ok(Some(mut f)) = zip::read::read_zipfile_from_stream(&mut cur) {
        let name = f.name().to_string();
        let mut buf = Vec::new();
        match (&mut f).take(budget + 1).read_to_end(&mut buf) {
            Ok(_) if (buf.len() as u64) <= budget => {
                budget -= buf.len() as u64;
                out.push((name, buf));
            }
            _ => break,
        }
        if out.len() > 10_000 {
            break;
        }
    }
    out
}

fn bomb(name: &str, limit: u64) -> ExtractError {
    ExtractError::Limit(format!(
        "{name} inflates to more than {} MiB (zip bomb?)",
        limit >> 20
    ))
}

fn zip_error(kind: &str, e: ZipError) -> ExtractError {
    match e {
        ZipError::UnsupportedArchive(ZipError::PASSWORD_REQUIRED) | ZipError::InvalidPassword => {
            ExtractError::Encrypted(kind.to_string())
        }
        other => ExtractError::corrupt(kind, format!("not a valid zip container ({other})")),
    }
}

/// Explains a compound file where a zip container was expected: either an
/// encrypted OOXML document or a legacy binary file with a new extension.
fn compound_file_error(bytes: &[u8], kind: &str) -> ExtractError {
    if is_encrypted_package(bytes) {
        return ExtractError::Encrypted(kind.to_string());
    }
    match cfb::CompoundFile::open(Cursor::new(bytes)) {
        Ok(_) => ExtractError::corrupt(kind, "a legacy binary Office file, not OOXML/zip"),
        Err(e) => ExtractError::corrupt(kind, format!("damaged compound file ({e})")),
    }
}

/// True for an OOXML file encrypted by Office: a compound file with an
/// `EncryptedPackage` stream. The raw name is searched too, because such
/// files are often slightly damaged compound files that `cfb` refuses.
pub(crate) fn is_encrypted_package(bytes: &[u8]) -> bool {
    if !bytes.starts_with(CFB_MAGIC) {
        return false;
    }
    if cfb::CompoundFile::open(Cursor::new(bytes)).is_ok_and(|c| c.exists("/EncryptedPackage")) {
        return true;
    }
    let needle: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    bytes.windows(needle.len()).any(|w| w == needle.as_slice())
}

/// Resolves `target` (from a `.rels` file or a manifest) against the folder
/// of `base`, handling `..` and absolute targets.
pub(crate) fn resolve(base: &str, target: &str) -> String {
    let target = target.split('#').next().unwrap_or_default();
    let mut parts: Vec<&str> = if let Some(abs) = target.strip_prefix('/') {
        return normalise(abs.split('/').collect());
    } else {
        base.split('/').collect()
    };
    parts.pop();
    parts.extend(target.split('/'));
    normalise(parts)
}

fn normalise(parts: Vec<&str>) -> String {
    let mut out: Vec<&str> = Vec::new();
    for p in parts {
        match p {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            p => out.push(p),
        }
    }
    out.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_and_absolute_targets() {
        assert_eq!(
            resolve("ppt/slides/slide1.xml", "../notesSlides/n1.xml"),
            "ppt/notesSlides/n1.xml"
        );
        assert_eq!(
            resolve("OEBPS/content.opf", "text/ch1.xhtml#x"),
            "OEBPS/text/ch1.xhtml"
        );
        assert_eq!(
            resolve("a/b.xml", "/word/document.xml"),
            "word/document.xml"
        );
    }
}
