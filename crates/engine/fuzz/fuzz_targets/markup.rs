#![no_main]
//! Fuzz target: markup formats (first byte selects the kind, see common.rs).
use crumb_engine::FileKind;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::run(
        data,
        &[
            (FileKind::Html, "f.html"),
            (FileKind::Rtf, "f.rtf"),
            (FileKind::Text, "f.txt"),
            (FileKind::Markdown, "f.md"),
        ],
    );
});
