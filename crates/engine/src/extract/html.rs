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
            location: Location::default(),
        }],
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
                    Node::Text(t) if skip_depth == 0 => push_text(&mut out, &**t),
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
    fn deep_nesting_does_not_overflow() {
        let src = "<div>".repeat(100_000) + "deep text" + &"</div>".repeat(100_000);
        let doc = html_to_doc(&src, &Limits::default());
        assert!(doc.blocks[0].text.len() < 100);
    }
}
