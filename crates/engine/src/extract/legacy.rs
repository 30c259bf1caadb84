//! Legacy binary Office formats (`.doc`, `.ppt`). No maintained Rust crate
//! reads their text, so they are recorded as skipped with the reason
//! "unsupported format" rather than half-parsed. (`.xls` is read by calamine.)

use super::{ExtractError, ExtractedDoc, Extractor, Limits};
use crate::kind::FileKind;

/// Refuses legacy Word and PowerPoint files with a clear reason.
pub struct LegacyOfficeExtractor;

impl Extractor for LegacyOfficeExtractor {
    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::Doc, FileKind::Ppt]
    }

    fn extract(
        &self,
        _bytes: &[u8],
        name: &str,
        _limits: &Limits,
    ) -> Result<ExtractedDoc, ExtractError> {
        let kind = FileKind::from_path(std::path::Path::new(name));
        let what = match kind {
            FileKind::Ppt => "legacy PowerPoint (.ppt)",
            _ => "legacy Word (.doc)",
        };
        Err(ExtractError::Unsupported(what.into()))
    }
}
