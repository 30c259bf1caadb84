//! Synthetic presentations built with `cfb`: slide order, notes, masters,
//! fallbacks and damage.

use super::*;
use std::io::Write;

fn rec(ver: u16, instance: u16, kind: u16, body: &[u8]) -> Vec<u8> {
    let mut v = ((instance << 4) | ver).to_le_bytes().to_vec();
    v.extend(kind.to_le_bytes());
    v.extend((body.len() as u32).to_le_bytes());
    v.extend(body);
    v
}
fn container(kind: u16, parts: &[Vec<u8>]) -> Vec<u8> {
    rec(0xF, 0, kind, &parts.concat())
}
fn chars(s: &str) -> Vec<u8> {
    let b: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
    rec(0, 0, rt::TEXT_CHARS_ATOM, &b)
}
fn header(text_type: u32) -> Vec<u8> {
    rec(0, 0, rt::TEXT_HEADER_ATOM, &text_type.to_le_bytes())
}
fn persist(id: u32) -> Vec<u8> {
    persist_with_id(id, 0)
}
/// A Slide/Notes/MasterPersistAtom for persist object `persist` whose
/// slideId, notesId or masterId is `id`.
fn persist_with_id(persist: u32, id: u32) -> Vec<u8> {
    let mut b = persist.to_le_bytes().to_vec();
    b.extend([0u8; 8]);
    b.extend(id.to_le_bytes());
    b.extend([0u8; 4]);
    rec(0, 0, rt::SLIDE_PERSIST_ATOM, &b)
}
/// A shape with text in a drawing, optionally a placeholder.
fn shape(text: &str, placeholder: bool) -> Vec<u8> {
    let mut parts = vec![container(0xF00D, &[chars(text)])];
    if placeholder {
        parts.push(container(
            CLIENT_DATA,
            &[rec(0, 0, PLACEHOLDER_ATOM, &[0; 8])],
        ));
    }
    container(
        0x040C,
        &[container(
            0xF002,
            &[container(0xF003, &[container(SP_CONTAINER, &parts)])],
        )],
    )
}
fn slide(notes: u32, shapes: &[Vec<u8>]) -> Vec<u8> {
    let mut atom = vec![0u8; 16];
    atom.extend(notes.to_le_bytes());
    atom.extend([0u8; 4]);
    let mut parts = vec![rec(2, 0, rt::SLIDE_ATOM, &atom)];
    parts.extend_from_slice(shapes);
    container(rt::SLIDE, &parts)
}

/// A presentation file: `objects` are persist objects 1..=n (object 1
/// the document), written in order and listed by one edit.
fn presentation(objects: &[Vec<u8>]) -> Vec<u8> {
    presentation_with_user(objects, None)
}

/// The same, with `user` as the Current User stream when given.
fn presentation_with_user(objects: &[Vec<u8>], user: Option<Vec<u8>>) -> Vec<u8> {
    let mut stream = Vec::new();
    let mut offsets = Vec::new();
    for o in objects {
        offsets.push(stream.len() as u32);
        stream.extend(o);
    }
    let dir_at = stream.len() as u32;
    let mut dir = ((objects.len() as u32) << 20 | 1).to_le_bytes().to_vec();
    dir.extend(offsets.iter().flat_map(|o| o.to_le_bytes()));
    stream.extend(rec(0, 0, rt::PERSIST_DIRECTORY_ATOM, &dir));
    let edit_at = stream.len() as u32;
    let mut edit = vec![0u8; 8];
    edit.extend(0u32.to_le_bytes());
    edit.extend(dir_at.to_le_bytes());
    edit.extend(1u32.to_le_bytes());
    edit.extend([0u8; 8]);
    stream.extend(rec(0, 0, rt::USER_EDIT_ATOM, &edit));
    let mut atom = 0x14u32.to_le_bytes().to_vec();
    atom.extend(0xE391_C05Fu32.to_le_bytes());
    atom.extend(edit_at.to_le_bytes());
    atom.extend([0u8; 8]);
    let user = user.unwrap_or_else(|| rec(0, 0, rt::CURRENT_USER_ATOM, &atom));
    compound(&[("PowerPoint Document", stream), ("Current User", user)])
}
fn compound(streams: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).expect("create");
    for (name, data) in streams {
        let mut s = file.create_stream(name).expect("stream");
        s.write_all(data).expect("write");
    }
    file.flush().expect("flush");
    file.into_inner().into_inner()
}
fn document(lists: &[Vec<u8>]) -> Vec<u8> {
    container(rt::DOCUMENT, lists)
}

