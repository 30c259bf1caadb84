//! Spreadsheets (XLSX, XLSB, XLS, ODS) through calamine: one block per sheet,
//! labelled "Sheet NAME", cells separated by tabs and rows by newlines.

use super::archive::{is_encrypted_package, Archive, CFB_MAGIC};
use super::docx::{extra_block, properties_block, CHART};
use super::xml::Rules;
use super::{Block, ExtractError, ExtractedDoc, Extractor, Limits, Location};
use crate::kind::FileKind;
use calamine::{open_workbook_from_rs, Data, Ods, Range, Reader, Xls, Xlsb, Xlsx};
use std::io::{Cursor, Read, Write};

/// Extractor for spreadsheets.
pub struct SheetExtractor;

impl Extractor for SheetExtractor {
    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::Xlsx, FileKind::Xls, FileKind::Ods]
    }

    fn extract(
        &self,
        bytes: &[u8],
        name: &str,
        limits: &Limits,
    ) -> Result<ExtractedDoc, ExtractError> {
        let kind = FileKind::from_path(std::path::Path::new(name));
        let label = kind.as_str().to_ascii_uppercase();
        let cur = Cursor::new(bytes);
        let (sheets, first_error): (Vec<(String, Range<Data>)>, Option<String>) =
            if bytes.starts_with(CFB_MAGIC) {
                if is_encrypted_package(bytes) {
                    return Err(ExtractError::Encrypted(label));
                }
                let renamed = renamed_workbook_stream(bytes, limits)?;
                let cur = Cursor::new(renamed.as_deref().unwrap_or(bytes));
                read_all(
                    open_workbook_from_rs::<Xls<_>, _>(cur).map_err(|e| err(&label, e))?,
                    &label,
                )?
            } else {
                // calamine inflates zip parts itself, so check the declared sizes
                // against the budget before handing the bytes over.
                let zip = Archive::open(bytes, "spreadsheet", limits)?;
                check_declared_size(bytes, limits)?;
                let is_ods = zip.contains("content.xml") && !zip.contains("xl/workbook.xml");
                if is_ods {
                    read_all(
                        open_workbook_from_rs::<Ods<_>, _>(cur).map_err(|e| err(&label, e))?,
                        &label,
                    )?
                } else if zip.contains("xl/workbook.bin") {
                    read_all(
                        open_workbook_from_rs::<Xlsb<_>, _>(cur).map_err(|e| err(&label, e))?,
                        &label,
                    )?
                } else {
                    read_all(
                        open_workbook_from_rs::<Xlsx<_>, _>(cur).map_err(|e| err(&label, e))?,
                        &label,
                    )?
                }
            };
        let mut blocks = Vec::new();
        let mut total = 0usize;
        for (sheet, range) in sheets {
            for (text, cells) in sheet_blocks(&range, limits.max_text_chars.saturating_sub(total)) {
                total += text.len();
                blocks.push(Block {
                    text,
                    location: Location::label(format!("Sheet {sheet}, {cells}")),
                });
            }
            if total >= limits.max_text_chars {
                break;
            }
        }
        if !bytes.starts_with(CFB_MAGIC) {
            // Text boxes, charts and comments live outside the cell grid.
            let mut zip = Archive::open(bytes, "spreadsheet", limits)?;
            let notes = Rules {
                text: &["t"],
                paragraphs: &["p", "comment"],
                ..Rules::default()
            };
            extra_block(
                &mut zip,
                "xl/drawings/drawing",
                "Drawings",
                &notes,
                limits,
                &mut blocks,
            )?;
            extra_block(
                &mut zip,
                "xl/comments",
                "Comments",
                &notes,
                limits,
                &mut blocks,
            )?;
            extra_block(
                &mut zip,
                "xl/charts/chart",
                "Charts",
                &CHART,
                limits,
                &mut blocks,
            )?;
            properties_block(&mut zip, limits, &mut blocks);
        }
        if blocks.is_empty() {
            if let Some(e) = first_error {
                return Err(ExtractError::corrupt(&label, e));
            }
            return Err(ExtractError::NoText(format!("{label} has no cell text")));
        }
        Ok(ExtractedDoc {
            title: None,
            blocks,
            ..Default::default()
        })
    }
}

/// calamine finds the workbook stream of an `.xls` by its exact name,
/// "Workbook" (BIFF8) or "Book" (BIFF5), but compound-file names are
/// case-insensitive and some writers store "WORKBOOK" or "BOOK". Such a file
/// is rewrapped, in memory, as a compound file holding just that stream
/// under the name calamine looks for. `None` when no rename is needed.
fn renamed_workbook_stream(bytes: &[u8], limits: &Limits) -> Result<Option<Vec<u8>>, ExtractError> {
    let Ok(mut file) = cfb::CompoundFile::open(Cursor::new(bytes)) else {
        return Ok(None); // calamine reports the damage itself
    };
    let names: Vec<String> = file
        .read_root_storage()
        .filter(|e| e.is_stream())
        .map(|e| e.name().to_string())
        .collect();
    if names.iter().any(|n| n == "Workbook" || n == "Book") {
        return Ok(None);
    }
    let Some((stored, wanted)) = names.iter().find_map(|n| {
        ["Workbook", "Book"]
            .into_iter()
            .find(|w| n.eq_ignore_ascii_case(w))
            .map(|w| (n.clone(), w))
    }) else {
        return Ok(None);
    };
    let fail = |e: std::io::Error| ExtractError::corrupt("XLS", e);
    let mut data = Vec::new();
    let stream = file.open_stream(format!("/{stored}")).map_err(fail)?;
    if stream.len() > limits.max_decompressed_bytes {
        return Err(ExtractError::Limit(format!(
            "XLS workbook stream is over {} MiB",
            limits.max_decompressed_bytes >> 20
        )));
    }
    stream
        .take(limits.max_decompressed_bytes)
        .read_to_end(&mut data)
        .map_err(fail)?;
    // Version 3 (512-byte sectors): calamine reads version 4 files wrongly.
    let mut out = cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))
        .map_err(fail)?;
    out.create_stream(format!("/{wanted}"))
        .and_then(|mut s| s.write_all(&data))
        .map_err(fail)?;
    out.flush().map_err(fail)?;
    Ok(Some(out.into_inner().into_inner()))
}

