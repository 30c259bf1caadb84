//! The record layer of the "PowerPoint Document" stream ([MS-PPT] 2.3.1):
//! every structure is a record with an 8-byte header (recVer and recInstance
//! in one `u16`, recType `u16`, recLen `u32`); containers (recVer 0xF) hold
//! further records. Also the persist directory ([MS-PPT] 2.3.2–2.3.4), which
//! maps the persist ids that slides and notes are referenced by to stream
//! offsets, following the chain of edits from the "Current User" stream.

use std::collections::{HashMap, HashSet};

/// Record types this reader uses, from [MS-PPT] 2.13.24 (RecordType).
pub(super) mod rt {
    pub const DOCUMENT: u16 = 0x03E8;
    pub const SLIDE: u16 = 0x03EE;
    pub const SLIDE_ATOM: u16 = 0x03EF;
    pub const NOTES: u16 = 0x03F0;
    pub const SLIDE_PERSIST_ATOM: u16 = 0x03F3;
    pub const MAIN_MASTER: u16 = 0x03F8;
    pub const EX_OBJ_LIST: u16 = 0x0409;
    pub const TEXT_HEADER_ATOM: u16 = 0x0F9F;
    pub const TEXT_CHARS_ATOM: u16 = 0x0FA0;
    pub const TEXT_BYTES_ATOM: u16 = 0x0FA8;
    pub const CSTRING: u16 = 0x0FBA;
    pub const HEADERS_FOOTERS: u16 = 0x0FD9;
    pub const SLIDE_LIST_WITH_TEXT: u16 = 0x0FF0;
    pub const USER_EDIT_ATOM: u16 = 0x0FF5;
    pub const CURRENT_USER_ATOM: u16 = 0x0FF6;
    pub const PERSIST_DIRECTORY_ATOM: u16 = 0x1772;
}

/// The header token of an unencrypted document's CurrentUserAtom; an
/// encrypted one has 0xF3D1C4DF ([MS-PPT] 2.3.2).
const TOKEN_PLAIN: u32 = 0xE391_C05F;
const TOKEN_ENCRYPTED: u32 = 0xF3D1_C4DF;
/// Most UserEditAtoms followed: each incremental save adds one, and real
/// files have a handful; a loop or a forged chain stops here.
const MAX_EDITS: usize = 4096;

pub(super) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

pub(super) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// One record: its header fields and its body.
#[derive(Debug, Clone, Copy)]
pub(super) struct Record<'a> {
    pub ver: u16,
    pub instance: u16,
    pub kind: u16,
    pub body: &'a [u8],
}

impl Record<'_> {
    /// Containers hold records; atoms hold data.
    pub fn is_container(&self) -> bool {
        self.ver == 0xF
    }
}

/// A record whose header or length does not fit where it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Damage(pub String);

/// The record starting at `at` in `buf`.
pub(super) fn record_at(buf: &[u8], at: usize) -> Result<Record<'_>, Damage> {
    let (Some(vi), Some(kind), Some(len)) =
        (u16_at(buf, at), u16_at(buf, at + 2), u32_at(buf, at + 4))
    else {
        return Err(Damage(format!("record header at byte {at} is cut off")));
    };
    let start = at + 8;
    let body = start
        .checked_add(len as usize)
        .and_then(|end| buf.get(start..end))
        .ok_or_else(|| {
            Damage(format!(
                "record 0x{kind:04X} at byte {at} claims {len} bytes, past the end of its container ({} bytes)",
                buf.len()
            ))
        })?;
    Ok(Record {
        ver: vi & 0xF,
        instance: vi >> 4,
        kind,
        body,
    })
}

/// The records laid one after another in `buf` (a container's body). A
/// damaged record ends the sequence with an error item.
pub(super) fn children(buf: &[u8]) -> Children<'_> {
    Children { buf, at: 0 }
}

