//! E-mail: `.eml` (one RFC 822 message), mbox (many), and Outlook `.msg`
//! (see `msg.rs`). Each message gives a block with its headers and body, and
//! each attachment a block of its own text, extracted by the attachment's
//! own extractor, labelled "Attachment NAME".

use super::{msg, Block, ExtractError, ExtractedDoc, Extractor, Extractors, Limits, Location};
use crate::kind::FileKind;
use mail_parser::{Address, Message, MessageParser, MimeHeaders};

/// Extractor for e-mail.
pub struct EmailExtractor;

/// Attachments inside attachments are followed this deep, no deeper.
const MAX_NESTING: usize = 3;

impl Extractor for EmailExtractor {
    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::Email]
    }

    fn extract(
        &self,
        bytes: &[u8],
        name: &str,
        limits: &Limits,
    ) -> Result<ExtractedDoc, ExtractError> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".msg") || bytes.starts_with(super::archive::CFB_MAGIC) {
            return msg::extract_msg(bytes, limits);
        }
        let is_mbox =
            lower.ends_with(".mbox") || lower.ends_with(".mbx") || bytes.starts_with(b"From ");
        let mut doc = if is_mbox {
            mbox(bytes, limits)?
        } else {
            eml(bytes, limits, 0)?
        };
        if doc.is_empty() {
            return Err(ExtractError::NoText("e-mail holds no text".into()));
        }
        doc.blocks.retain(|b| !b.text.trim().is_empty());
        Ok(doc)
    }
}

fn eml(bytes: &[u8], limits: &Limits, depth: usize) -> Result<ExtractedDoc, ExtractError> {
    // Some saved messages start with blank padding before the headers.
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    let bytes = &bytes[start..];
    let message = MessageParser::default()
        .parse(bytes)
        .ok_or_else(|| ExtractError::corrupt("e-mail", "no message headers found"))?;
    if message.headers().is_empty() {
        return Err(ExtractError::corrupt("e-mail", "no message headers found"));
    }
    let mut blocks = Vec::new();
    render(&message, None, limits, depth, &mut blocks);
    Ok(ExtractedDoc {
        title: message.subject().map(clean),
        blocks,
        ..Default::default()
    })
}

fn mbox(bytes: &[u8], limits: &Limits) -> Result<ExtractedDoc, ExtractError> {
    let mut blocks = Vec::new();
    let mut total = 0usize;
    let iter = mail_parser::mailbox::mbox::MessageIterator::new(bytes);
    for (i, raw) in iter.enumerate() {
        let Ok(raw) = raw else { break };
        let Some(message) = MessageParser::default().parse(raw.contents()) else {
            continue;
        };
        let label = format!(
            "Message {}{}",
            i + 1,
            message
                .subject()
                .map(|s| format!(": {}", clean(s)))
                .unwrap_or_default()
        );
        let before = blocks.len();
        render(&message, Some(label), limits, 0, &mut blocks);
        total += blocks[before..]
            .iter()
            .map(|b: &Block| b.text.len())
            .sum::<usize>();
        if total > limits.max_text_chars {
            break;
        }
    }
    if blocks.is_empty() {
        return Err(ExtractError::corrupt("mbox", "no messages found"));
    }
    Ok(ExtractedDoc {
        title: None,
        blocks,
        ..Default::default()
    })
}

/// Appends the blocks of `message`: headers and body, then attachments.
fn render(
    message: &Message<'_>,
    label: Option<String>,
    limits: &Limits,
    depth: usize,
    blocks: &mut Vec<Block>,
) {
    let mut text = String::new();
    header(&mut text, "Subject", message.subject().map(clean));
    header(&mut text, "From", message.from().map(addresses));
    header(&mut text, "To", message.to().map(addresses));
    header(&mut text, "Cc", message.cc().map(addresses));
    header(&mut text, "Date", message.date().map(|d| d.to_rfc3339()));
    text.push('\n');
    for i in 0..message
        .text_body_count()
        .max(message.html_body_count())
        .min(16)
    {
        if let Some(body) = message.body_text(i) {
            text.push_str(body.trim());
            text.push_str("\n\n");
        }
    }
    blocks.push(Block {
        text: text.trim_end().to_string(),
        // The message itself, or a message attached to it; read by lines.
        location: Location::label(label.unwrap_or_else(|| "Message".into())).with_line(1),
    });
    for part in message.attachments() {
        let name = part.attachment_name().unwrap_or("attachment").to_string();
        if let Some(inner) = part.message() {
            if depth < MAX_NESTING {
                render(
                    inner,
                    Some(format!("Attachment {name}")),
                    limits,
                    depth + 1,
                    blocks,
                );
            }
            continue;
        }
        if let Some(text) = attachment_text(&name, part.contents(), limits, depth) {
            blocks.push(Block {
                text,
                location: Location::label(format!("Attachment {name}")).with_line(1),
            });
        }
    }
}

/// Text of an attachment through the extractor for its file name's kind;
/// `None` for kinds Crumb cannot read and for attachments that fail.
pub(crate) fn attachment_text(
    name: &str,
    bytes: &[u8],
    limits: &Limits,
    depth: usize,
) -> Option<String> {
    let kind = FileKind::from_path(std::path::Path::new(name));
    // Attached pictures are not recognised: logos and signatures would cost
    // a whole OCR pass each, inside the message's one time limit.
    if matches!(kind, FileKind::Other | FileKind::Image)
        || (kind == FileKind::Email && depth >= MAX_NESTING)
    {
        return None;
    }
    // An attachment has no pages of its own to leave for the second stage:
    // a scanned one is recognised in line, inside the message's limits.
    match crate::ocr::in_line(|| Extractors::default().extract(kind, bytes, name, limits)) {
        Ok(doc) => {
            let text = doc
                .blocks
                .into_iter()
                .map(|b| b.text)
                .collect::<Vec<_>>()
                .join("\n\n");
            (!text.trim().is_empty()).then_some(text)
        }
        Err(e) => {
            tracing::debug!(target: "index::extract", "attachment {name}: {e}");
            None
        }
    }
}

fn header(out: &mut String, name: &str, value: Option<String>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(&v);
        out.push('\n');
    }
}

fn addresses(a: &Address<'_>) -> String {
    a.iter()
        .map(|x| match (x.name(), x.address()) {
            (Some(n), Some(e)) => format!("{n} <{e}>"),
            (Some(n), None) => n.to_string(),
            (None, Some(e)) => e.to_string(),
            (None, None) => String::new(),
        })
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
