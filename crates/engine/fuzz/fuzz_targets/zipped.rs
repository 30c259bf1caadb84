#![no_main]
//! Fuzz target: zip-container documents parsed by Crumb's own code (first byte
//! selects the kind, see common.rs). Spreadsheets are left out: calamine's
//! known out-of-memory and overflow bugs on fuzzed XLS/XLSX (POI's clusterfuzz
//! files) would stop every run at once; the worker's memory limit and panic
//! guard contain them in the indexer.
use crumb_engine::FileKind;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::run(
        data,
        &[
            (FileKind::Docx, "f.docx"),
            (FileKind::Pptx, "f.pptx"),
            (FileKind::Odt, "f.odt"),
            (FileKind::Odp, "f.odp"),
            (FileKind::Epub, "f.epub"),
        ],
    );
});
