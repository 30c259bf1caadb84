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
            // Paragraphs are lines of the extracted text: a hit says which.
            location: Location::line(1),
        }];
        drop(body);
        for (prefix, label) in [
            ("word/header", "Headers and footers"),
            ("word/footer", "Headers and footers"),
            ("word/footnotes", "Footnotes"),
            ("word/endnotes", "Endnotes"),
            ("word/comments", "Comments"),
        ] {
            extra_block(&mut zip, prefix, label, &WORD, limits, &mut blocks)?;
        }
        extra_block(
            &mut zip,
            "word/charts/chart",
            "Charts",
            &CHART,
            limits,
            &mut blocks,
        )?;
        properties_block(&mut zip, limits, &mut blocks);
        let doc = ExtractedDoc {
            title: core_title(&mut zip, limits),
            blocks,
            ..Default::default()
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

/// Chart parts: titles (`a:t`) and cached category and series labels (`c:v`).
pub(crate) const CHART: Rules = Rules {
    text: &["t", "v"],
    paragraphs: &["p", "pt"],
    spaces: &[],
    newlines: &[],
    skip: &[],
    unit: None,
};

/// Appends one block with the text of every part whose name starts with
/// `prefix` (in name order), merged under `label` with duplicates dropped
/// (the same footer often repeats per section).
pub(crate) fn extra_block(
    zip: &mut Archive<'_>,
    prefix: &str,
    label: &str,
    rules: &Rules,
    limits: &Limits,
    blocks: &mut Vec<Block>,
) -> Result<(), ExtractError> {
    let mut names: Vec<String> = zip
        .names()
        .into_iter()
        .filter(|n| {
            n.starts_with(prefix) && n.ends_with(".xml") && !n[prefix.len()..].contains('/')
        })
        .collect();
    names.sort_by_key(|n| (n.len(), n.clone()));
    let mut texts: Vec<String> = Vec::new();
    for name in names.into_iter().take(1000) {
        let Some(bytes) = zip.read(&name)? else {
            continue;
        };
        let text = join(xml::text(&bytes, rules, limits)?);
        if !text.trim().is_empty() && !texts.contains(&text) {
            texts.push(text);
        }
    }
    if texts.is_empty() {
        return Ok(());
    }
    let text = texts.join("\n");
    match blocks
        .iter_mut()
        .find(|b| b.location.label.as_deref() == Some(label))
    {
        Some(b) => {
            b.text.push('\n');
            b.text.push_str(&text);
        }
        None => blocks.push(Block {
            text,
            location: Location::label(label),
        }),
    }
    Ok(())
}

/// Appends the author-written document properties (title, subject,
/// keywords, description) as a "Properties" block, so they are searchable.
pub(crate) fn properties_block(zip: &mut Archive<'_>, limits: &Limits, blocks: &mut Vec<Block>) {
    let Some(core) = zip.read("docProps/core.xml").ok().flatten() else {
        return;
    };
    push_properties(
        &core,
        &["title", "subject", "keywords", "description"],
        limits,
        blocks,
    );
}

/// Shared by OOXML and OpenDocument metadata.
pub(crate) fn push_properties(
    xml_bytes: &[u8],
    names: &[&str],
    limits: &Limits,
    blocks: &mut Vec<Block>,
) {
    let text: Vec<String> = names
        .iter()
        .filter_map(|n| xml::first_text(xml_bytes, n, limits))
        .collect();
    if !text.is_empty() {
        blocks.push(Block {
            text: text.join("\n"),
            location: Location::label("Properties"),
        });
    }
}
