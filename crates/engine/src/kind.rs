//! The closed set of document kinds Crumb knows, and how a path maps to one.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// What sort of document a file is. Names are the stable strings used by
/// `crumb status --json` (`by_type`) and the search filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// Portable Document Format.
    Pdf,
    /// Office Open XML word processing.
    Docx,
    /// Office Open XML spreadsheet.
    Xlsx,
    /// Office Open XML presentation.
    Pptx,
    /// OpenDocument text.
    Odt,
    /// OpenDocument spreadsheet.
    Ods,
    /// OpenDocument presentation.
    Odp,
    /// EPUB e-book.
    Epub,
    /// HTML page.
    Html,
    /// Markdown.
    Markdown,
    /// Plain text.
    Text,
    /// Source code.
    Code,
    /// E-mail (`.eml`, mbox, Outlook `.msg`).
    Email,
    /// Rich Text Format.
    Rtf,
    /// Legacy Word.
    Doc,
    /// Legacy Excel.
    Xls,
    /// Legacy PowerPoint.
    Ppt,
    /// Image (PNG, JPEG, TIFF, WebP, BMP): its text is recognised (OCR).
    Image,
    /// Anything else: indexed by name only.
    Other,
}

impl FileKind {
    /// Every kind, in display order.
    pub const ALL: [FileKind; 19] = [
        FileKind::Pdf,
        FileKind::Docx,
        FileKind::Xlsx,
        FileKind::Pptx,
        FileKind::Odt,
        FileKind::Ods,
        FileKind::Odp,
        FileKind::Epub,
        FileKind::Html,
        FileKind::Markdown,
        FileKind::Text,
        FileKind::Code,
        FileKind::Email,
        FileKind::Rtf,
        FileKind::Doc,
        FileKind::Xls,
        FileKind::Ppt,
        FileKind::Image,
        FileKind::Other,
    ];

    /// The stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Docx => "docx",
            FileKind::Xlsx => "xlsx",
            FileKind::Pptx => "pptx",
            FileKind::Odt => "odt",
            FileKind::Ods => "ods",
            FileKind::Odp => "odp",
            FileKind::Epub => "epub",
            FileKind::Html => "html",
            FileKind::Markdown => "markdown",
            FileKind::Text => "text",
            FileKind::Code => "code",
            FileKind::Email => "email",
            FileKind::Rtf => "rtf",
            FileKind::Doc => "doc",
            FileKind::Xls => "xls",
            FileKind::Ppt => "ppt",
            FileKind::Image => "image",
            FileKind::Other => "other",
        }
    }

    /// Parses a stable name (as printed by [`FileKind::as_str`]).
    pub fn parse(name: &str) -> Option<FileKind> {
        FileKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(name))
    }

    /// Classifies a path by its extension (case-insensitive). A document
    /// compressed with gzip (`notes.txt.gz`, `manual.pdf.gz`, as Recoll
    /// reads them) is the kind of the name inside; the extractor inflates it
    /// within the decompression limit. A bare `.gz`, an archive (`.tar.gz`)
    /// and gzip inside gzip are not documents.
    pub fn from_path(path: &Path) -> FileKind {
        let gz = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
        match path.file_stem() {
            // One level only: `x.txt.gz.gz` names no kind ("gz" is none).
            Some(inner) if gz => FileKind::from_name(Path::new(inner)),
            _ => FileKind::from_name(path),
        }
    }

    /// The kind a file name's own extension says.
    fn from_name(path: &Path) -> FileKind {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .unwrap_or_default();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| n.to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "pdf" => FileKind::Pdf,
            "docx" | "docm" | "dotx" => FileKind::Docx,
            "xlsx" | "xlsm" | "xlsb" => FileKind::Xlsx,
            "pptx" | "pptm" => FileKind::Pptx,
            "odt" | "ott" => FileKind::Odt,
            "ods" | "ots" => FileKind::Ods,
            "odp" | "otp" => FileKind::Odp,
            "epub" => FileKind::Epub,
            "html" | "htm" | "xhtml" | "shtml" => FileKind::Html,
            "md" | "markdown" | "mdown" | "mkd" | "mdx" => FileKind::Markdown,
            "txt" | "text" | "log" | "csv" | "tsv" | "rst" | "adoc" | "asciidoc" | "org"
            | "tex" | "bib" | "srt" | "vtt" | "ini" | "cfg" | "conf" => FileKind::Text,
            "eml" | "mbox" | "mbx" | "msg" => FileKind::Email,
            "rtf" => FileKind::Rtf,
            "doc" | "dot" => FileKind::Doc,
            "xls" | "xlt" => FileKind::Xls,
            "ppt" | "pps" | "pot" => FileKind::Ppt,
            "png" | "jpg" | "jpeg" | "jpe" | "tif" | "tiff" | "webp" | "bmp" => FileKind::Image,
            e if CODE_EXTENSIONS.contains(&e) => FileKind::Code,
            "" if matches!(
                name.as_str(),
                "readme" | "license" | "copying" | "changelog" | "authors" | "notice" | "todo"
            ) =>
            {
                FileKind::Text
            }
            "" if matches!(name.as_str(), "makefile" | "dockerfile" | "justfile") => FileKind::Code,
            _ => FileKind::Other,
        }
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

const CODE_EXTENSIONS: &[&str] = &[
    "rs", "py", "pyi", "js", "mjs", "cjs", "ts", "tsx", "jsx", "c", "h", "cc", "cpp", "cxx", "hpp",
    "hh", "java", "kt", "kts", "go", "rb", "php", "cs", "fs", "swift", "m", "mm", "scala", "clj",
    "hs", "ml", "mli", "ex", "exs", "erl", "lua", "pl", "pm", "r", "jl", "dart", "zig", "nim",
    "sh", "bash", "zsh", "fish", "ps1", "bat", "cmd", "sql", "toml", "yaml", "yml", "json", "xml",
    "css", "scss", "less", "vue", "svelte", "proto", "graphql", "cmake", "gradle", "mk", "el",
    "vim", "tf", "nix",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_extension_case_insensitively() {
        assert_eq!(FileKind::from_path(Path::new("a/B.PDF")), FileKind::Pdf);
        assert_eq!(
            FileKind::from_path(Path::new("notes.md")),
            FileKind::Markdown
        );
        assert_eq!(FileKind::from_path(Path::new("main.rs")), FileKind::Code);
        assert_eq!(FileKind::from_path(Path::new("README")), FileKind::Text);
        assert_eq!(FileKind::from_path(Path::new("photo.JPG")), FileKind::Image);
        assert_eq!(FileKind::from_path(Path::new("clip.mp4")), FileKind::Other);
    }

    #[test]
    fn a_gzipped_document_is_the_kind_inside() {
        let kind = |p: &str| FileKind::from_path(Path::new(p));
        assert_eq!(kind("docs/notes.txt.gz"), FileKind::Text);
        assert_eq!(kind("manual.PDF.GZ"), FileKind::Pdf);
        assert_eq!(kind("CHANGELOG.gz"), FileKind::Text);
        // Archives and bare or doubly compressed files are not documents.
        assert_eq!(kind("backup.tar.gz"), FileKind::Other);
        assert_eq!(kind("data.gz"), FileKind::Other);
        assert_eq!(kind("notes.txt.gz.gz"), FileKind::Other);
        assert_eq!(kind(".gz"), FileKind::Other);
    }

    #[test]
    fn names_round_trip() {
        for k in FileKind::ALL {
            assert_eq!(FileKind::parse(k.as_str()), Some(k));
        }
    }
}
