//! A small, defensive XML text walker shared by the OOXML, OpenDocument and
//! EPUB extractors.
//!
//! Hostile input is the norm here, so: DTDs are ignored and entity references
//! other than the five predefined ones and character references are dropped
//! (no billion laughs, no external entities); nesting deeper than
//! [`Limits::max_depth`] fails with [`ExtractError::Limit`]; text stops
//! growing at [`Limits::max_text_chars`]; invalid UTF-8 is replaced, not fatal.

use super::{ExtractError, Limits};
use quick_xml::events::{BytesRef, Event};
use quick_xml::Reader;

/// How to turn one XML vocabulary into text. Names are local names (no prefix).
#[derive(Default)]
pub(crate) struct Rules {
    /// Elements whose text is kept; empty keeps all text (outside `skip`).
    pub text: &'static [&'static str],
    /// Elements that end a paragraph: a newline follows them.
    pub paragraphs: &'static [&'static str],
    /// Empty elements that stand for a tab or a space.
    pub spaces: &'static [&'static str],
    /// Empty elements that stand for a line break.
    pub newlines: &'static [&'static str],
    /// Subtrees whose text is dropped.
    pub skip: &'static [&'static str],
    /// When set, text is split into one string per element of this name.
    pub unit: Option<&'static str>,
}

fn reader(bytes: &[u8]) -> Reader<&[u8]> {
    let mut r = Reader::from_reader(bytes);
    // Real files have mismatched end tags often enough that strictness would
    // throw away readable text.
    r.config_mut().check_end_names = false;
    r
}

fn is(name: &[u8], set: &[&str]) -> bool {
    set.iter().any(|s| s.as_bytes() == name)
}

/// Resolves `&amp;`-style predefined entities and character references;
/// anything else (a DTD-declared entity) is deliberately left unexpanded.
fn resolve_ref(r: &BytesRef<'_>) -> Option<String> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Some(c.to_string());
    }
    let name = String::from_utf8_lossy(r);
    quick_xml::escape::resolve_predefined_entity(&name).map(str::to_string)
}

fn too_deep(limits: &Limits) -> ExtractError {
    ExtractError::Limit(format!(
        "XML nested deeper than {} levels",
        limits.max_depth
    ))
}

/// Walks `bytes` by `rules` and returns the text: one string, or one per `unit`.
pub(crate) fn text(
    bytes: &[u8],
    rules: &Rules,
    limits: &Limits,
) -> Result<Vec<String>, ExtractError> {
    let mut r = reader(bytes);
    let mut buf = Vec::new();
    let mut units: Vec<String> = Vec::new();
    let mut out = String::new();
    let mut depth = 0usize;
    let mut skip = 0usize; // depth inside a skipped subtree
    let mut keep = 0usize; // depth inside a kept-text element
    let mut total = 0usize;
    loop {
        let ev = match r.read_event_into(&mut buf) {
            Ok(ev) => ev,
            // A damaged tail still leaves the text before it.
            Err(e) if total > 0 || !out.is_empty() => {
                tracing::debug!(target: "index::extract", "xml error after text: {e}");
                break;
            }
            Err(e) => return Err(ExtractError::corrupt("xml", e)),
        };
        match ev {
            Event::Start(e) => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(too_deep(limits));
                }
                let name = e.local_name();
                let name = name.as_ref();
                if skip > 0 || is(name, rules.skip) {
                    skip += 1;
                } else if rules.text.is_empty() || keep > 0 || is(name, rules.text) {
                    keep += 1;
                }
                if skip == 0
                    && rules.unit.is_some_and(|u| u.as_bytes() == name)
                    && !out.trim().is_empty()
                {
                    units.push(std::mem::take(&mut out));
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                let name = e.local_name();
                let name = name.as_ref();
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                keep = keep.saturating_sub(1);
                if is(name, rules.paragraphs) && !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                if rules.unit.is_some_and(|u| u.as_bytes() == name) {
                    units.push(std::mem::take(&mut out));
                }
            }
            Event::Empty(e) if skip == 0 => {
                let name = e.local_name();
                let name = name.as_ref();
                if is(name, rules.spaces) {
                    out.push(if name == b"tab" { '\t' } else { ' ' });
                } else if is(name, rules.newlines) || is(name, rules.paragraphs) {
                    out.push('\n');
                }
            }
            Event::Text(t) if skip == 0 && (keep > 0 || rules.text.is_empty()) => {
                out.push_str(&String::from_utf8_lossy(&t));
            }
            Event::CData(t) if skip == 0 && (keep > 0 || rules.text.is_empty()) => {
                out.push_str(&String::from_utf8_lossy(&t));
            }
            Event::GeneralRef(g) if skip == 0 && (keep > 0 || rules.text.is_empty()) => {
                if let Some(s) = resolve_ref(&g) {
                    out.push_str(&s);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        total = total.max(out.len() + units.iter().map(String::len).sum::<usize>());
        if total > limits.max_text_chars {
            tracing::warn!(target: "index::extract", "text cut at {} chars", limits.max_text_chars);
            break;
        }
        buf.clear();
    }
    if rules.unit.is_none() || !out.trim().is_empty() {
        units.push(out);
    }
    Ok(units)
}

/// Start and empty elements with their attributes, in document order: enough
/// to read relationship files, manifests and spines.
pub(crate) fn elements(bytes: &[u8], limits: &Limits) -> Result<Vec<Element>, ExtractError> {
    let mut r = reader(bytes);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut depth = 0usize;
    loop {
        match r.read_event_into(&mut buf) {
            Ok(ev @ (Event::Start(_) | Event::Empty(_))) => {
                let (Event::Start(e) | Event::Empty(e)) = &ev else {
                    continue;
                };
                if matches!(ev, Event::Start(_)) {
                    depth += 1;
                    if depth > limits.max_depth {
                        return Err(too_deep(limits));
                    }
                }
                let attrs = e
                    .attributes()
                    .flatten()
                    .map(|a| {
                        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
                        let value = a
                            .decode_and_unescape_value(r.decoder())
                            .map(|v| v.into_owned())
                            .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned());
                        (key, value)
                    })
                    .collect();
                out.push(Element {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    attrs,
                });
                if out.len() > 1_000_000 {
                    return Err(ExtractError::Limit(
                        "more than a million XML elements".into(),
                    ));
                }
            }
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) if out.is_empty() => return Err(ExtractError::corrupt("xml", e)),
            Err(_) => break,
        }
        buf.clear();
    }
    Ok(out)
}

