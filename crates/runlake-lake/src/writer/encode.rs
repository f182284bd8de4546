//! Turning buffered rows of one table partition into one sorted, hashed Parquet file.

use std::collections::BTreeMap;
use std::io::Write;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, UInt32Array};
use arrow::compute::{
    SortColumn, SortOptions, concat_batches, lexsort_to_indices, take_record_batch,
};
use bytes::Bytes;
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use parquet::basic::{Compression, Type as PhysicalType, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use runlake_format::layout::data_file_path;
use runlake_format::partition::partition_dir;
use runlake_format::{ColumnStats, ContentHash, Table};

use crate::error::{LakeError, Result, arrow_err};
use crate::order::RunTracker;
use crate::writer::sort_order::{in_order, sort_order};
use crate::writer::stats::{column_stats, merge_stats};
use crate::writer::write_log::WriteLog;

/// A data file ready to upload.
#[derive(Debug, Clone)]
pub(crate) struct EncodedFile {
    pub table: Table,
    pub partition: BTreeMap<String, Option<String>>,
    pub path: String,
    /// The file's bytes until uploaded; empty afterwards.
    pub bytes: Bytes,
    /// Size of the file in bytes.
    pub size: u64,
    /// Whether the file is already in the store.
    pub uploaded: bool,
    /// Checksums of the file's pages (see `runlake_format::checksums`).
    pub page_crc32: Option<String>,
    /// The CRCs of the writes that made the file, for its page checksums.
    pub writes: Option<std::sync::Arc<WriteLog>>,
    /// The local temporary file an uploaded file was written from, kept until the commit has
    /// checked that the file is still in the store (see `ensure_present`).
    pub spilled: Option<std::sync::Arc<std::fs::File>>,
    pub hash: ContentHash,
    pub rows: u64,
    pub stats: BTreeMap<String, ColumnStats>,
}

/// Partition values of a logical batch, with the rows of each.
pub(crate) fn partition_of(
    table: Table,
    batch: &RecordBatch,
) -> Result<Vec<(Vec<Option<String>>, RecordBatch)>> {
    let cols = table.partition_columns();
    if cols.is_empty() {
        return Ok(vec![(Vec::new(), batch.clone())]);
    }
    let arrays: Vec<_> = cols
        .iter()
        .map(|c| {
            batch
                .column_by_name(c)
                .map(|a| a.as_string::<i32>().clone())
                .ok_or_else(|| LakeError::Schema {
                    table,
                    message: format!("missing partition column `{c}`"),
                })
        })
        .collect::<Result<_>>()?;
    // Partition values are enumerations, and a Delta reader reads an empty one as null: the
    // Delta view could not keep the two apart.
    for (column, array) in cols.iter().zip(&arrays) {
        if let Some(row) = array.iter().position(|v| v == Some("")) {
            return Err(LakeError::Schema {
                table,
                message: format!(
                    "row {row}: partition column `{column}` is an empty string; partition \
                     values must not be empty"
                ),
            });
        }
    }
    // Batches usually hold one partition; check that without a per-row key.
    if batch.num_rows() > 0 && arrays.iter().all(is_constant) {
        let key = arrays
            .iter()
            .map(|a| (!a.is_null(0)).then(|| a.value(0).to_owned()))
            .collect();
        return Ok(vec![(key, batch.clone())]);
    }
    let mut groups: BTreeMap<Vec<Option<String>>, Vec<u32>> = BTreeMap::new();
    for row in 0..batch.num_rows() {
        let key: Vec<Option<String>> = arrays
            .iter()
            .map(|a| (!a.is_null(row)).then(|| a.value(row).to_owned()))
            .collect();
        groups.entry(key).or_default().push(row as u32);
    }
    if groups.len() == 1 {
        let (key, _) = groups.into_iter().next().unwrap_or_default();
        return Ok(vec![(key, batch.clone())]);
    }
    groups
        .into_iter()
        .map(|(key, rows)| {
            let taken = take_record_batch(batch, &UInt32Array::from(rows))
                .map_err(arrow_err("splitting partitions"))?;
            Ok((key, taken))
        })
        .collect()
}

fn is_constant(a: &arrow::array::StringArray) -> bool {
    a.null_count() == a.len() || super::one_value::one_value(a).is_some()
}

/// Sorts rows by the table's sort order and writes them as one in-memory Parquet file named by
/// its hash.
pub(crate) fn encode_partition(
    table: Table,
    partition_values: &[Option<String>],
    batches: Vec<RecordBatch>,
    row_group_rows: usize,
) -> Result<EncodedFile> {
    let chunk = sorted_file_batches(table, batches)?;
    let mut builder = FileBuilder::new(table, partition_values, Vec::new(), row_group_rows)?;
    builder.append(&chunk)?;
    let (file, bytes) = builder.finish()?;
    let bytes = Bytes::from(bytes);
    Ok(EncodedFile {
        page_crc32: Some(super::checksums::of_bytes(&bytes, file.writes.as_deref())?),
        writes: None,
        bytes,
        ..file
    })
}

/// Sorts the rows of `batches` and drops the partition columns: one chunk ready for a data
/// file, as batches in key order. Batches already in order (a run's logged steps, read run
/// after run) are kept as they are; others are concatenated and sorted.
pub(crate) fn sorted_file_batches(
    table: Table,
    batches: Vec<RecordBatch>,
) -> Result<Vec<RecordBatch>> {
    let schema = table.schema();
    let sort_columns: Vec<&str> = table
        .sort_columns()
        .iter()
        .copied()
        .filter(|c| schema.index_of(c).is_ok())
        .collect();
    if in_order(&batches, &sort_columns) == Some(true) {
        return project_to_file(table, &batches);
    }
    // Only the sort columns are joined to find the order, so rows already in order are never
    // copied as a whole.
    let keys: Vec<ArrayRef> = sort_columns
        .iter()
        .map(|c| {
            let parts: Vec<&dyn Array> = batches
                .iter()
                .filter_map(|b| b.column_by_name(c).map(|a| a.as_ref()))
                .collect();
            arrow::compute::concat(&parts).map_err(arrow_err("sorting rows"))
        })
        .collect::<Result<_>>()?;
    // The joined keys go before the rows are copied.
    let indices = match sort_order(&keys) {
        Some(order) => {
            drop(keys);
            order.map(UInt32Array::from)
        }
        None => lexsort_order(keys)?,
    };
    let sorted = match indices {
        None => batches,
        Some(indices) => {
            // Each copy is released as soon as the next exists, so peak memory stays near twice
            // the buffer rather than four times.
            let all = concat_batches(&schema, &batches).map_err(arrow_err("buffering rows"))?;
            drop(batches);
            vec![take_record_batch(&all, &indices).map_err(arrow_err("sorting rows"))?]
        }
    };
    project_to_file(table, &sorted)
}

/// `batches` without their partition columns (and without empty batches).
fn project_to_file(table: Table, batches: &[RecordBatch]) -> Result<Vec<RecordBatch>> {
    let schema = table.schema();
    let file_schema = table.file_schema();
    let projection: Vec<usize> = file_schema
        .fields()
        .iter()
        .filter_map(|f| schema.index_of(f.name()).ok())
        .collect();
    batches
        .iter()
        .filter(|b| b.num_rows() > 0)
        .map(|b| {
            b.project(&projection)
                .map_err(arrow_err("dropping partition columns"))
        })
        .collect()
}

/// The order `lexsort_to_indices` gives `keys` (ascending, nulls first), or `None` when the
/// rows already are in it: for sort columns [`sort_order`] does not rank.
fn lexsort_order(keys: Vec<ArrayRef>) -> Result<Option<UInt32Array>> {
    let columns: Vec<SortColumn> = keys
        .into_iter()
        .map(|values| SortColumn {
            values,
            options: Some(SortOptions {
                descending: false,
                nulls_first: true,
            }),
        })
        .collect();
    let indices = lexsort_to_indices(&columns, None).map_err(arrow_err("sorting rows"))?;
    let identity = indices
        .values()
        .iter()
        .enumerate()
        .all(|(i, &v)| v as usize == i);
    Ok((!identity).then_some(indices))
}

/// The Parquet settings every data file of `table` is written with: row groups of at most
/// `row_group_rows` rows and about `row_group_bytes` encoded bytes.
pub fn writer_properties(
    table: Table,
    row_group_rows: usize,
    row_group_bytes: usize,
) -> Result<WriterProperties> {
    // zstd level 1: most bytes are float metrics, nearly incompressible past their exponents,
    // and level 3 spent about a tenth of a post-training conversion's instructions for 3%
    // smaller files (0.4% on DataDecide evals).
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(row_group_rows.max(1)))
        .set_max_row_group_bytes(Some(row_group_bytes.max(1)))
        // A fixed producer string keeps file bytes, and so names, stable across releases.
        .set_created_by("runlake".to_owned());
    // Metric values are nearly all distinct: a dictionary only costs a hash per value to
    // write and an indirection to read, and zstd finds what repetition there is. That holds
    // for the values inside maps (`extra_metrics`) too, so every float leaf goes without.
    let leaves = ArrowSchemaConverter::new()
        .convert(&table.file_schema())
        .map_err(parquet_err(table))?;
    for column in leaves.columns() {
        let distinct = DISTINCT_INTEGERS.contains(&(table, column.path().string().as_str()));
        if column.physical_type() == PhysicalType::DOUBLE || distinct {
            props = props.set_column_dictionary_enabled(column.path().clone(), false);
        }
        // Readers prune on top-level columns only: the bounds of a map's keys or values
        // say nothing about any one entry, and computing them compared every key written.
        if column.path().parts().len() > 1 {
            props =
                props.set_column_statistics_enabled(column.path().clone(), EnabledStatistics::None);
        }
    }
    Ok(props.build())
}

