//! The tantivy schema: one document per passage, and one name entry per file
//! that has no passage (an image, an archive, a file that failed).

use super::analysis::{KEYWORD_ANALYZER, TEXT_ANALYZER};
use tantivy::schema::{
    FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED,
    STORED, STRING,
};

/// The fields, by handle.
#[derive(Clone, Copy)]
pub(crate) struct Fields {
    /// Catalog passage id; 0 on a name entry.
    pub passage_id: Field,
    /// Catalog file id.
    pub file_id: Field,
    /// Passage text.
    pub text: Field,
    /// Document title.
    pub title: Field,
    /// File name.
    pub name: Field,
    /// Parent folder path.
    pub path: Field,
    /// Kind name (`pdf`, `markdown`…).
    pub kind: Field,
    /// Extension, lowercase, without the dot (`jpg`).
    pub ext: Field,
    /// Every folder name above the file, lowercased and folded (`in:name`).
    pub folders: Field,
    /// Modification time, seconds since the epoch.
    pub modified: Field,
    /// The parent folder as a facet (`in:/absolute/path`).
    pub dir: Field,
}

impl Fields {
    /// The fields searched by words, with their BM25 boosts: the passage
    /// text counts fully; title and name, short and per file, half; the
    /// folder path, shared by many files, a fifth.
    pub fn weighted(&self) -> [(Field, f32); 4] {
        [
            (self.text, 1.0),
            (self.title, 0.5),
            (self.name, 0.5),
            (self.path, 0.2),
        ]
    }
}

/// The schema this build writes.
pub(crate) fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let analysed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TEXT_ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let keyword = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(KEYWORD_ANALYZER)
            .set_index_option(IndexRecordOption::Basic),
    );
    let fields = Fields {
        passage_id: b.add_u64_field("passage_id", INDEXED | STORED | FAST),
        file_id: b.add_u64_field("file_id", INDEXED | FAST),
        text: b.add_text_field("text", analysed.clone()),
        title: b.add_text_field("title", analysed.clone()),
        name: b.add_text_field("name", analysed.clone()),
        path: b.add_text_field("path", analysed),
        kind: b.add_text_field("kind", STRING),
        ext: b.add_text_field("ext", STRING),
        folders: b.add_text_field("folders", keyword),
        modified: b.add_i64_field("modified", INDEXED | FAST),
        dir: b.add_facet_field("dir", FacetOptions::default()),
    };
    (b.build(), fields)
}