#[test]
fn slides_come_in_list_order_with_notes_and_without_master_prompts() {
    // Objects: 1 document, 2 and 3 slides (listed 3 first), 4 notes of
    // slide 2 (its notesId 0x100 in the notes list), 5 the master.
    let slides = rec(
        0xF,
        0,
        rt::SLIDE_LIST_WITH_TEXT,
        &[persist(3), header(0), chars("Opening title"), persist(2)].concat(),
    );
    let masters = rec(0xF, 1, rt::SLIDE_LIST_WITH_TEXT, &persist(5));
    let notes_list = rec(0xF, 2, rt::SLIDE_LIST_WITH_TEXT, &persist_with_id(4, 0x100));
    let notes = container(rt::NOTES, &[shape("Remember the budget", true)]);
    let master = container(
        rt::MAIN_MASTER,
        &[
            shape("Click to edit Master title style", true),
            shape("Acme Corp", false),
            rec(
                0,
                2,
                rt::CSTRING,
                &"Office Theme"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes)
                    .collect::<Vec<_>>(),
            ),
        ],
    );
    let file = presentation(&[
        document(&[slides, masters, notes_list]),
        slide(0x100, &[shape("Second slide body", true), shape("*", true)]),
        slide(
            0,
            &[shape("Opening title", true), shape("A text box", false)],
        ),
        notes,
        master,
    ]);
    let doc = extract_ppt(&file, &Limits::default()).expect("ppt");
    let shown: Vec<_> = doc
        .blocks
        .iter()
        .map(|b| (b.location.display(), b.text.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            ("Slide 1".to_string(), "Opening title\nA text box"),
            (
                "Slide 2".to_string(),
                "Second slide body\n\nNotes:\nRemember the budget"
            ),
            ("Slide master".to_string(), "Acme Corp"),
        ]
    );
    assert_eq!(doc.title.as_deref(), Some("Opening title"));
}

#[test]
fn a_damaged_current_user_stream_falls_back_to_the_last_edit() {
    let slides = rec(0xF, 0, rt::SLIDE_LIST_WITH_TEXT, &persist(2));
    let objects = [
        document(&[slides]),
        slide(0, &[shape("Still found", false)]),
    ];
    let file = presentation_with_user(&objects, Some(vec![0xAB; 40]));
    let doc = extract_ppt(&file, &Limits::default()).expect("ppt");
    assert_eq!(doc.blocks[0].location.display(), "Slide 1");
    assert_eq!(doc.blocks[0].text, "Still found");
}

#[test]
fn without_a_slide_list_slides_come_in_persist_order() {
    let objects = [
        document(&[]),
        slide(0, &[shape("first", false)]),
        slide(0, &[shape("second", false)]),
    ];
    let doc = extract_ppt(&presentation(&objects), &Limits::default()).expect("ppt");
    let shown: Vec<_> = doc
        .blocks
        .iter()
        .map(|b| (b.location.display(), b.text.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            ("Slide 1".to_string(), "first"),
            ("Slide 2".to_string(), "second")
        ]
    );
}

#[test]
fn a_forged_record_length_is_a_clear_reason() {
    let mut slide = slide(0, &[shape("text", false)]);
    slide[4..8].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let slides = rec(0xF, 0, rt::SLIDE_LIST_WITH_TEXT, &persist(2));
    let file = presentation(&[document(&[slides]), slide]);
    let err = extract_ppt(&file, &Limits::default()).unwrap_err();
    assert!(matches!(err, ExtractError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("persist object 2"), "{err}");
}

#[test]
fn nesting_bombs_stop_at_the_depth_limit() {
    let mut deep = shape("deep down", false);
    for _ in 0..200 {
        deep = container(0xF003, &[deep]);
    }
    let slides = rec(0xF, 0, rt::SLIDE_LIST_WITH_TEXT, &[persist(2)].concat());
    let file = presentation(&[
        document(&[slides]),
        slide(0, &[deep, shape("on top", false)]),
    ]);
    let doc = extract_ppt(&file, &Limits::default()).expect("the shallow text");
    assert_eq!(doc.blocks[0].text, "on top");
}

#[test]
fn powerpoint_95_is_named_as_unsupported() {
    let file = compound(&[("PP40", vec![0; 64])]);
    let err = extract_ppt(&file, &Limits::default()).unwrap_err();
    assert!(
        matches!(err, ExtractError::Unsupported(ref m) if m.contains("PowerPoint 4/95")),
        "{err}"
    );
}

#[test]
fn text_bytes_are_latin1_with_windows_quotes() {
    assert_eq!(
        decode_bytes(b"caf\xE9 \x93ok\x94"),
        "café \u{201C}ok\u{201D}"
    );
}

#[test]
fn paragraph_and_line_breaks_become_newlines() {
    assert_eq!(
        clean("\u{0B}\u{0B}Table\rsample\u{0B}x\r"),
        "\n\nTable\nsample\nx"
    );
}