/// A data file being written chunk by chunk into `W`, hashed as it goes. Every appended chunk
/// is sorted; a file of several chunks holds sorted runs of row groups, and its statistics
/// cover them all.
pub(crate) struct FileBuilder<W: Write + Send> {
    table: Table,
    partition_values: Vec<Option<String>>,
    partition: BTreeMap<String, Option<String>>,
    writer: ArrowWriter<HashingWriter<W>>,
    rows: u64,
    /// The key and sort columns, whose statistics go into the manifest.
    stat_columns: Vec<&'static str>,
    stats: BTreeMap<String, ColumnStats>,
    runs: RunTracker,
    /// The number of row groups written when each appended chunk ended.
    run_ends: Vec<usize>,
}

/// Integer columns whose values are nearly all distinct within a file, as metric values are: a
/// run's logged steps and their times. A dictionary for them is filled value by value until
/// it overflows and is given up: without it, post-training files are 3% smaller and take 2%
/// fewer instructions to write.
const DISTINCT_INTEGERS: &[(Table, &str)] = &[
    (Table::PosttrainSteps, "step"),
    (Table::PosttrainSteps, "timestamp"),
];

/// Encoded bytes after which a row group is closed whatever its rows: a row group is held in
/// memory until it closes, and wide rows (a run's whole config and summary, tens of kilobytes
/// each) would otherwise grow it with every run written.
pub const ROW_GROUP_BYTES: usize = 64 << 20;

