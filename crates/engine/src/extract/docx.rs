//! DOCX (Office Open XML word processing): body text from the main document
//! part, then footnotes, endnotes and comments, each as its own block.

use super::archive::{resolve, Archive};
use super::xml::{self, Rules};
use super::{Block, ExtractError, ExtractedDoc, Extractor, Limits, Location};
use crate::kind::FileKind;

/// Extractor for DOCX.
pub struct DocxExtractor;

const WORD: Rules = Rules {
    text: &["t"],
    paragraphs: &["p", "tr"],
    spaces: &["tab"],
    newlines: &["br", "cr"],
    // Field codes and tracked deletions are not part of the visible text.
    skip: &["instrText", "delText", "delInstrText"],
    unit: None,
};

impl Extractor for DocxExtractor {
    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::Docx]
    }

    fn extract(
        &self,
        bytes: &[u8],
        _name: &str,
        limits: &Limits,
    ) -> Result<ExtractedDoc, ExtractError> {
        let mut zip = Archive::open(bytes, "DOCX", limits)?;
        let main = main_part(&mut zip, limits, "word/document.xml")?;
        let body = zip.require(&main)?;
        let mut blocks = vec![Block {
            text: join(xml::text(&body, &WORD, limits)?),
            location: Location::default(),
        }];
        drop(body);
        for (part, label) in [
            ("word/footnotes.xml", "Footnotes"),
            ("word/endnotes.xml", "Endnotes"),
            ("word/comments.xml", "Comments"),
        ] {
            if let Some(xml_bytes) = zip.read(part)? {
                let text = join(xml::text(&xml_bytes, &WORD, limits)?);
                if !text.trim().is_empty() {
                    blocks.push(Block {
                        text,
                        location: Location::label(label),
                    });
                }
            }
        }
        let doc = ExtractedDoc {
            title: core_title(&mut zip, limits),
            blocks,
        };
        if doc.is_empty() {
            return Err(ExtractError::NoText("DOCX holds no text".into()));
        }
        Ok(doc)
    }
}

pub(crate) fn join(parts: Vec<String>) -> String {
    let mut s = parts.concat();
    s.truncate(s.trim_end().len());
    s
}

/// The main part named by the package relationships (`_rels/.rels`), which
/// is usually but not always `fallback`.
pub(crate) fn main_part(
    zip: &mut Archive<'_>,
    limits: &Limits,
    fallback: &str,
) -> Result<String, ExtractError> {
    if let Some(rels) = zip.read("_rels/.rels")? {
        for el in xml::elements(&rels, limits)? {
            if el.name == "Relationship"
                && el
                    .attr("Type")
                    .is_some_and(|t| t.ends_with("/officeDocument"))
            {
                if let Some(target) = el.attr("Target") {
                    let part = resolve("", target);
                    if zip.contains(&part) {
                        return Ok(part);
                    }
                }
            }
        }
    }
    Ok(fallback.to_string())
}

/// `dc:title` from the package's core properties.
pub(crate) fn core_title(zip: &mut Archive<'_>, limits: &Limits) -> Option<String> {
    let core = zip.read("docProps/core.xml").ok().flatten()?;
    xml::first_text(&core, "title", limits)
}
