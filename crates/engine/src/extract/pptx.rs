//! PPTX (Office Open XML presentations): one block per slide, in the order
//! the presentation lists them, with the speaker notes appended.

use super::archive::{resolve, Archive};
use super::docx::{core_title, extra_block, join, main_part, properties_block, CHART};
use super::xml::{self, Rules};
use super::{Block, ExtractError, ExtractedDoc, Extractor, Limits, Location};
use crate::kind::FileKind;

/// Extractor for PPTX.
pub struct PptxExtractor;

const DRAWING: Rules = Rules {
    text: &["t"],
    paragraphs: &["p"],
    spaces: &["tab"],
    newlines: &["br"],
    skip: &[],
    unit: None,
};

impl Extractor for PptxExtractor {
    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::Pptx]
    }

    fn extract(
        &self,
        bytes: &[u8],
        _name: &str,
        limits: &Limits,
    ) -> Result<ExtractedDoc, ExtractError> {
        let mut zip = Archive::open(bytes, "PPTX", limits)?;
        let presentation = main_part(&mut zip, limits, "ppt/presentation.xml")?;
        let slides = slide_parts(&mut zip, &presentation, limits)?;
        let mut blocks = Vec::new();
        for (i, part) in slides.iter().enumerate() {
            let Some(slide) = zip.read(part)? else {
                continue;
            };
            let mut text = join(xml::text(&slide, &DRAWING, limits)?);
            if let Some(notes) = notes_part(&mut zip, part, limits)? {
                let notes = join(xml::text(&notes, &DRAWING, limits)?);
                if !notes.trim().is_empty() {
                    text.push_str("\n\nNotes:\n");
                    text.push_str(&notes);
                }
            }
            if !text.trim().is_empty() {
                let n = i as u32 + 1;
                blocks.push(Block {
                    text,
                    location: Location::slide(n),
                });
            }
        }
        extra_block(
            &mut zip,
            "ppt/charts/chart",
            "Charts",
            &CHART,
            limits,
            &mut blocks,
        )?;
        properties_block(&mut zip, limits, &mut blocks);
        if blocks.is_empty() {
            return Err(ExtractError::NoText(format!(
                "PPTX with {} slide(s) holds no text",
                slides.len()
            )));
        }
        Ok(ExtractedDoc {
            title: core_title(&mut zip, limits),
            blocks,
            ..Default::default()
        })
    }
}

/// Slide parts in presentation order (`p:sldIdLst` through the relationships),
/// or by slide number when the presentation part is unreadable.
fn slide_parts(
    zip: &mut Archive<'_>,
    presentation: &str,
    limits: &Limits,
) -> Result<Vec<String>, ExtractError> {
    let rels = rels_of(zip, presentation, limits)?;
    let mut parts = Vec::new();
    if let Some(pres) = zip.read(presentation)? {
        for el in xml::elements(&pres, limits).unwrap_or_default() {
            if el.name != "sldId" {
                continue;
            }
            let rid = el
                .attrs
                .iter()
                .find(|(k, _)| k.ends_with(":id"))
                .map(|(_, v)| v.as_str());
            if let Some((_, target)) = rels.iter().find(|(id, _)| Some(id.as_str()) == rid) {
                parts.push(target.clone());
            }
        }
    }
    if parts.is_empty() {
        let mut numbered: Vec<(u32, String)> = zip
            .names()
            .into_iter()
            .filter_map(|n| {
                let num = n
                    .strip_prefix("ppt/slides/slide")?
                    .strip_suffix(".xml")?
                    .parse()
                    .ok()?;
                Some((num, n))
            })
            .collect();
        numbered.sort();
        parts = numbered.into_iter().map(|(_, n)| n).collect();
    }
    Ok(parts)
}

/// The notes part related to `slide`, if any.
fn notes_part(
    zip: &mut Archive<'_>,
    slide: &str,
    limits: &Limits,
) -> Result<Option<Vec<u8>>, ExtractError> {
    let rels = rels_with_type(zip, slide, limits)?;
    match rels.into_iter().find(|(ty, _)| ty.ends_with("/notesSlide")) {
        Some((_, target)) => zip.read(&target),
        None => Ok(None),
    }
}

/// (relationship id, resolved target) pairs of `part`.
fn rels_of(
    zip: &mut Archive<'_>,
    part: &str,
    limits: &Limits,
) -> Result<Vec<(String, String)>, ExtractError> {
    Ok(read_rels(zip, part, limits)?
        .into_iter()
        .map(|(id, _, t)| (id, t))
        .collect())
}

/// (relationship type, resolved target) pairs of `part`.
fn rels_with_type(
    zip: &mut Archive<'_>,
    part: &str,
    limits: &Limits,
) -> Result<Vec<(String, String)>, ExtractError> {
    Ok(read_rels(zip, part, limits)?
        .into_iter()
        .map(|(_, ty, t)| (ty, t))
        .collect())
}

fn read_rels(
    zip: &mut Archive<'_>,
    part: &str,
    limits: &Limits,
) -> Result<Vec<(String, String, String)>, ExtractError> {
    let (dir, file) = part.rsplit_once('/').unwrap_or(("", part));
    let rels_name = format!("{dir}/_rels/{file}.rels");
    let Some(rels) = zip.read(rels_name.trim_start_matches('/'))? else {
        return Ok(Vec::new());
    };
    Ok(xml::elements(&rels, limits)?
        .into_iter()
        .filter(|el| el.name == "Relationship")
        .filter_map(|el| {
            let id = el.attr("Id")?.to_string();
            let ty = el.attr("Type").unwrap_or_default().to_string();
            let target = resolve(part, el.attr("Target")?);
            Some((id, ty, target))
        })
        .collect())
}
