//! Legacy PowerPoint (`.ppt`, `.pps`, `.pot`; PowerPoint 97–2003): the text
//! of each slide and its notes, read from the "PowerPoint Document" stream
//! with the `cfb` compound-file crate. No maintained crate reads `.ppt`; the
//! record layer and the text atoms are the small, stable part of [MS-PPT].
//!
//! The persist directory (see `records.rs`) leads from the newest edit to the
//! current document. Its slide list (`SlideListWithText`, instance 0) gives
//! the slides in presentation order, with the placeholder text PowerPoint 97
//! keeps there; each slide's own record holds the text of its other shapes
//! (and, in files saved by later versions, of its placeholders too), inside
//! its drawing. The notes page is found through the slide's `SlideAtom` and
//! the notes list (instance 2).
//! Masters contribute only their text boxes that are not placeholders, so
//! "Click to edit Master title style" is not indexed; embedded OLE objects
//! and the VBA project are not read.

mod records;

use self::records::{children, rt, u32_at, DirectoryError, PersistDirectory, Record};
use super::archive::is_encrypted_package;
use super::{Block, ExtractError, ExtractedDoc, Limits, Location};
use std::collections::HashSet;
use std::io::{Cursor, Read};

/// Record types only this module needs.
const EX_HYPERLINK: u16 = 0x0FD7;
const HANDOUT: u16 = 0x0FC9;
const ENVIRONMENT: u16 = 0x03F2;
const PROG_TAGS: u16 = 0x1388;
const EX_OLE_OBJ_STG: u16 = 0x1011;
const SP_CONTAINER: u16 = 0xF004;
const CLIENT_DATA: u16 = 0xF011;
const PLACEHOLDER_ATOM: u16 = 0x0BC3;
/// TextHeaderAtom text types of titles ([MS-PPT] 2.13.33 TextTypeEnum).
const TITLE_TYPES: [u32; 2] = [0, 6];
/// Deepest record nesting followed; real files nest about ten deep (group
/// shapes add two levels each).
const MAX_DEPTH: usize = 64;
/// The "Current User" stream is about 100 bytes; more is not a real one.
const MAX_CURRENT_USER: u64 = 64 << 10;

fn corrupt(detail: impl std::fmt::Display) -> ExtractError {
    ExtractError::corrupt("PPT", detail)
}

/// Extracts the text of a PowerPoint 97–2003 presentation: one block per
/// slide with text, located as "Slide N", its notes appended.
pub(crate) fn extract_ppt(bytes: &[u8], limits: &Limits) -> Result<ExtractedDoc, ExtractError> {
    if is_encrypted_package(bytes) {
        return Err(ExtractError::Encrypted("PPT".into()));
    }
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| corrupt(format!("damaged compound file ({e})")))?;
    let Some(path) = [
        "/PowerPoint Document",
        "/PP97_DUALSTORAGE/PowerPoint Document",
    ]
    .into_iter()
    .find(|p| file.is_stream(p)) else {
        if file.exists("/PP40") || file.exists("/Text_Content") {
            return Err(ExtractError::Unsupported(
                "PowerPoint 4/95 presentation (.ppt before PowerPoint 97)".into(),
            ));
        }
        return Err(corrupt("no PowerPoint Document stream"));
    };
    let stream = read_stream(&mut file, path, limits.max_decompressed_bytes)?;
    let current_user = if file.is_stream("/Current User") {
        read_stream(&mut file, "/Current User", MAX_CURRENT_USER).unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut reader = Reader::new(&stream, limits);
    let doc = match directory(&stream, &current_user) {
        Ok(dir) => reader.by_slide(&dir)?,
        Err(DirectoryError::Encrypted) => return Err(ExtractError::Encrypted("PPT".into())),
        Err(DirectoryError::Damaged(why)) => {
            tracing::debug!(target: "index::extract", "PPT persist directory unreadable ({why}); reading records in file order");
            reader.in_file_order(&why)?
        }
    };
    if doc.is_empty() {
        return Err(match reader.damage {
            Some(d) => corrupt(d),
            None => ExtractError::NoText("PPT slides hold no text".into()),
        });
    }
    Ok(doc)
}

