//! Legacy binary Office formats: Word 6 to 2003 (`doc.rs`, `word95.rs`) and
//! PowerPoint 97–2003 (`ppt.rs`), all inside compound files read with `cfb`.
//! (`.xls` is read by calamine, in `sheet.rs`.)

use super::{ExtractError, ExtractedDoc, Extractor, Limits};
use crate::kind::FileKind;

/// Legacy Word and PowerPoint.
pub struct LegacyOfficeExtractor;

impl Extractor for LegacyOfficeExtractor {
    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::Doc, FileKind::Ppt]
    }

    fn extract(
        &self,
        bytes: &[u8],
        name: &str,
        limits: &Limits,
    ) -> Result<ExtractedDoc, ExtractError> {
        match FileKind::from_path(std::path::Path::new(name)) {
            FileKind::Ppt => super::ppt::extract_ppt(bytes, limits),
            _ => super::doc::extract_doc(bytes, limits),
        }
    }
}