impl<W: Write + Send> FileBuilder<W> {
    pub(crate) fn new(
        table: Table,
        partition_values: &[Option<String>],
        sink: W,
        row_group_rows: usize,
    ) -> Result<Self> {
        Self::kept(
            table,
            partition_values,
            sink,
            row_group_rows,
            ROW_GROUP_BYTES,
        )
    }

    /// A file to keep, with row groups of at most `row_group_rows` rows and about
    /// `row_group_bytes` encoded bytes.
    fn kept(
        table: Table,
        partition_values: &[Option<String>],
        sink: W,
        row_group_rows: usize,
        row_group_bytes: usize,
    ) -> Result<Self> {
        Self::with_props(
            table,
            partition_values,
            HashingWriter::new(sink),
            writer_properties(table, row_group_rows, row_group_bytes)?,
        )
    }

    fn with_props(
        table: Table,
        partition_values: &[Option<String>],
        sink: HashingWriter<W>,
        props: WriterProperties,
    ) -> Result<Self> {
        let writer = ArrowWriter::try_new(sink, table.file_schema(), Some(props))
            .map_err(parquet_err(table))?;
        Ok(Self {
            table,
            partition_values: partition_values.to_vec(),
            partition: table
                .partition_columns()
                .iter()
                .map(|c| (*c).to_owned())
                .zip(partition_values.iter().cloned())
                .collect(),
            writer,
            rows: 0,
            stat_columns: table
                .key_columns()
                .iter()
                .chain(table.sort_columns())
                .copied()
                .collect(),
            stats: BTreeMap::new(),
            runs: RunTracker::new(table)?,
            run_ends: Vec::new(),
        })
    }