fn read_stream(
    file: &mut cfb::CompoundFile<Cursor<&[u8]>>,
    path: &str,
    max: u64,
) -> Result<Vec<u8>, ExtractError> {
    let s = file.open_stream(path).map_err(corrupt)?;
    if s.len() > max {
        return Err(ExtractError::Limit(format!(
            "PPT stream {path} is {} MiB, over the {} MiB limit",
            s.len() >> 20,
            max >> 20
        )));
    }
    let mut out = Vec::new();
    s.take(max).read_to_end(&mut out).map_err(corrupt)?;
    Ok(out)
}

/// The persist directory through "Current User", or, when that stream is
/// missing or stale, from the last UserEditAtom in the stream.
fn directory(stream: &[u8], current_user: &[u8]) -> Result<PersistDirectory, DirectoryError> {
    let first = PersistDirectory::read(stream, current_user);
    if !matches!(first, Err(DirectoryError::Damaged(_))) {
        return first;
    }
    let last_edit = children(stream)
        .map_while(Result::ok)
        .scan(0usize, |at, r| {
            let here = *at;
            *at += 8 + r.body.len();
            Some((here, r.kind))
        })
        .filter(|(_, kind)| *kind == rt::USER_EDIT_ATOM)
        .last();
    match last_edit {
        Some((at, _)) => PersistDirectory::read_from_edit(stream, at).or(first),
        None => first,
    }
}

/// One entry of a SlideListWithText: the persist object of a slide, notes
/// page or master, its id (slideId, notesId or masterId, which SlideAtoms
/// refer to), and the text the list keeps for it.
struct Entry {
    persist: u32,
    id: u32,
    texts: Vec<Text>,
}

/// One run of text found in a record tree.
struct Text {
    text: String,
    is_title: bool,
}

/// Walks record trees, collecting text under the limits.
struct Reader<'a> {
    stream: &'a [u8],
    /// Records still allowed to be visited: a real file visits each record
    /// once, so forged overlapping persist offsets cannot make this quadratic.
    visits_left: usize,
    chars_left: usize,
    /// The first structural damage met, reported when no text came out.
    damage: Option<String>,
}

impl<'a> Reader<'a> {
    fn new(stream: &'a [u8], limits: &Limits) -> Self {
        Reader {
            stream,
            visits_left: stream.len() / 4 + 4096,
            chars_left: limits.max_text_chars,
            damage: None,
        }
    }

    fn note(&mut self, damage: String) {
        tracing::debug!(target: "index::extract", "PPT: {damage}");
        self.damage.get_or_insert(damage);
    }