pub(super) struct Children<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Children<'a> {
    type Item = Result<Record<'a>, Damage>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.buf.len() {
            return None;
        }
        match record_at(self.buf, self.at) {
            Ok(r) => {
                self.at += 8 + r.body.len();
                Some(Ok(r))
            }
            Err(e) => {
                self.at = self.buf.len();
                Some(Err(e))
            }
        }
    }
}

/// Why the persist directory could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DirectoryError {
    /// The document is encrypted (RC4 CryptoAPI, [MS-PPT] 2.3.7).
    Encrypted,
    /// The edit chain or the directory is damaged.
    Damaged(String),
}

/// Where each persist object starts in the stream, and which one is the
/// document, as the newest edit says.
#[derive(Debug, Default)]
pub(super) struct PersistDirectory {
    pub offsets: HashMap<u32, usize>,
    pub document: u32,
}

impl PersistDirectory {
    /// The record that persist object `id` starts with.
    pub fn object<'a>(&self, stream: &'a [u8], id: u32) -> Option<Record<'a>> {
        record_at(stream, *self.offsets.get(&id)?).ok()
    }

    /// Reads the directory: the "Current User" stream names the newest
    /// UserEditAtom; each edit points to its persist directory fragment and
    /// to the edit before it. Newer fragments win.
    pub fn read(stream: &[u8], current_user: &[u8]) -> Result<Self, DirectoryError> {
        let damaged = |s: String| DirectoryError::Damaged(s);
        let user = record_at(current_user, 0).map_err(|e| damaged(e.0))?;
        if user.kind != rt::CURRENT_USER_ATOM {
            return Err(damaged(
                "Current User stream holds no CurrentUserAtom".into(),
            ));
        }
        match u32_at(user.body, 4) {
            Some(TOKEN_ENCRYPTED) => return Err(DirectoryError::Encrypted),
            Some(TOKEN_PLAIN) => {}
            _ => return Err(damaged("unknown CurrentUserAtom header token".into())),
        }
        let edit_at =
            u32_at(user.body, 8).ok_or_else(|| damaged("CurrentUserAtom is cut off".into()))?;
        Self::read_from_edit(stream, edit_at as usize)
    }

    /// Reads the directory from the UserEditAtom at `edit_at` back.
    pub fn read_from_edit(stream: &[u8], mut edit_at: usize) -> Result<Self, DirectoryError> {
        let damaged = |s: String| DirectoryError::Damaged(s);
        let mut dir = PersistDirectory::default();
        let mut seen = HashSet::new();
        let mut newest = true;
        loop {
            if !seen.insert(edit_at) || seen.len() > MAX_EDITS {
                return Err(damaged("the chain of edits loops".into()));
            }
            let edit = record_at(stream, edit_at).map_err(|e| damaged(e.0))?;
            if edit.kind != rt::USER_EDIT_ATOM {
                return Err(damaged(format!(
                    "no UserEditAtom at byte {edit_at} (found 0x{:04X})",
                    edit.kind
                )));
            }
            let field = |at: usize| {
                u32_at(edit.body, at).ok_or_else(|| damaged("UserEditAtom is cut off".into()))
            };
            let (last_edit, dir_at) = (field(8)?, field(12)?);
            if newest {
                dir.document = field(16)?;
                // An encryptSessionPersistIdRef after the 28 fixed bytes
                // means the persist objects are RC4-encrypted.
                if edit.body.len() >= 32 && field(28)? != 0 {
                    return Err(DirectoryError::Encrypted);
                }
                newest = false;
            }
            let fragment = record_at(stream, dir_at as usize).map_err(|e| damaged(e.0))?;
            if fragment.kind != rt::PERSIST_DIRECTORY_ATOM {
                return Err(damaged(format!("no PersistDirectoryAtom at byte {dir_at}")));
            }
            read_fragment(fragment.body, stream.len(), &mut dir.offsets);
            if last_edit == 0 {
                break;
            }
            edit_at = last_edit as usize;
        }
        if dir.offsets.contains_key(&dir.document) {
            Ok(dir)
        } else {
            Err(damaged(
                "the persist directory does not list the document".into(),
            ))
        }
    }
}

