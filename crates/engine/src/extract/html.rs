//! HTML: visible text and the title; scripts, styles and templates dropped.

use super::{text::decode_text, Block, ExtractError, ExtractedDoc, Extractor, Limits, Location};
use crate::kind::FileKind;
use scraper::{node::Node, Html};

/// Extractor for HTML pages.
pub struct HtmlExtractor;

impl Extractor for HtmlExtractor {
    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::Html]
    }

    fn extract(
        &self,
        bytes: &[u8],
        _name: &str,
        limits: &Limits,
    ) -> Result<ExtractedDoc, ExtractError> {
        let source = decode_text(bytes)?;
        // html5ever is quadratic in nesting depth; refuse absurd nesting
        // before parsing rather than spend minutes on it.
        let max = limits.max_depth * 8;
        if nesting_exceeds(&source, max) {
            return Err(ExtractError::Limit(format!(
                "HTML nested deeper than {max} levels"
            )));
        }
        Ok(html_to_doc(&source, limits))
    }
}

/// Renders HTML source to visible text, keeping block boundaries as newlines.
/// Traversal is iterative, so 100,000 nested elements cannot overflow the stack.
pub fn html_to_doc(source: &str, limits: &Limits) -> ExtractedDoc {
    let page = html_to_page(source, limits);
    ExtractedDoc {
        title: page.title,
        blocks: vec![Block {
            text: page.text,
            // Lines of the visible text (block elements end lines).
            location: Location::line(1),
        }],
        ..Default::default()
    }
}

/// The visible text of an HTML page with its title and first heading.
pub(crate) struct Page {
    pub title: Option<String>,
    pub heading: Option<String>,
    pub text: String,
}

/// Renders HTML to a [`Page`]: see [`html_to_doc`].
pub(crate) fn html_to_page(source: &str, limits: &Limits) -> Page {
    let dom = Html::parse_document(source);
    let mut heading: Option<String> = None;
    let mut heading_start: Option<usize> = None;
    let mut title = None;
    let mut out = String::new();
    let mut skip_depth: usize = 0;
    let mut depth: usize = 0;
    for edge in dom.tree.root().traverse() {
        match edge {
            ego_tree::iter::Edge::Open(node) => {
                depth += 1;
                match node.value() {
                    Node::Element(el) => {
                        let name = el.name();
                        if skip_depth > 0 || is_invisible(name) || depth > limits.max_depth * 64 {
                            skip_depth += 1;
                            if name == "title" && title.is_none() {
                                title = Some(
                                    node.descendants()
                                        .filter_map(|n| n.value().as_text().map(|t| t.to_string()))
                                        .collect::<String>()
                                        .split_whitespace()
                                        .collect::<Vec<_>>()
                                        .join(" "),
                                )
                                .filter(|t: &String| !t.is_empty());
                            }
                        } else if is_block(name) {
                            push_break(&mut out);
                            if heading.is_none() && matches!(name, "h1" | "h2" | "h3") {
                                heading_start = Some(out.len());
                            }
                        }
                    }
                    Node::Text(t) if skip_depth == 0 => push_text(&mut out, &t.text),
                    _ => {}
                }
            }
            ego_tree::iter::Edge::Close(node) => {
                depth -= 1;
                if let Node::Element(el) = node.value() {
                    if skip_depth > 0 {
                        skip_depth -= 1;
                    } else if is_block(el.name()) {
                        if let (Some(start), true) =
                            (heading_start, matches!(el.name(), "h1" | "h2" | "h3"))
                        {
                            let h = out
                                .get(start..)
                                .unwrap_or_default()
                                .split_whitespace()
                                .collect::<Vec<_>>()
                                .join(" ");
                            heading_start = None;
                            if !h.is_empty() {
                                heading = Some(h.chars().take(200).collect());
                            }
                        }
                        push_break(&mut out);
                    }
                }
            }
        }
    }
    Page {
        title,
        heading,
        text: out.trim().to_string(),
    }
}

