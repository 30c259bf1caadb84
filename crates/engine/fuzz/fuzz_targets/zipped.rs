#![no_main]
//! Fuzz target: zipped formats (first byte selects the kind, see common.rs).
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
            (FileKind::Xlsx, "f.xlsx"),
            (FileKind::Odt, "f.odt"),
            (FileKind::Odp, "f.odp"),
            (FileKind::Ods, "f.ods"),
            (FileKind::Epub, "f.epub"),
            (FileKind::Xls, "f.xls"),
        ],
    );
});