type Sheets = (Vec<(String, Range<Data>)>, Option<String>);

/// Every readable sheet, and the first error of those that were not.
fn read_all<RS, R>(mut book: R, label: &str) -> Result<Sheets, ExtractError>
where
    RS: std::io::Read + std::io::Seek,
    R: Reader<RS>,
    R::Error: std::fmt::Display,
{
    let names = book.sheet_names();
    let mut out = Vec::new();
    let mut first_error = None;
    for name in names {
        match book.worksheet_range(&name) {
            Ok(range) => out.push((name, range)),
            Err(e) => {
                tracing::debug!(target: "index::extract", "{label} sheet {name}: {e}");
                first_error.get_or_insert_with(|| format!("sheet {name}: {e}"));
            }
        }
    }
    Ok((out, first_error))
}

/// Bytes of rows gathered into one block: about one passage, so each
/// passage of a sheet names the cells it holds.
const ROWS_BLOCK_BYTES: usize = 1200;

/// A sheet's rows as text (cells split by tabs, one row a line), in blocks of
/// about [`ROWS_BLOCK_BYTES`], each with the cell range it covers ("A1:F23").
fn sheet_blocks(range: &Range<Data>, budget: usize) -> Vec<(String, String)> {
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let (_, col1) = range.end().unwrap_or((0, 0));
    let cells = |first: u32, last: u32| {
        format!(
            "{}{}:{}{}",
            column_name(col0),
            row0 + first + 1,
            column_name(col1),
            row0 + last + 1
        )
    };
    let mut out = Vec::new();
    let mut text = String::new();
    let mut first_row: Option<u32> = None;
    let mut last_row = 0u32;
    let mut total = 0usize;
    for (i, row) in range.rows().enumerate() {
        let mut line = String::new();
        for (j, cell) in row.iter().enumerate() {
            if j > 0 {
                line.push('\t');
            }
            if !matches!(cell, Data::Empty) {
                line.push_str(&cell.to_string());
            }
        }
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        first_row.get_or_insert(i);
        last_row = i;
        text.push_str(line);
        text.push('\n');
        total += line.len() + 1;
        if text.len() >= ROWS_BLOCK_BYTES || total >= budget {
            let first = first_row.take().unwrap_or(i);
            out.push((std::mem::take(&mut text), cells(first, last_row)));
        }
        if total >= budget {
            return out;
        }
    }
    if let Some(first) = first_row {
        out.push((text, cells(first, last_row)));
    }
    out
}

/// A spreadsheet column's letters from its 0-based index: A, Z, AA, AB…
fn column_name(mut col: u32) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

fn check_declared_size(bytes: &[u8], limits: &Limits) -> Result<(), ExtractError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ExtractError::corrupt("spreadsheet", e))?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        if let Ok(f) = zip.by_index_raw(i) {
            total = total.saturating_add(f.size());
        }
    }
    if total > limits.max_decompressed_bytes {
        return Err(ExtractError::Limit(format!(
            "spreadsheet inflates to more than {} MiB (zip bomb?)",
            limits.max_decompressed_bytes >> 20
        )));
    }
    Ok(())
}

fn err(label: &str, e: impl std::fmt::Display) -> ExtractError {
    let msg = e.to_string();
    if msg.to_ascii_lowercase().contains("password") || msg.contains("encrypt") {
        ExtractError::Encrypted(label.to_string())
    } else {
        ExtractError::corrupt(label, msg)
    }
}

#[cfg(test)]
mod location_tests {
    use super::*;

    #[test]
    fn column_names_run_past_z() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(27), "AB");
        assert_eq!(column_name(701), "ZZ");
        assert_eq!(column_name(702), "AAA");
    }

    #[test]
    fn rows_are_grouped_into_blocks_that_name_their_cells() {
        let mut range: Range<Data> = Range::new((2, 1), (401, 3));
        for r in 2..=401u32 {
            range.set_value((r, 1), Data::String(format!("item {r}")));
            range.set_value((r, 3), Data::Float(f64::from(r)));
        }
        let blocks = sheet_blocks(&range, usize::MAX);
        assert!(blocks.len() > 2, "{}", blocks.len());
        assert!(blocks[0].1.starts_with("B3:D"), "{}", blocks[0].1);
        assert!(
            blocks[0].0.starts_with("item 2\t\t"),
            "{:?}",
            &blocks[0].0[..20]
        );
        let last = &blocks[blocks.len() - 1];
        assert!(last.1.ends_with(":D402"), "{}", last.1);
        assert!(last.0.contains("item 401"));
    }
}
