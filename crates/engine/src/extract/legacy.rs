//! Legacy binary Office formats. `.doc` is read through its piece table
//! (`doc.rs`); `.ppt` has no maintained reader, so it is recorded as skipped
//! with the reason "unsupported format" rather than half-parsed. (`.xls` is
//! read by calamine.)

use super::{ExtractError, ExtractedDoc, Extractor, Limits};
use crate::kind::FileKind;

/// Legacy Word (text) and PowerPoint (refused with a clear reason).
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
            FileKind::Ppt => Err(ExtractError::Unsupported("legacy PowerPoint (.ppt)".into())),
            _ => super::doc::extract_doc(bytes, limits),
        }
    }
}
