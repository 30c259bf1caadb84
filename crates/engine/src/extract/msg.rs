//! Outlook `.msg`: a compound file whose MAPI properties are streams named
//! `__substg1.0_IIIITTTT` (property id, type). Read with the `cfb` crate that
//! calamine already uses; the maintained `.msg` crates add little on top.

use super::email::attachment_text;
use super::{Block, ExtractError, ExtractedDoc, Limits, Location};
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

type Cfb<'a> = cfb::CompoundFile<Cursor<&'a [u8]>>;

/// Extracts an Outlook message: headers, plain body (or HTML body as text),
/// and the text of its file attachments.
pub(crate) fn extract_msg(bytes: &[u8], limits: &Limits) -> Result<ExtractedDoc, ExtractError> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| ExtractError::corrupt("Outlook message", e))?;
    let root = PathBuf::from("/");
    let subject = string_prop(&mut file, &root, "0037", limits);
    let mut text = String::new();
    for (name, id) in [
        ("Subject", "0037"),
        ("From", "0C1A"),
        ("To", "0E04"),
        ("Cc", "0E03"),
    ] {
        if let Some(v) = string_prop(&mut file, &root, id, limits).filter(|v| !v.trim().is_empty())
        {
            text.push_str(&format!("{name}: {}\n", v.trim()));
        }
    }
    if let Some(date) =
        string_prop(&mut file, &root, "007D", limits).and_then(|h| header_line(&h, "date"))
    {
        text.push_str(&format!("Date: {date}\n"));
    }
    text.push('\n');
    let body = string_prop(&mut file, &root, "1000", limits).or_else(|| {
        let html = string_prop(&mut file, &root, "1013", limits).or_else(|| {
            binary_prop(&mut file, &root, "1013", limits)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        })?;
        Some(super::html::html_to_page(&html, limits).text)
    });
    text.push_str(body.as_deref().unwrap_or_default().trim());
    let mut blocks = vec![Block {
        text: text.trim_end().to_string(),
        location: Location::label("Message").with_line(1),
    }];
    for dir in attachment_dirs(&file) {
        let name = string_prop(&mut file, &dir, "3707", limits)
            .or_else(|| string_prop(&mut file, &dir, "3704", limits))
            .unwrap_or_else(|| "attachment".into());
        let Some(data) = binary_prop(&mut file, &dir, "3701", limits) else {
            continue;
        };
        if let Some(t) = attachment_text(&name, &data, limits, 1) {
            blocks.push(Block {
                text: t,
                location: Location::label(format!("Attachment {name}")).with_line(1),
            });
        }
    }
    let doc = ExtractedDoc {
        title: subject
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        blocks,
        ..Default::default()
    };
    if doc.is_empty() {
        return Err(ExtractError::NoText("Outlook message holds no text".into()));
    }
    Ok(doc)
}

fn attachment_dirs(file: &Cfb<'_>) -> Vec<PathBuf> {
    file.read_root_storage()
        .filter(|e| e.is_storage() && e.name().starts_with("__attach_version1.0_"))
        .map(|e| e.path().to_path_buf())
        .take(256)
        .collect()
}

/// A string property: UTF-16 (`001F`) or 8-bit (`001E`, decoded as
/// Windows-1252, the usual ANSI code page of such files).
fn string_prop(file: &mut Cfb<'_>, dir: &Path, id: &str, limits: &Limits) -> Option<String> {
    if let Some(raw) = stream(file, &dir.join(format!("__substg1.0_{id}001F")), limits) {
        let units: Vec<u16> = raw
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return Some(
            String::from_utf16_lossy(&units)
                .trim_end_matches('\0')
                .to_string(),
        );
    }
    let raw = stream(file, &dir.join(format!("__substg1.0_{id}001E")), limits)?;
    let (s, _, _) = encoding_rs::WINDOWS_1252.decode(&raw);
    Some(s.trim_end_matches('\0').to_string())
}

fn binary_prop(file: &mut Cfb<'_>, dir: &Path, id: &str, limits: &Limits) -> Option<Vec<u8>> {
    stream(file, &dir.join(format!("__substg1.0_{id}0102")), limits)
}

fn stream(file: &mut Cfb<'_>, path: &Path, limits: &Limits) -> Option<Vec<u8>> {
    if !file.is_stream(path) {
        return None;
    }
    let mut s = file.open_stream(path).ok()?;
    let mut out = Vec::new();
    s.by_ref()
        .take(limits.max_decompressed_bytes)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

/// The value of header `name` in a block of transport headers.
fn header_line(headers: &str, name: &str) -> Option<String> {
    headers.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}