/// Adds one PersistDirectoryAtom's entries ([MS-PPT] 2.3.5): runs of
/// `cPersist` offsets for consecutive ids starting at `persistId`. Entries
/// already present came from a newer edit and are kept.
fn read_fragment(body: &[u8], stream_len: usize, out: &mut HashMap<u32, usize>) {
    let mut at = 0;
    while let Some(head) = u32_at(body, at) {
        let (first, count) = (head & 0x000F_FFFF, head >> 20);
        at += 4;
        for k in 0..count {
            let Some(offset) = u32_at(body, at) else {
                return;
            };
            at += 4;
            let offset = offset as usize;
            if offset < stream_len {
                out.entry(first + k).or_insert(offset);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(ver: u16, instance: u16, kind: u16, body: &[u8]) -> Vec<u8> {
        let mut v = ((instance << 4) | ver).to_le_bytes().to_vec();
        v.extend(kind.to_le_bytes());
        v.extend((body.len() as u32).to_le_bytes());
        v.extend(body);
        v
    }

    #[test]
    fn a_record_longer_than_its_container_is_damage_not_a_panic() {
        let mut buf = rec(0, 0, rt::TEXT_CHARS_ATOM, b"a\0");
        buf[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        let items: Vec<_> = children(&buf).collect();
        assert_eq!(items.len(), 1);
        let err = items[0].as_ref().unwrap_err();
        assert!(err.0.contains("past the end"), "{}", err.0);
    }

    #[test]
    fn newer_persist_entries_win_and_loops_are_refused() {
        // Two edits: the newer maps id 1 to 8, the older maps 1 to 0 and 2 to 0.
        let mut stream = rec(0xF, 0, rt::DOCUMENT, &[]);
        stream.extend(rec(0xF, 0, rt::SLIDE, &[]));
        let old_dir_at = stream.len();
        let mut body = ((2u32 << 20) | 1).to_le_bytes().to_vec();
        body.extend(0u32.to_le_bytes());
        body.extend(0u32.to_le_bytes());
        stream.extend(rec(0, 0, rt::PERSIST_DIRECTORY_ATOM, &body));
        let old_edit_at = stream.len();
        let edit = |last: u32, dir: u32| {
            let mut b = vec![0u8; 8];
            b.extend(last.to_le_bytes());
            b.extend(dir.to_le_bytes());
            b.extend(2u32.to_le_bytes()); // docPersistIdRef
            b.extend([0u8; 8]);
            rec(0, 0, rt::USER_EDIT_ATOM, &b)
        };
        stream.extend(edit(0, old_dir_at as u32));
        let new_dir_at = stream.len();
        let mut body = ((1u32 << 20) | 1).to_le_bytes().to_vec();
        body.extend(8u32.to_le_bytes());
        stream.extend(rec(0, 0, rt::PERSIST_DIRECTORY_ATOM, &body));
        let new_edit_at = stream.len();
        stream.extend(edit(old_edit_at as u32, new_dir_at as u32));
        let user = |at: usize| {
            let mut b = 0x14u32.to_le_bytes().to_vec();
            b.extend(TOKEN_PLAIN.to_le_bytes());
            b.extend((at as u32).to_le_bytes());
            rec(0, 0, rt::CURRENT_USER_ATOM, &b)
        };
        let dir = PersistDirectory::read(&stream, &user(new_edit_at)).expect("directory");
        assert_eq!(dir.offsets.get(&1), Some(&8));
        assert_eq!(dir.offsets.get(&2), Some(&0));
        assert_eq!(
            dir.object(&stream, dir.document).map(|r| r.kind),
            Some(rt::DOCUMENT)
        );
        // An edit that points to itself.
        let looping_at = stream.len();
        stream.extend(edit(looping_at as u32, new_dir_at as u32));
        assert!(matches!(
            PersistDirectory::read(&stream, &user(looping_at)),
            Err(DirectoryError::Damaged(m)) if m.contains("loops")
        ));
    }
}
