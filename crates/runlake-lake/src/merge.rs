//! The rows of one partition's files in the table's sort order, by a k-way merge.
//!
//! The engine appends sorted buffers to a file and ends a row group with each, so a row group
//! is a sorted input of its own (older files are split where their keys descend). The merge
//! holds each input's compressed row group, one small decoded batch per input and the output
//! batch being built: about the partition's compressed size, never its decoded size.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::Range;

use arrow::array::RecordBatch;
use arrow::compute::interleave_record_batch;
use arrow::row::{OwnedRow, RowConverter, Rows};
use futures::TryStreamExt;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, RowSelection, RowSelector,
};
use parquet::arrow::async_reader::{ParquetRecordBatchStream, ParquetRecordBatchStreamBuilder};
use runlake_format::{DataFile, Table};

use crate::error::{LakeError, Result, arrow_err};
use crate::lake::Lake;
use crate::object_reader::StoreFileReader;
use crate::order::{FileOrder, sort_key_columns, sort_key_converter};
use crate::read::with_partition_columns;

/// Rows each input decodes at a time: small, since every input holds one batch.
const CURSOR_BATCH_ROWS: usize = 2048;

/// One row group being read: its current batch and where the merge is in it.
struct Cursor {
    file: DataFile,
    stream: ParquetRecordBatchStream<StoreFileReader>,
    keys: Rows,
    pos: usize,
    /// Index of the current batch in the merge's `sources`.
    source: usize,
}

struct Merge<'a> {
    lake: &'a Lake,
    table: Table,
    converter: RowConverter,
    sources: Vec<RecordBatch>,
}

impl Merge<'_> {
    /// Moves `cursor` to its next non-empty batch; `false` once the row group is done.
    async fn advance(&mut self, cursor: &mut Cursor) -> Result<bool> {
        let lake = self.lake;
        while let Some(batch) =
            cursor
                .stream
                .try_next()
                .await
                .map_err(|source| LakeError::Parquet {
                    path: lake.display_path(&cursor.file.path),
                    source,
                })?
        {
            if batch.num_rows() == 0 {
                continue;
            }
            cursor.keys = sort_keys(&self.converter, self.table, &cursor.file, &batch)?;
            let batch = with_partition_columns(self.table, &cursor.file, &batch)?;
            cursor.pos = 0;
            cursor.source = self.sources.len();
            self.sources.push(batch);
            return Ok(true);
        }
        Ok(false)
    }

    /// Builds the output batch from `(source, row)` picks, then drops the sources no cursor
    /// is still reading.
    fn flush(
        &mut self,
        picks: &mut Vec<(usize, usize)>,
        cursors: &mut [Cursor],
        live: &[bool],
    ) -> Result<Option<RecordBatch>> {
        if picks.is_empty() {
            return Ok(None);
        }
        let live_sources = cursors
            .iter_mut()
            .zip(live)
            .filter(|(_, alive)| **alive)
            .map(|(c, _)| &mut c.source);
        let out = interleave_picks(&mut self.sources, picks, live_sources)?;
        Ok(Some(out))
    }
}

/// The output batch of `(source, row)` picks into `sources`; then only the sources that
/// `live_sources` (each live input's index into `sources`) still read are kept, and those
/// indices are rewritten to match.
pub(crate) fn interleave_picks<'a>(
    sources: &mut Vec<RecordBatch>,
    picks: &mut Vec<(usize, usize)>,
    live_sources: impl IntoIterator<Item = &'a mut usize>,
) -> Result<RecordBatch> {
    let refs: Vec<&RecordBatch> = sources.iter().collect();
    let out = interleave_record_batch(&refs, picks).map_err(arrow_err("merging runs"))?;
    picks.clear();
    let mut kept = Vec::new();
    for source in live_sources {
        kept.push(sources[*source].clone());
        *source = kept.len() - 1;
    }
    *sources = kept;
    Ok(out)
}

/// The sort-key rows of a batch read from `file`.
fn sort_keys(
    converter: &RowConverter,
    table: Table,
    file: &DataFile,
    batch: &RecordBatch,
) -> Result<Rows> {
    let columns = sort_key_columns(table, batch)
        .map_err(|e| LakeError::Task(format!("{}: {e}", file.path)))?;
    converter
        .convert_columns(&columns)
        .map_err(arrow_err("encoding sort keys"))
}

