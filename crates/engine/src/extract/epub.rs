//! EPUB: the spine's XHTML documents in reading order, one block per
//! chapter, labelled with the chapter's first heading (or its `<title>`).
//! Text drawn in SVG (`<svg><text>`: a title page, a comic's balloons, a
//! whole chapter that is one SVG document) is read too.

use super::archive::{resolve, Archive};
use super::html::{html_to_page, nesting_exceeds};
use super::text::decode_text;
use super::xml;
use super::{Block, ExtractError, ExtractedDoc, Extractor, Limits, Location};
use crate::kind::FileKind;

/// Extractor for EPUB.
pub struct EpubExtractor;

impl Extractor for EpubExtractor {
    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::Epub]
    }

    fn extract(
        &self,
        bytes: &[u8],
        _name: &str,
        limits: &Limits,
    ) -> Result<ExtractedDoc, ExtractError> {
        let mut zip = Archive::open(bytes, "EPUB", limits)?;
        let opf_path = package_path(&mut zip, limits)?;
        let opf = zip.require(&opf_path)?;
        let title = xml::first_text(&opf, "title", limits);
        let chapters = spine(&opf, &opf_path, limits)?;
        let mut blocks = Vec::new();
        let mut total = 0usize;
        for (i, href) in chapters.iter().enumerate() {
            let Some(raw) = zip.read(href)? else { continue };
            let Ok(source) = decode_text(&raw) else {
                continue;
            };
            if nesting_exceeds(&source, limits.max_depth * 8) {
                tracing::debug!(target: "index::extract", "{href}: nesting too deep, skipped");
                continue;
            }
            let mut page = html_to_page(&source, limits);
            if source.contains("svg") {
                let drawn = svg_text(&source);
                if !drawn.is_empty() {
                    if !page.text.is_empty() {
                        page.text.push_str("\n\n");
                    }
                    page.text.push_str(&drawn);
                }
            }
            if page.text.trim().is_empty() {
                continue;
            }
            let label = page
                .heading
                .or(page.title.filter(|t| Some(t) != title.as_ref()))
                .unwrap_or_else(|| format!("Chapter {}", i + 1));
            total += page.text.len();
            blocks.push(Block {
                text: page.text,
                location: Location::label(label),
            });
            if total > limits.max_text_chars {
                break;
            }
        }
        if blocks.is_empty() {
            if zip.contains("META-INF/encryption.xml") {
                return Err(ExtractError::Encrypted("EPUB (DRM)".into()));
            }
            return Err(ExtractError::NoText("EPUB chapters hold no text".into()));
        }
        Ok(ExtractedDoc {
            title,
            blocks,
            ..Default::default()
        })
    }
}

/// The text of the SVG `<text>` elements in a chapter (which the HTML
/// reader leaves out with the rest of the SVG), one line per element.
fn svg_text(source: &str) -> String {
    let dom = scraper::Html::parse_document(source);
    let is = |name: &str, local: &str| {
        name == local || name.strip_suffix(local).is_some_and(|p| p.ends_with(':'))
    };
    let mut lines = Vec::new();
    for node in dom.tree.nodes() {
        let Some(el) = node.value().as_element() else {
            continue;
        };
        if !is(el.name(), "text") {
            continue;
        }
        let in_svg = node
            .ancestors()
            .filter_map(|a| a.value().as_element())
            .any(|a| is(a.name(), "svg"));
        if !in_svg {
            continue;
        }
        let line = node
            .descendants()
            .filter_map(|n| n.value().as_text().map(|t| t.to_string()))
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines.join("\n")
}

/// The OPF package document named by `META-INF/container.xml`, or the first
/// `.opf` member when the container is missing.
fn package_path(zip: &mut Archive<'_>, limits: &Limits) -> Result<String, ExtractError> {
    if let Some(container) = zip.read("META-INF/container.xml")? {
        let found = xml::elements(&container, limits)?
            .into_iter()
            .find(|e| e.name == "rootfile")
            .and_then(|e| e.attr("full-path").map(percent_decode));
        if let Some(p) = found.filter(|p| zip.contains(p)) {
            return Ok(p);
        }
    }
    zip.names()
        .into_iter()
        .find(|n| n.ends_with(".opf"))
        .ok_or_else(|| ExtractError::corrupt("EPUB", "no package document (.opf)"))
}

/// Spine items resolved to archive paths, skipping non-document media.
fn spine(opf: &[u8], opf_path: &str, limits: &Limits) -> Result<Vec<String>, ExtractError> {
    let els = xml::elements(opf, limits)?;
    let manifest: Vec<(&str, &str, &str)> = els
        .iter()
        .filter(|e| e.name == "item")
        .filter_map(|e| {
            Some((
                e.attr("id")?,
                e.attr("href")?,
                e.attr("media-type").unwrap_or_default(),
            ))
        })
        .collect();
    let mut out = Vec::new();
    for itemref in els.iter().filter(|e| e.name == "itemref") {
        let Some(idref) = itemref.attr("idref") else {
            continue;
        };
        if let Some((_, href, media)) = manifest.iter().find(|(id, _, _)| *id == idref) {
            if media.is_empty() || media.contains("html") || media.contains("xml") {
                out.push(resolve(opf_path, &percent_decode(href)));
            }
        }
    }
    if out.is_empty() {
        // No spine: fall back to every XHTML item in manifest order.
        out = manifest
            .iter()
            .filter(|(_, _, m)| m.contains("html"))
            .map(|(_, h, _)| resolve(opf_path, &percent_decode(h)))
            .collect();
    }
    Ok(out)
}

/// Decodes `%20`-style escapes in an href; invalid escapes stay as they are.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_decoding() {
        assert_eq!(super::percent_decode("a%20b%zz.xhtml"), "a b%zz.xhtml");
    }
}