/// A quick tag scan: does element nesting go deeper than `max`? Void
/// elements and elements whose end tag is optional are not counted, so
/// ordinary sloppy HTML stays well below any sane limit.
pub(crate) fn nesting_exceeds(source: &str, max: usize) -> bool {
    let b = source.as_bytes();
    let mut depth = 0usize;
    // Depth outside the open <p>: a new <p> or block closes it and every
    // unclosed inline element in it, as the HTML parser does.
    let mut p_base: Option<usize> = None;
    let mut i = 0;
    while let Some(off) = b
        .get(i..)
        .and_then(|rest| rest.iter().position(|&c| c == b'<'))
    {
        i += off + 1;
        let closing = b.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let end = b[start.min(b.len())..]
            .iter()
            .position(|c| !c.is_ascii_alphanumeric())
            .map_or(b.len(), |p| start + p);
        if end == start {
            continue;
        }
        let name = source
            .get(start..end)
            .unwrap_or_default()
            .to_ascii_lowercase();
        if closing {
            depth = match (name.as_str(), p_base) {
                ("p", Some(base)) => base,
                _ => depth.saturating_sub(1),
            };
            if name == "p" {
                p_base = None;
            }
            continue;
        }
        if closes_p(&name) {
            if let Some(base) = p_base.take() {
                depth = base;
            }
            if name == "p" {
                p_base = Some(depth);
            }
        }
        let tag_end = b[end..]
            .iter()
            .position(|&c| c == b'>')
            .map_or(b.len(), |p| end + p);
        let self_closing = tag_end > 0 && b.get(tag_end - 1) == Some(&b'/');
        if matches!(name.as_str(), "script" | "style") {
            // Skip raw text, where '<' is not markup.
            let close = format!("</{name}");
            let rest = source
                .get(tag_end..)
                .unwrap_or_default()
                .to_ascii_lowercase();
            i = rest.find(&close).map_or(b.len(), |p| tag_end + p);
            continue;
        }
        if self_closing || is_void_or_optional(&name) {
            continue;
        }
        depth += 1;
        if depth > max {
            return true;
        }
        i = tag_end;
    }
    false
}

/// Start tags that implicitly close an open `<p>`.
fn closes_p(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "ul"
            | "ol"
            | "dl"
            | "table"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "pre"
            | "blockquote"
            | "section"
            | "article"
            | "aside"
            | "header"
            | "footer"
            | "nav"
            | "main"
            | "form"
            | "hr"
            | "figure"
            | "address"
            | "fieldset"
            | "details"
    )
}

fn is_void_or_optional(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
            | "p"
            | "li"
            | "dt"
            | "dd"
            | "tr"
            | "td"
            | "th"
            | "option"
            | "optgroup"
            | "thead"
            | "tbody"
            | "tfoot"
            | "colgroup"
            | "rb"
            | "rt"
            | "rp"
            | "caption"
            | "html"
            | "head"
            | "body"
    )
}

fn is_invisible(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "head"
            | "title"
            | "svg"
            | "iframe"
            | "object"
    )
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "li"
            | "ul"
            | "ol"
            | "tr"
            | "table"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "pre"
            | "blockquote"
            | "dd"
            | "dt"
            | "hr"
            | "main"
            | "nav"
            | "aside"
            | "td"
            | "th"
            | "figure"
            | "figcaption"
            | "form"
    )
}

fn push_break(out: &mut String) {
    let trimmed = out.trim_end_matches([' ', '\t']).len();
    out.truncate(trimmed);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

fn push_text(out: &mut String, text: &str) {
    for word in text.split_whitespace() {
        if !out.is_empty() && !out.ends_with(['\n', ' ']) {
            out.push(' ');
        }
        out.push_str(word);
    }
    if text.ends_with(char::is_whitespace) && !out.ends_with(['\n', ' ']) && !out.is_empty() {
        out.push(' ');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_visible_text_and_title_only() {
        let doc = html_to_doc(
            "<html><head><title>My  Page</title><style>p{}</style></head>\
             <body><p>Hello <b>world</b></p><script>alert(1)</script><div>Bye</div></body></html>",
            &Limits::default(),
        );
        assert_eq!(doc.title.as_deref(), Some("My Page"));
        assert_eq!(doc.blocks[0].text, "Hello world\nBye");
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let src = "<div>".repeat(100_000) + "deep text" + &"</div>".repeat(100_000);
        let err = HtmlExtractor
            .extract(src.as_bytes(), "deep.html", &Limits::default())
            .unwrap_err();
        assert!(matches!(err, ExtractError::Limit(_)));
    }

    #[test]
    fn unclosed_inline_tags_inside_paragraphs_are_not_deep() {
        let src = "<p><b><i><span>x".repeat(50_000);
        assert!(!nesting_exceeds(&src, 2048));
        assert!(nesting_exceeds(&"<div><span>".repeat(2000), 2048));
    }
}