/// The sorted row ranges of each row group of `file`. Files that record their order have
/// sorted row groups. In older files a row group may hold the end of one sorted run and the
/// start of the next; reading only the key columns finds where.
async fn sorted_ranges(
    merge: &Merge<'_>,
    reader: &StoreFileReader,
    meta: &ArrowReaderMetadata,
    file: &DataFile,
    batch_rows: usize,
) -> Result<Vec<(usize, Range<usize>)>> {
    let display = merge.lake.display_path(&file.path);
    let pq_err = |source| LakeError::Parquet {
        path: display.clone(),
        source,
    };
    let file_schema = meta.schema();
    let key_roots: Vec<usize> = merge
        .table
        .sort_columns()
        .iter()
        .filter_map(|c| file_schema.index_of(c).ok())
        .collect();
    let groups = meta.metadata().row_groups();
    if FileOrder::of(meta.metadata().file_metadata()) != FileOrder::Unknown {
        return groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let rows = usize::try_from(g.num_rows()).map_err(|_| {
                    LakeError::Task(format!("{display}: row group {i} has a negative row count"))
                })?;
                Ok((i, 0..rows))
            })
            .collect();
    }
    let mut ranges = Vec::new();
    for group in 0..groups.len() {
        let mut stream =
            ParquetRecordBatchStreamBuilder::new_with_metadata(reader.clone(), meta.clone())
                .with_row_groups(vec![group])
                .with_projection(ProjectionMask::roots(
                    meta.parquet_schema(),
                    key_roots.iter().copied(),
                ))
                .with_batch_size(batch_rows)
                .build()
                .map_err(pq_err)?;
        let (mut start, mut offset) = (0, 0);
        let mut last: Option<OwnedRow> = None;
        while let Some(batch) = stream.try_next().await.map_err(pq_err)? {
            let keys = sort_keys(&merge.converter, merge.table, file, &batch)?;
            for i in 0..keys.num_rows() {
                let descends = match i {
                    0 => last.as_ref().is_some_and(|l| keys.row(0) < l.row()),
                    _ => keys.row(i) < keys.row(i - 1),
                };
                if descends {
                    ranges.push((group, start..offset + i));
                    start = offset + i;
                }
            }
            if keys.num_rows() > 0 {
                last = Some(keys.row(keys.num_rows() - 1).owned());
            }
            offset += batch.num_rows();
        }
        if offset > start {
            ranges.push((group, start..offset));
        }
    }
    Ok(ranges)
}

