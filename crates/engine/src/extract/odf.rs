//! OpenDocument text (ODT) and presentations (ODP) from `content.xml`.
//! Spreadsheets (ODS) go through calamine in `sheet.rs`.

use super::archive::Archive;
use super::docx::join;
use super::xml::{self, Rules};
use super::{Block, ExtractError, ExtractedDoc, Extractor, Limits, Location};
use crate::kind::FileKind;

/// Extractor for ODT and ODP.
pub struct OdfExtractor;

const TEXT: Rules = Rules {
    text: &[],
    paragraphs: &["p", "h", "list-item", "table-row", "frame"],
    spaces: &["s", "tab"],
    newlines: &["line-break"],
    // Declarations and change-tracking hold no visible body text.
    skip: &[
        "font-face-decls",
        "automatic-styles",
        "tracked-changes",
        "sequence-decls",
        "forms",
        "scripts",
    ],
    unit: None,
};

impl Extractor for OdfExtractor {
    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::Odt, FileKind::Odp]
    }

    fn extract(
        &self,
        bytes: &[u8],
        name: &str,
        limits: &Limits,
    ) -> Result<ExtractedDoc, ExtractError> {
        let presentation = FileKind::from_path(std::path::Path::new(name)) == FileKind::Odp;
        let kind = if presentation { "ODP" } else { "ODT" };
        let mut zip = Archive::open(bytes, kind, limits)?;
        if is_encrypted(&mut zip, limits)? {
            return Err(ExtractError::Encrypted(kind.into()));
        }
        let content = zip.require("content.xml")?;
        let blocks = if presentation {
            let rules = Rules {
                unit: Some("page"),
                ..TEXT
            };
            xml::text(&content, &rules, limits)?
                .into_iter()
                .enumerate()
                .filter(|(_, t)| !t.trim().is_empty())
                .map(|(i, t)| {
                    let n = i as u32 + 1;
                    Block {
                        text: t.trim_end().to_string(),
                        location: Location::slide(n),
                    }
                })
                .collect()
        } else {
            vec![Block {
                text: join(xml::text(&content, &TEXT, limits)?),
                location: Location::line(1),
            }]
        };
        let mut blocks = blocks;
        let meta = zip.read("meta.xml")?;
        let title = meta
            .as_ref()
            .and_then(|m| xml::first_text(m, "title", limits));
        if let Some(m) = &meta {
            let names = ["title", "subject", "keyword", "description"];
            super::docx::push_properties(m, &names, limits, &mut blocks);
        }
        let doc = ExtractedDoc {
            title,
            blocks,
            ..Default::default()
        };
        if doc.is_empty() {
            return Err(ExtractError::NoText(format!("{kind} holds no text")));
        }
        Ok(doc)
    }
}

/// A password-protected OpenDocument file keeps a plain manifest that marks
/// `content.xml` with `manifest:encryption-data`.
fn is_encrypted(zip: &mut Archive<'_>, limits: &Limits) -> Result<bool, ExtractError> {
    let Some(manifest) = zip.read("META-INF/manifest.xml")? else {
        return Ok(false);
    };
    Ok(xml::elements(&manifest, limits)
        .unwrap_or_default()
        .iter()
        .any(|e| e.name == "encryption-data"))
}