    /// The slides in presentation order, then the document's own headers,
    /// footers and hyperlinks, then the masters' own text.
    fn by_slide(&mut self, dir: &PersistDirectory) -> Result<ExtractedDoc, ExtractError> {
        let document = dir
            .object(self.stream, dir.document)
            .filter(|r| r.kind == rt::DOCUMENT)
            .ok_or_else(|| corrupt("the persist directory does not lead to the document"))?;
        let mut slides: Vec<Entry> = Vec::new();
        let mut notes_pages: Vec<Entry> = Vec::new();
        let mut masters: Vec<Entry> = Vec::new();
        let mut extra = Vec::new();
        for child in children(document.body) {
            let child = match child {
                Ok(c) => c,
                Err(e) => {
                    self.note(e.0);
                    break;
                }
            };
            match child.kind {
                rt::SLIDE_LIST_WITH_TEXT => {
                    let list = self.slide_list(child)?;
                    match child.instance {
                        0 => slides.extend(list),
                        1 => masters.extend(list),
                        2 => notes_pages.extend(list),
                        _ => {}
                    }
                }
                rt::HEADERS_FOOTERS | rt::EX_OBJ_LIST => self.walk(child, 0, &mut extra)?,
                _ => {}
            }
        }
        if slides.is_empty() {
            // No slide list: the slides in persist-id order, which is the
            // order PowerPoint created them in.
            let mut ids: Vec<u32> = dir.offsets.keys().copied().collect();
            ids.sort_unstable();
            slides = ids
                .into_iter()
                .filter(|&id| {
                    dir.object(self.stream, id)
                        .is_some_and(|r| r.kind == rt::SLIDE)
                })
                .map(|persist| Entry {
                    persist,
                    id: 0,
                    texts: Vec::new(),
                })
                .collect();
        }
        let mut seen = HashSet::new();
        let mut blocks = Vec::new();
        let mut title = None;
        for (i, entry) in slides.into_iter().enumerate() {
            let mut texts = entry.texts;
            let mut notes = Vec::new();
            if let Some(slide) = self.persist_object(dir, entry.persist, &[rt::SLIDE], &mut seen) {
                let mut drawn = Vec::new();
                self.walk(slide, 0, &mut drawn)?;
                push_new(&mut texts, drawn);
                let page =
                    notes_id(slide).and_then(|id| notes_pages.iter_mut().find(|n| n.id == id));
                if let Some(page) = page {
                    notes.append(&mut page.texts);
                    let persist = page.persist;
                    if let Some(page) = self.persist_object(dir, persist, &[rt::NOTES], &mut seen) {
                        let mut drawn = Vec::new();
                        self.walk(page, 0, &mut drawn)?;
                        push_new(&mut notes, drawn);
                    }
                }
            }
            if i == 0 {
                title = texts
                    .iter()
                    .find(|t| t.is_title)
                    .map(|t| t.text.split_whitespace().collect::<Vec<_>>().join(" "));
            }
            let mut text = join(&texts);
            let notes = join(&notes);
            if !notes.is_empty() {
                text.push_str(if text.is_empty() {
                    "Notes:\n"
                } else {
                    "\n\nNotes:\n"
                });
                text.push_str(&notes);
            }
            if !text.is_empty() {
                blocks.push(Block {
                    text,
                    location: Location::slide(i as u32 + 1),
                });
            }
        }
        push_block(&mut blocks, &extra, "Headers, footers and links");
        let mut design = Vec::new();
        for entry in masters {
            // Title masters are slide records.
            let kinds = [rt::MAIN_MASTER, rt::SLIDE];
            if let Some(master) = self.persist_object(dir, entry.persist, &kinds, &mut seen) {
                self.master(master, &mut design)?;
            }
        }
        push_block(&mut blocks, &design, "Slide master");
        Ok(ExtractedDoc {
            title: title.filter(|t| !t.is_empty()),
            blocks,
            ..Default::default()
        })
    }

    /// Without a persist directory: the text of the document's slide lists
    /// and of every slide record in file order, in one block without slide
    /// numbers. Notes are left out here: without the directory a notes page
    /// cannot be told from the notes master and its prompts.
    fn in_file_order(&mut self, why: &str) -> Result<ExtractedDoc, ExtractError> {
        let mut texts = Vec::new();
        for record in children(self.stream) {
            match record {
                Ok(r) if matches!(r.kind, rt::DOCUMENT | rt::SLIDE) => {
                    self.walk(r, 0, &mut texts)?
                }
                Ok(_) => {}
                Err(e) => {
                    self.note(e.0);
                    break;
                }
            }
        }
        if texts.is_empty() {
            self.damage.get_or_insert_with(|| why.to_string());
        }
        let mut blocks = Vec::new();
        let mut unique = Vec::new();
        push_new(&mut unique, texts);
        push_block(&mut blocks, &unique, "");
        Ok(ExtractedDoc {
            title: None,
            blocks,
            ..Default::default()
        })
    }