/// One XML element's local name and attributes (local names, unescaped).
pub(crate) struct Element {
    /// Local name.
    pub name: String,
    /// Attributes as (qualified name, value).
    pub attrs: Vec<(String, String)>,
}

impl Element {
    /// The value of attribute `key`: its qualified name (`r:id`) or, failing
    /// that, an attribute whose local name is `key`.
    pub(crate) fn attr(&self, key: &str) -> Option<&str> {
        let local = |k: &str| k.rsplit(':').next().unwrap_or(k).to_string();
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .or_else(|| self.attrs.iter().find(|(k, _)| local(k) == key))
            .map(|(_, v)| v.as_str())
    }
}

/// The text of the first element called `name`, trimmed, if not empty
/// (for `dc:title` in document metadata).
pub(crate) fn first_text(bytes: &[u8], name: &str, limits: &Limits) -> Option<String> {
    let mut r = reader(bytes);
    let mut buf = Vec::new();
    let mut inside = false;
    let mut depth = 0usize;
    let mut out = String::new();
    loop {
        match r.read_event_into(&mut buf).ok()? {
            Event::Start(e) => {
                depth += 1;
                if depth > limits.max_depth {
                    return None;
                }
                inside |= e.local_name().as_ref() == name.as_bytes();
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if inside && e.local_name().as_ref() == name.as_bytes() {
                    break;
                }
            }
            Event::Text(t) if inside => out.push_str(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(g) if inside => out.push_str(&resolve_ref(&g).unwrap_or_default()),
            Event::Eof => break,
            _ => {}
        }
        if out.len() > 4096 {
            break;
        }
        buf.clear();
    }
    let t = out.split_whitespace().collect::<Vec<_>>().join(" ");
    (!t.is_empty()).then(|| t.chars().take(300).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_are_not_expanded_beyond_the_predefined() {
        let xml = br#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "AAAA"><!ENTITY b "&a;&a;">]>
            <d><p>x &amp; y &#233; &b; z</p></d>"#;
        let t = text(
            xml,
            &Rules {
                paragraphs: &["p"],
                ..Default::default()
            },
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(t[0].trim(), "x & y é  z");
    }

    #[test]
    fn deep_nesting_is_a_limit_error() {
        let xml = "<a>".repeat(1000);
        let err = text(xml.as_bytes(), &Rules::default(), &Limits::default()).unwrap_err();
        assert!(matches!(err, ExtractError::Limit(_)));
    }

    #[test]
    fn splits_into_units() {
        let xml = b"<r><page><p>one</p></page><page><p>two</p></page></r>";
        let rules = Rules {
            unit: Some("page"),
            paragraphs: &["p"],
            ..Default::default()
        };
        let t = text(xml, &rules, &Limits::default()).unwrap();
        assert_eq!(t, vec!["one\n", "two\n"]);
    }
}
