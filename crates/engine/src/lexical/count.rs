//! How many files a query's words match: the distinct `file_id`s of the
//! matching documents (passages and name entries), read from the fast field
//! without scoring. The window asks for it only when a page of results is
//! full, so typing never pays for it.

use std::collections::HashSet;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Collects the distinct files of the matching documents.
pub(crate) struct DistinctFiles;

pub(crate) struct SegmentFiles {
    file_id: Column<u64>,
    seen: HashSet<u64>,
}

impl Collector for DistinctFiles {
    type Fruit = HashSet<u64>;
    type Child = SegmentFiles;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentFiles> {
        Ok(SegmentFiles {
            file_id: segment.fast_fields().u64("file_id")?,
            seen: HashSet::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<HashSet<u64>>) -> tantivy::Result<HashSet<u64>> {
        let mut all = HashSet::new();
        for f in fruits {
            all.extend(f);
        }
        Ok(all)
    }
}

impl SegmentCollector for SegmentFiles {
    type Fruit = HashSet<u64>;

    fn collect(&mut self, doc: DocId, _: Score) {
        if let Some(f) = self.file_id.first(doc) {
            self.seen.insert(f);
        }
    }

    fn harvest(self) -> HashSet<u64> {
        self.seen
    }
}