    /// The table and partition values the file belongs to.
    pub(crate) fn slot(&self) -> (Table, &[Option<String>]) {
        (self.table, &self.partition_values)
    }

    /// Row groups written when each appended chunk ended: chunk `i` holds row groups
    /// `run_ends[i - 1]..run_ends[i]`.
    pub(crate) fn run_ends(&self) -> &[usize] {
        &self.run_ends
    }

    /// Rows written so far.
    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    /// Appends one sorted chunk (file schema, batches in key order) as a run of its own.
    pub(crate) fn append(&mut self, chunk: &[RecordBatch]) -> Result<()> {
        for batch in chunk {
            self.write(batch)?;
        }
        self.end_run()
    }

    /// Writes one sorted chunk (file schema) into the current run: row groups fill across
    /// chunks, so the caller makes sure the chunk [`follows`](Self::follows) the rows before.
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        merge_stats(&mut self.stats, column_stats(batch, &self.stat_columns));
        self.runs.push(batch)?;
        self.rows += batch.num_rows() as u64;
        self.writer.write(batch).map_err(parquet_err(self.table))
    }

    /// Ends the current run. A row group never spans two runs, so each one is sorted and its
    /// statistics cover one run's key range rather than two runs'.
    pub(crate) fn end_run(&mut self) -> Result<()> {
        self.writer.flush().map_err(parquet_err(self.table))?;
        self.run_ends.push(self.writer.flushed_row_groups().len());
        Ok(())
    }

    /// Whether the sorted `batch` continues the rows written so far in key order.
    pub(crate) fn follows(&self, batch: &RecordBatch) -> Result<bool> {
        self.runs.follows(batch)
    }

    /// Closes the file: its description (without bytes) and the sink.
    pub(crate) fn finish(mut self) -> Result<(EncodedFile, W)> {
        let table = self.table;
        // Compaction trusts this instead of reading the keys again.
        if let Some(kv) = self.runs.order().key_value() {
            self.writer.append_key_value_metadata(kv);
        }
        let sink = self.writer.into_inner().map_err(parquet_err(table))?;
        let hash = ContentHash::from_hasher(&sink.hasher);
        let dir = partition_dir(
            &self
                .partition
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Vec<_>>(),
        );
        Ok((
            EncodedFile {
                table,
                path: data_file_path(table, &dir, &hash.parquet_file_name()),
                partition: self.partition,
                bytes: Bytes::new(),
                size: sink.written,
                uploaded: false,
                page_crc32: None,
                writes: Some(std::sync::Arc::new(sink.log)),
                spilled: None,
                hash,
                rows: self.rows,
                stats: self.stats,
            },
            sink.inner,
        ))
    }
}

pub(crate) fn parquet_err(table: Table) -> impl Fn(parquet::errors::ParquetError) -> LakeError {
    move |source| LakeError::Parquet {
        path: table.name().to_owned(),
        source,
    }
}

/// Hashes and counts bytes as the Parquet writer produces them.
pub(crate) struct HashingWriter<W> {
    inner: W,
    hasher: blake3::Hasher,
    written: u64,
    /// The writes' CRCs, for the page checksums of the file.
    log: WriteLog,
}

