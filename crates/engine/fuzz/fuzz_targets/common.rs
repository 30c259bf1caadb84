// Shared by the fuzz targets: the first input byte picks the file kind, the
// rest is the document. The extractor is called directly, not through
// `Extractors::extract`, so that a panic reaches the fuzzer instead of being
// caught and turned into an error.
use crumb_engine::extract::{Extractors, Limits};
use crumb_engine::FileKind;

pub fn run(data: &[u8], kinds: &[(FileKind, &str)]) {
    let Some((&selector, doc)) = data.split_first() else {
        return;
    };
    let (kind, name) = kinds[selector as usize % kinds.len()];
    // Smaller limits than the indexer's keep each run fast and within
    // libFuzzer's default 2 GiB RSS limit.
    let limits = Limits {
        max_decompressed_bytes: 32 << 20,
        max_text_chars: 1 << 20,
        max_depth: 256,
    };
    if let Some(ex) = Extractors::default().for_kind(kind) {
        let _ = ex.extract(doc, name, &limits);
    }
}