/// Streams the rows of `files` (all of one partition of `table`) in the table's sort order,
/// `batch_rows` at a time, into `sink`. Rows with equal keys keep the order of their files
/// and row groups.
pub(crate) async fn merge_sorted(
    lake: &Lake,
    table: Table,
    files: &[DataFile],
    batch_rows: usize,
    mut sink: impl FnMut(RecordBatch) -> Result<()>,
) -> Result<()> {
    let converter = sort_key_converter(table, table.sort_columns())?;
    let mut merge = Merge {
        lake,
        table,
        converter,
        sources: Vec::new(),
    };
    let mut cursors = Vec::new();
    for file in files {
        let display = lake.display_path(&file.path);
        let pq_err = |source| LakeError::Parquet {
            path: display.clone(),
            source,
        };
        let mut reader =
            StoreFileReader::new(lake.store().clone(), lake.path(&file.path), file.bytes);
        let meta = ArrowReaderMetadata::load_async(&mut reader, ArrowReaderOptions::new())
            .await
            .map_err(pq_err)?;
        for (group, rows) in sorted_ranges(&merge, &reader, &meta, file, batch_rows).await? {
            let selection = RowSelection::from(vec![
                RowSelector::skip(rows.start),
                RowSelector::select(rows.len()),
            ]);
            let stream =
                ParquetRecordBatchStreamBuilder::new_with_metadata(reader.clone(), meta.clone())
                    .with_row_groups(vec![group])
                    .with_row_selection(selection)
                    .with_batch_size(CURSOR_BATCH_ROWS.min(batch_rows))
                    .build()
                    .map_err(pq_err)?;
            cursors.push(Cursor {
                file: file.clone(),
                stream,
                keys: merge.converter.empty_rows(0, 0),
                pos: 0,
                source: 0,
            });
        }
    }
    let mut live = vec![false; cursors.len()];
    let mut heap: BinaryHeap<Reverse<(OwnedRow, usize)>> = BinaryHeap::new();
    for (i, c) in cursors.iter_mut().enumerate() {
        if merge.advance(c).await? {
            live[i] = true;
            heap.push(Reverse((c.keys.row(0).owned(), i)));
        }
    }
    let mut picks: Vec<(usize, usize)> = Vec::with_capacity(batch_rows);
    while let Some(Reverse((_, i))) = heap.pop() {
        let c = &mut cursors[i];
        picks.push((c.source, c.pos));
        c.pos += 1;
        if c.pos < c.keys.num_rows() || merge.advance(c).await? {
            heap.push(Reverse((c.keys.row(c.pos).owned(), i)));
        } else {
            live[i] = false;
        }
        if picks.len() >= batch_rows
            && let Some(out) = merge.flush(&mut picks, &mut cursors, &live)?
        {
            sink(out)?;
        }
    }
    if let Some(out) = merge.flush(&mut picks, &mut cursors, &live)? {
        sink(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::AsArray;
    use arrow::compute::{concat_batches, take_record_batch};
    use arrow::datatypes::Int64Type;
    use object_store::ObjectStoreExt;
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use runlake_format::ContentHash;

    use super::*;
    use crate::testkit::{batch, canonical_rows};

    /// A file of sorted runs written the old way: row groups of 7 rows regardless of where a
    /// run ends, so most groups hold the end of one run and the start of the next.
    async fn straddling_file(lake: &Lake, name: &str, runs: &[RecordBatch]) -> DataFile {
        let table = Table::PretrainCkpts;
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(7))
            .build();
        let mut buf = Vec::new();
        let mut w = ArrowWriter::try_new(&mut buf, table.file_schema(), Some(props)).expect("w");
        for run in runs {
            w.write(run).expect("write");
        }
        w.close().expect("close");
        let path = format!("{}/{name}.parquet", table.name());
        let bytes = buf.len() as u64;
        let blake3 = ContentHash::of(&buf);
        lake.store()
            .put(&lake.path(&path), buf.into())
            .await
            .expect("put");
        DataFile {
            path,
            blake3,
            bytes,
            rows: runs.iter().map(|r| r.num_rows() as u64).sum(),
            partition: Default::default(),
            stats: Default::default(),
            added_in_version: 1,
            page_crc32: None,
        }
    }

    fn sorted_run(rows: &RecordBatch) -> RecordBatch {
        let keys = ["run_uid", "step"].map(|c| arrow::compute::SortColumn {
            values: Arc::clone(rows.column_by_name(c).expect("key")),
            options: None,
        });
        let idx = arrow::compute::lexsort_to_indices(&keys, None).expect("sort");
        take_record_batch(rows, &idx).expect("take")
    }

    #[tokio::test]
    async fn merges_runs_split_inside_row_groups_into_one_order() {
        let lake = Lake::in_memory();
        let table = Table::PretrainCkpts;
        let all = batch(table, &["a", "b", "c", "d", "e"], 12, 3);
        // Four sorted runs over two files, interleaving in key order: run k holds the rows
        // whose position is k modulo 4, so every run boundary inside a row group descends.
        let runs: Vec<RecordBatch> = (0..4u32)
            .map(|k| {
                let idx = arrow::array::UInt32Array::from_iter_values(
                    (0..all.num_rows() as u32).filter(|i| i % 4 == k),
                );
                sorted_run(&take_record_batch(&all, &idx).expect("take"))
            })
            .collect();
        let files = vec![
            straddling_file(&lake, "one", &runs[..2]).await,
            straddling_file(&lake, "two", &runs[2..]).await,
        ];
        let mut out = Vec::new();
        merge_sorted(&lake, table, &files, 5, |b| {
            assert!(b.num_rows() <= 5);
            out.push(b);
            Ok(())
        })
        .await
        .expect("merge");
        assert_eq!(canonical_rows(&out), canonical_rows(&[all]));
        let merged = concat_batches(&table.schema(), &out).expect("concat");
        let runs = merged
            .column_by_name("run_uid")
            .expect("run")
            .as_string::<i32>();
        let steps = merged
            .column_by_name("step")
            .expect("step")
            .as_primitive::<Int64Type>();
        let keys: Vec<(&str, i64)> = (0..merged.num_rows())
            .map(|i| (runs.value(i), steps.value(i)))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    #[tokio::test]
    async fn files_that_record_their_order_are_not_prescanned() {
        use crate::testkit::recording::RecordingStore;
        let (recording, lake) = RecordingStore::lake();
        let lake = lake.with_config(crate::LakeConfig {
            row_group_rows: 4,
            ..crate::LakeConfig::default()
        });
        let table = Table::PretrainCkpts;
        let mut tx = lake.transaction("convert", "");
        tx.append(table, batch(table, &["b", "a"], 9, 1))
            .expect("append");
        tx.commit().await.expect("commit");
        let manifest = lake.latest().await.expect("latest");
        let file = &manifest.table(table).expect("table").files[0];
        let mut reader =
            StoreFileReader::new(lake.store().clone(), lake.path(&file.path), file.bytes);
        let meta = ArrowReaderMetadata::load_async(&mut reader, ArrowReaderOptions::new())
            .await
            .expect("footer");
        assert_eq!(
            FileOrder::of(meta.metadata().file_metadata()),
            FileOrder::File
        );
        let merge = Merge {
            lake: &lake,
            table,
            converter: sort_key_converter(table, table.sort_columns()).expect("converter"),
            sources: Vec::new(),
        };
        recording.take();
        let ranges = sorted_ranges(&merge, &reader, &meta, file, 5)
            .await
            .expect("ranges");
        assert!(recording.take().is_empty(), "no key column was read");
        assert_eq!(
            ranges,
            vec![(0, 0..4), (1, 0..4), (2, 0..4), (3, 0..4), (4, 0..2)]
        );
    }
}