    /// The entries of a SlideListWithText: each SlidePersistAtom (or the
    /// Notes/MasterPersistAtom of the same layout) starts an entry, and the
    /// text atoms after it are that entry's.
    fn slide_list(&mut self, list: Record<'a>) -> Result<Vec<Entry>, ExtractError> {
        let mut out: Vec<Entry> = Vec::new();
        let mut is_title = false;
        for child in children(list.body) {
            let child = match child {
                Ok(c) => c,
                Err(e) => {
                    self.note(e.0);
                    break;
                }
            };
            self.visit()?;
            match child.kind {
                rt::SLIDE_PERSIST_ATOM => out.push(Entry {
                    persist: u32_at(child.body, 0).unwrap_or(0),
                    id: u32_at(child.body, 12).unwrap_or(0),
                    texts: Vec::new(),
                }),
                rt::TEXT_HEADER_ATOM => {
                    is_title = u32_at(child.body, 0).is_some_and(|t| TITLE_TYPES.contains(&t))
                }
                rt::TEXT_CHARS_ATOM | rt::TEXT_BYTES_ATOM => {
                    if let (Some(text), Some(entry)) = (self.text_of(child), out.last_mut()) {
                        entry.texts.push(Text { text, is_title });
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// The text in a record tree, in order. Skips what holds no slide text:
    /// program tags (PowerPoint 2000+ extension data), the font and style
    /// environment, embedded objects and handouts.
    fn walk(
        &mut self,
        rec: Record<'a>,
        depth: usize,
        out: &mut Vec<Text>,
    ) -> Result<(), ExtractError> {
        let mut is_title = false;
        for child in children(rec.body) {
            let child = match child {
                Ok(c) => c,
                Err(e) => {
                    self.note(e.0);
                    return Ok(());
                }
            };
            self.visit()?;
            match child.kind {
                rt::TEXT_HEADER_ATOM => {
                    is_title = u32_at(child.body, 0).is_some_and(|t| TITLE_TYPES.contains(&t))
                }
                rt::TEXT_CHARS_ATOM | rt::TEXT_BYTES_ATOM => {
                    if let Some(text) = self.text_of(child) {
                        out.push(Text { text, is_title });
                    }
                }
                // Header/footer strings and hyperlink names and addresses.
                rt::CSTRING if matches!(rec.kind, rt::HEADERS_FOOTERS | EX_HYPERLINK) => {
                    if let Some(text) = self.text_of(child) {
                        out.push(Text {
                            text,
                            is_title: false,
                        });
                    }
                }
                PROG_TAGS | ENVIRONMENT | HANDOUT | EX_OLE_OBJ_STG => {}
                _ if child.is_container() => {
                    if depth >= MAX_DEPTH {
                        self.note(format!("records nest deeper than {MAX_DEPTH}"));
                        continue;
                    }
                    self.walk(child, depth + 1, out)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The text of a master's shapes that are not placeholders (a company
    /// name, a caption shown on every slide). The design template's name
    /// (a CString such as "Office Theme") is not the deck's text.
    fn master(&mut self, master: Record<'a>, out: &mut Vec<Text>) -> Result<(), ExtractError> {
        let mut shapes = Vec::new();
        for child in children(master.body).map_while(Result::ok) {
            self.visit()?;
            if child.is_container() && child.kind != PROG_TAGS {
                self.collect_shapes(child, 0, &mut shapes);
            }
        }
        for shape in shapes {
            if !is_placeholder(shape) {
                self.walk(shape, 0, out)?;
            }
        }
        Ok(())
    }

    /// The shape containers (OfficeArtSpContainer) under `rec`.
    fn collect_shapes(&mut self, rec: Record<'a>, depth: usize, out: &mut Vec<Record<'a>>) {
        for child in children(rec.body).map_while(Result::ok) {
            if self.visits_left == 0 {
                return;
            }
            self.visits_left -= 1;
            if child.kind == SP_CONTAINER {
                out.push(child);
            } else if child.is_container() && depth < MAX_DEPTH {
                self.collect_shapes(child, depth + 1, out);
            }
        }
    }

    /// The persist object `id` if it is one of `kinds` and not read before.
    fn persist_object(
        &mut self,
        dir: &PersistDirectory,
        id: u32,
        kinds: &[u16],
        seen: &mut HashSet<u32>,
    ) -> Option<Record<'a>> {
        if !seen.insert(id) {
            return None;
        }
        match dir.object(self.stream, id) {
            Some(r) if kinds.contains(&r.kind) => Some(r),
            Some(r) => {
                self.note(format!(
                    "persist object {id} is record 0x{:04X}, not 0x{:04X}",
                    r.kind, kinds[0]
                ));
                None
            }
            None => {
                self.note(format!("persist object {id} is missing or cut off"));
                None
            }
        }
    }

    fn visit(&mut self) -> Result<(), ExtractError> {
        self.visits_left = self.visits_left.checked_sub(1).ok_or_else(|| {
            ExtractError::Limit("PPT records overlap or repeat far more than a real file's".into())
        })?;
        Ok(())
    }

    /// Decodes a text atom, or `None` when it is blank, a lone field
    /// placeholder (`*` stands for a slide number or date), or over budget.
    fn text_of(&mut self, atom: Record<'_>) -> Option<String> {
        if self.chars_left == 0 {
            return None;
        }
        let raw = match atom.kind {
            rt::TEXT_BYTES_ATOM => decode_bytes(atom.body),
            _ => String::from_utf16_lossy(
                &atom
                    .body
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect::<Vec<_>>(),
            ),
        };
        let text = clean(&raw);
        if text.trim().is_empty() || text.trim() == "*" {
            return None;
        }
        self.chars_left = self.chars_left.saturating_sub(text.len());
        Some(text)
    }
}

/// TextBytesAtom holds the low bytes of UTF-16 code units whose high byte is
/// zero, i.e. Latin-1 ([MS-PPT] 2.9.20). Bytes 0x80–0x9F would be C1 control
/// characters, which are never text; writers that put them there meant
/// Windows-1252 (curly quotes, dashes), so they are read that way.
fn decode_bytes(b: &[u8]) -> String {
    b.iter()
        .map(|&c| match c {
            0x80..=0x9F => encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(&[c])
                .0
                .chars()
                .next()
                .unwrap_or('\u{FFFD}'),
            _ => char::from(c),
        })
        .collect()
}

/// Paragraph ends (`\r`) and vertical tabs (line breaks inside a paragraph)
/// become newlines; other control characters go.
fn clean(raw: &str) -> String {
    raw.chars()
        .filter_map(|c| match c {
            '\r' | '\u{0B}' => Some('\n'),
            '\t' | '\n' => Some(c),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// Adds the texts of `more` that are not already in `texts`: a placeholder's
/// text can be both in the slide list and in the slide's drawing.
fn push_new(texts: &mut Vec<Text>, more: Vec<Text>) {
    for t in more {
        if !texts.iter().any(|old| old.text == t.text) {
            texts.push(t);
        }
    }
}

fn join(texts: &[Text]) -> String {
    texts
        .iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn push_block(blocks: &mut Vec<Block>, texts: &[Text], label: &str) {
    let text = join(texts);
    if text.trim().is_empty() {
        return;
    }
    let location = if label.is_empty() {
        Location::default()
    } else {
        Location::label(label)
    };
    blocks.push(Block { text, location });
}

/// The notesId of a slide's notes page (`SlideAtom.notesIdRef`), if any.
fn notes_id(slide: Record<'_>) -> Option<u32> {
    let atom = children(slide.body)
        .map_while(Result::ok)
        .find(|r| r.kind == rt::SLIDE_ATOM)?;
    u32_at(atom.body, 16).filter(|&id| id != 0)
}

/// True when a shape is a placeholder (its client data holds a
/// PlaceholderAtom): on a master its text is only a prompt.
fn is_placeholder(shape: Record<'_>) -> bool {
    children(shape.body)
        .map_while(Result::ok)
        .filter(|r| r.kind == CLIENT_DATA)
        .any(|data| {
            children(data.body)
                .map_while(Result::ok)
                .any(|r| r.kind == PLACEHOLDER_ATOM)
        })
}

#[cfg(test)]
mod tests;