impl<W> HashingWriter<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: blake3::Hasher::new(),
            written: 0,
            log: WriteLog::default(),
        }
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.log.record(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::AsArray;

    use super::*;
    use crate::testkit::{batch, canonical_rows};

    fn runs_of(batches: &[RecordBatch]) -> Vec<String> {
        batches
            .iter()
            .flat_map(|b| {
                b.column_by_name("run_uid")
                    .map(|c| {
                        c.as_string::<i32>()
                            .iter()
                            .flatten()
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_else(Vec::new)
            })
            .collect()
    }

    fn row_groups(table: Table, rows: &RecordBatch, row_group_bytes: usize) -> Vec<i64> {
        // Written as the writer receives rows: many small batches.
        let sorted = sorted_file_batches(table, vec![rows.clone()]).expect("sorted");
        let sorted = concat_batches(&table.file_schema(), &sorted).expect("concat");
        let chunk: Vec<RecordBatch> = (0..sorted.num_rows())
            .step_by(100)
            .map(|at| sorted.slice(at, 100.min(sorted.num_rows() - at)))
            .collect();
        let mut builder =
            FileBuilder::kept(table, &[], Vec::new(), 1 << 15, row_group_bytes).expect("builder");
        builder.append(&chunk).expect("append");
        let (_, bytes) = builder.finish().expect("finish");
        let reader =
            parquet::file::serialized_reader::SerializedFileReader::new(Bytes::from(bytes))
                .expect("parquet");
        use parquet::file::reader::FileReader as _;
        reader
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.num_rows())
            .collect()
    }

    #[test]
    fn a_row_group_closes_at_its_byte_limit_before_its_row_limit() {
        let table = Table::PretrainCkpts;
        let rows = batch(table, &["a", "b", "c"], 2_000, 7);
        let n = rows.num_rows() as i64;
        assert_eq!(row_groups(table, &rows, ROW_GROUP_BYTES), vec![n]);
        let small = row_groups(table, &rows, 8 << 10);
        assert!(small.len() > 4, "{small:?}");
        assert_eq!(small.iter().sum::<i64>(), n);
    }

    #[test]
    fn steps_and_their_times_go_without_a_dictionary_and_run_ids_keep_theirs() {
        let table = Table::PosttrainSteps;
        let rows = batch(table, &["a", "b"], 500, 3);
        let sorted = sorted_file_batches(table, vec![rows]).expect("sorted");
        let mut builder =
            FileBuilder::new(table, &[Some("sft".into())], Vec::new(), 1 << 15).expect("builder");
        builder.append(&sorted).expect("append");
        let (_, bytes) = builder.finish().expect("finish");
        let reader =
            parquet::file::serialized_reader::SerializedFileReader::new(Bytes::from(bytes))
                .expect("parquet");
        use parquet::file::reader::FileReader as _;
        let group = reader.metadata().row_group(0);
        let dictionary = |name: &str| {
            let column = group
                .columns()
                .iter()
                .find(|c| c.column_path().string() == name)
                .unwrap_or_else(|| panic!("no column {name}"));
            column.dictionary_page_offset().is_some()
        };
        assert!(dictionary("run_uid"));
        assert!(!dictionary("step"));
        assert!(!dictionary("timestamp"));
        assert!(!dictionary("train_loss"));
    }

    #[test]
    fn batches_in_key_order_stay_apart_and_others_are_joined_and_sorted() {
        let table = Table::PretrainCkpts;
        let (a, b) = (batch(table, &["a"], 5, 1), batch(table, &["b"], 5, 2));

        let kept = sorted_file_batches(table, vec![a.clone(), b.clone()]).expect("in order");
        assert_eq!(kept.len(), 2, "batches in order are not copied into one");
        assert_eq!(kept[0].schema(), table.file_schema());
        assert_eq!(
            canonical_rows(&kept),
            canonical_rows(&[a.clone(), b.clone()])
        );

        let sorted = sorted_file_batches(table, vec![b, a]).expect("out of order");
        assert_eq!(sorted.len(), 1);
        assert_eq!(runs_of(&sorted), [["a"; 5], ["b"; 5]].concat());
        assert_eq!(canonical_rows(&sorted), canonical_rows(&kept));
    }
}
