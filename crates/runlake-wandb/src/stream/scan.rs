//! The first read of a flat history Parquet file: whether it can be streamed, and what each
//! run's rows hold.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, FieldRef, Int32Type, Schema, SchemaRef, ToByteSlice};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder, RowSelection, RowSelector,
};

use super::{Held, StreamedFile, StreamedRun};
use crate::error::{Result, WandbError};
use crate::model::Inputs;
use crate::read::unreadable;

/// Rows per record batch while streaming.
pub(crate) const BATCH_ROWS: usize = 1 << 16;

/// Where a streamable file keeps each part of a row.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    pub run_id: usize,
    pub step: usize,
    pub timestamp: Option<usize>,
    pub runtime: Option<usize>,
    /// Logged keys, in column order.
    pub metrics: Vec<(usize, String)>,
}

fn numeric(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Float64
            | DataType::Float32
            | DataType::Int64
            | DataType::Int32
            | DataType::Int16
            | DataType::Int8
            | DataType::UInt64
            | DataType::UInt32
            | DataType::UInt16
            | DataType::UInt8
    )
}

/// The shape of a history file the column-wise reader builds exactly as the row-wise one:
/// `run_id`, an integer `step`, numeric `timestamp` and `runtime`, and numeric keys whose
/// typed columns do not collide. `None` for any other file.
pub(crate) fn shape(schema: &Schema) -> Option<Shape> {
    let mut run_id = None;
    let mut step = None;
    let mut timestamp = None;
    let mut runtime = None;
    let mut metrics = Vec::new();
    let mut typed_names = BTreeSet::new();
    for (i, f) in schema.fields().iter().enumerate() {
        let name = f.name().as_str();
        let t = f.data_type();
        match name {
            "run_id"
                if matches!(t, DataType::Utf8 | DataType::LargeUtf8) || *t == run_ids_type() =>
            {
                run_id = Some(i)
            }
            "step" if matches!(t, DataType::Int64 | DataType::Int32) => step = Some(i),
            "timestamp" if numeric(t) => timestamp = Some(i),
            "runtime" if numeric(t) => runtime = Some(i),
            // Nested payloads, underscore keys and anything not numeric go row by row.
            "run_id" | "step" | "timestamp" | "runtime" | "metrics" | "extra"
            | "wandb_metadata" => return None,
            _ if name.starts_with('_') || !numeric(t) => return None,
            _ => {
                // Two keys landing in one typed column keep the later one row by row.
                let typed = name.replace('/', "_");
                let is_typed = runlake_format::tables::TYPED_STEP_COLUMNS
                    .iter()
                    .any(|(c, _)| *c == typed);
                if is_typed && !typed_names.insert(typed) {
                    return None;
                }
                metrics.push((i, name.to_owned()));
            }
        }
    }
    Some(Shape {
        run_id: run_id?,
        step: step?,
        timestamp,
        runtime,
        metrics,
    })
}

pub(crate) fn open(path: &Path) -> Result<(Schema, ParquetRecordBatchReader)> {
    open_from(path, 0)
}

/// Reads `path` from row `first` on: the row groups before it are not read, and rows of its
/// row group before it are decoded and skipped. The file's offset index, which could skip
/// whole pages, is not trusted: the scan that digested the rows did not read it, and a damaged
/// one would skip the wrong rows without an error.
pub(crate) fn open_from(path: &Path, first: usize) -> Result<(Schema, ParquetRecordBatchReader)> {
    let file = File::open(path).map_err(|source| WandbError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
        .map_err(|e| unreadable(path, &e))?;
    if let Some(schema) = ids_as_dictionary(metadata.schema()) {
        let options = ArrowReaderOptions::new().with_schema(schema);
        metadata = ArrowReaderMetadata::try_new(Arc::clone(metadata.metadata()), options)
            .map_err(|e| unreadable(path, &e))?;
    }
    let mut builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata)
        .with_batch_size(BATCH_ROWS);
    if first > 0 {
        let sizes: Vec<usize> = builder
            .metadata()
            .row_groups()
            .iter()
            .map(|g| usize::try_from(g.num_rows()).unwrap_or(0))
            .collect();
        let (groups, skip) = groups_from(&sizes, first);
        let rest: usize = groups.iter().map(|&g| sizes[g]).sum();
        let selection = vec![
            RowSelector::skip(skip),
            RowSelector::select(rest.saturating_sub(skip)),
        ];
        builder = builder
            .with_row_groups(groups)
            .with_row_selection(RowSelection::from(selection));
    }
    let schema = builder.schema().as_ref().clone();
    let reader = builder.build().map_err(|e| unreadable(path, &e))?;
    Ok((schema, reader))
}

/// `schema` with a `run_id` string column read as dictionary keys into its distinct values
/// (`None` when it has no such column). A history file repeats each run id over thousands of
/// rows: so read, no row's id is copied out of the file's dictionary, and rows are compared by
/// key rather than by text.
fn ids_as_dictionary(schema: &SchemaRef) -> Option<SchemaRef> {
    let fields = schema.fields();
    let at = fields
        .iter()
        .position(|f| f.name() == "run_id" && *f.data_type() == DataType::Utf8)?;
    let mut hinted: Vec<FieldRef> = fields.iter().cloned().collect();
    hinted[at] = Arc::new(fields[at].as_ref().clone().with_data_type(run_ids_type()));
    Some(Arc::new(Schema::new_with_metadata(
        hinted,
        schema.metadata().clone(),
    )))
}

fn run_ids_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// The row groups holding row `first` and those after it, and how many rows of the first of
/// them come before `first`.
fn groups_from(sizes: &[usize], first: usize) -> (Vec<usize>, usize) {
    let mut skip = first;
    let mut start = 0;
    while start < sizes.len() && skip >= sizes[start] {
        skip -= sizes[start];
        start += 1;
    }
    ((start..sizes.len()).collect(), skip)
}

/// A batch's run ids: each row's key into the distinct ids.
pub(crate) struct RunIds {
    keys: Int32Array,
    ids: StringArray,
}

impl RunIds {
    fn new(column: &ArrayRef) -> Option<Self> {
        let dictionary = column.as_dictionary_opt::<Int32Type>()?;
        Some(RunIds {
            keys: dictionary.keys().clone(),
            ids: dictionary.values().as_string_opt::<i32>()?.clone(),
        })
    }

    /// The id of row `i` (empty when null; [`usable`] rejects such batches).
    pub fn value(&self, i: usize) -> &str {
        match usize::try_from(self.keys.value(i)) {
            Ok(k) if k < self.ids.len() => self.ids.value(k),
            _ => "",
        }
    }

    /// Every row has an id, and no id is empty.
    fn all_present(&self) -> bool {
        let present: Vec<bool> = (0..self.ids.len())
            .map(|k| self.ids.is_valid(k) && !self.ids.value(k).is_empty())
            .collect();
        self.keys.null_count() == 0
            && self.keys.values().iter().all(|&k| {
                usize::try_from(k)
                    .ok()
                    .and_then(|k| present.get(k))
                    .is_some_and(|p| *p)
            })
    }
}

/// One batch's columns in the types the rest of the code reads.
pub(crate) struct Columns {
    pub run_id: RunIds,
    pub step: Int64Array,
    pub timestamp: Option<Float64Array>,
    pub runtime: Option<Float64Array>,
    pub metrics: Vec<Float64Array>,
}

pub(crate) fn columns(path: &Path, shape: &Shape, batch: &RecordBatch) -> Result<Columns> {
    let to = |i: usize, t: &DataType| -> Result<ArrayRef> {
        cast(batch.column(i), t).map_err(|e| WandbError::Parquet {
            path: path.to_owned(),
            reason: e.to_string(),
        })
    };
    let f64s = |i: usize| -> Result<Float64Array> {
        Ok(to(i, &DataType::Float64)?.as_primitive().clone())
    };
    Ok(Columns {
        run_id: RunIds::new(&to(shape.run_id, &run_ids_type())?).ok_or_else(|| {
            WandbError::Parquet {
                path: path.to_owned(),
                reason: "`run_id` is not read as text".into(),
            }
        })?,
        step: to(shape.step, &DataType::Int64)?.as_primitive().clone(),
        timestamp: shape.timestamp.map(f64s).transpose()?,
        runtime: shape.runtime.map(f64s).transpose()?,
        metrics: shape
            .metrics
            .iter()
            .map(|(i, _)| f64s(*i))
            .collect::<Result<_>>()?,
    })
}

/// Rows `[start, end)` of one run, in reading order: maximal stretches of equal `run_id`.
/// Equal keys are equal ids; the ids of unequal keys are compared too, since a dictionary may
/// hold a value twice.
pub(crate) fn segments(run_id: &RunIds) -> Vec<(usize, usize)> {
    let keys = run_id.keys.values();
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=keys.len() {
        if i == keys.len() || (keys[i] != keys[start] && run_id.value(i) != run_id.value(start)) {
            out.push((start, i));
            start = i;
        }
    }
    out
}

struct FileRun {
    run: StreamedRun,
    last_in_order: i64,
}

/// Reads `path` once, keeping its decoded batches for staging when they fit in
/// [`Inputs::hold_history`]. `Ok(false)` when the file must be read row by row instead: its
/// shape is not a flat numeric one, or a row lacks a usable run id, step or timestamp (the
/// row-wise reader then reports that row).
pub(crate) fn scan(path: &Path, inputs: &mut Inputs) -> Result<bool> {
    let (schema, reader) = open(path)?;
    let Some(shape) = shape(&schema) else {
        return Ok(false);
    };
    let mut runs: Vec<FileRun> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut bytes = Vec::new();
    let mut held = Held::default();
    let mut held_bytes = 0;
    let mut holding = true;
    for batch in reader {
        let batch = batch.map_err(|e| unreadable(path, &e))?;
        let cols = columns(path, &shape, &batch)?;
        if !usable(&cols) {
            return Ok(false);
        }
        if holding {
            let size = batch.get_array_memory_size();
            // Past the budget the rest of the file is read again when staged.
            holding = held_bytes + size <= inputs.hold_history;
            if holding {
                held_bytes += size;
                held.rows += batch.num_rows();
                held.batches.push(batch.clone());
            }
        }
        for (start, end) in segments(&cols.run_id) {
            let id = cols.run_id.value(start);
            let slot = match index.get(id) {
                Some(&i) => i,
                None => {
                    index.insert(id.to_owned(), runs.len());
                    runs.push(FileRun {
                        run: StreamedRun {
                            run_id: id.to_owned(),
                            rows: 0,
                            first_step: i64::MAX,
                            last_step: i64::MIN,
                            increasing: true,
                            keys: BTreeSet::new(),
                            files: Vec::new(),
                            digest: blake3::Hasher::new(),
                        },
                        last_in_order: -1,
                    });
                    runs.len() - 1
                }
            };
            let fr = &mut runs[slot];
            let n = end - start;
            let steps = &cols.step.values()[start..end];
            for &s in steps {
                fr.run.increasing &= s > fr.last_in_order;
                fr.last_in_order = s;
                fr.run.first_step = fr.run.first_step.min(s);
                fr.run.last_step = fr.run.last_step.max(s);
            }
            fr.run.rows += n as u64;
            let digest = &mut fr.run.digest;
            digest.update(&(n as u64).to_le_bytes());
            // The steps' bytes in one call: what hashing them one at a time, little-endian,
            // gave (the digest is incremental), without a call per row.
            if cfg!(target_endian = "little") {
                digest.update(steps.to_byte_slice());
            } else {
                for &s in steps {
                    digest.update(&s.to_le_bytes());
                }
            }
            let named = [("timestamp", &cols.timestamp), ("runtime", &cols.runtime)];
            let fixed = named
                .iter()
                .filter_map(|(name, c)| c.as_ref().map(|c| (*name, c)));
            let logged = shape
                .metrics
                .iter()
                .map(|(_, k)| k.as_str())
                .zip(&cols.metrics);
            for (name, col) in fixed.chain(logged) {
                let part = col.slice(start, n);
                if part.null_count() == n {
                    continue;
                }
                if !matches!(name, "timestamp" | "runtime") && !fr.run.keys.contains(name) {
                    fr.run.keys.insert(name.to_owned());
                }
                digest.update(name.as_bytes());
                digest.update(&[0]);
                digest.update(part.values().inner().as_slice());
                if part.null_count() > 0 {
                    bytes.clear();
                    bytes.extend((0..n).map(|i| u8::from(part.is_valid(i))));
                    digest.update(&bytes);
                }
            }
        }
    }
    held.whole = holding;
    inputs.hold_history -= held_bytes;
    let file = inputs.streamed.len();
    inputs.streamed.push(StreamedFile {
        path: path.to_owned(),
        position: inputs.history.len(),
        held,
    });
    for mut fr in runs {
        fr.run.files.push(file);
        inputs.add_streamed_run(fr.run);
    }
    inputs.files.push(path.to_owned());
    Ok(true)
}

/// Every row has a non-empty run id, a non-negative step, and a finite timestamp when it has
/// one: what the row-wise reader accepts without a report.
fn usable(c: &Columns) -> bool {
    let ids_ok = c.run_id.all_present();
    let steps_ok = c.step.null_count() == 0 && c.step.values().iter().all(|&s| s >= 0);
    let times_ok = c
        .timestamp
        .as_ref()
        .is_none_or(|t| t.iter().flatten().all(f64::is_finite));
    ids_ok && steps_ok && times_ok
}

#[cfg(test)]
mod tests {
    use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
    use arrow::datatypes::{Field, Int64Type, Schema};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;

    use super::*;

    /// Writes a history file of `run_id`, `step` and `train_loss` rows, in row groups of at
    /// most `group` rows.
    fn history(path: &Path, ids: &[&str], steps: &[i64], loss: &[Option<f64>], group: usize) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("run_id", DataType::Utf8, false),
            Field::new("step", DataType::Int64, false),
            Field::new("train_loss", DataType::Float64, true),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(ids)),
            Arc::new(Int64Array::from_iter_values(steps.iter().copied())),
            Arc::new(Float64Array::from_iter(loss.iter().copied())),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns).expect("batch");
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(group))
            .build();
        let mut w = ArrowWriter::try_new(File::create(path).expect("create"), schema, Some(props))
            .expect("writer");
        w.write(&batch).expect("write");
        w.close().expect("close");
    }

    /// `n` rows of one run, its steps 0 to `n - 1`.
    fn one_run(path: &Path, n: usize, group: usize) {
        let ids = vec!["a"; n];
        let steps: Vec<i64> = (0..n as i64).collect();
        let loss: Vec<Option<f64>> = (0..n)
            .map(|i| (i % 5 != 0).then(|| i as f64 / 7.0))
            .collect();
        history(path, &ids, &steps, &loss, group);
    }

    fn steps_of(batches: impl IntoIterator<Item = RecordBatch>) -> Vec<i64> {
        batches
            .into_iter()
            .flat_map(|b| b.column(1).as_primitive::<Int64Type>().values().to_vec())
            .collect()
    }

    #[test]
    fn scans_keep_decoded_batches_while_the_budget_lasts_and_no_further() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths: Vec<_> = (0..3)
            .map(|i| dir.path().join(format!("history-{i}.parquet")))
            .collect();
        for p in &paths {
            one_run(p, 100, 1 << 20);
        }
        let mut sizing = Inputs {
            hold_history: usize::MAX,
            ..Inputs::default()
        };
        assert!(scan(&paths[0], &mut sizing).expect("scan"));
        let one_file = usize::MAX - sizing.hold_history;
        assert!(one_file > 100 * 8, "{one_file}");
        assert!(sizing.streamed[0].held.whole);

        // Room for one and a half files: the first is kept; the others, each larger than what
        // is left, are read again when staged.
        let mut inputs = Inputs {
            hold_history: one_file + one_file / 2,
            ..Inputs::default()
        };
        for p in &paths {
            assert!(scan(p, &mut inputs).expect("scan"));
        }
        let kept: Vec<(bool, usize)> = inputs
            .streamed
            .iter()
            .map(|f| (f.held.whole, f.held.rows))
            .collect();
        assert_eq!(kept, [(true, 100), (false, 0), (false, 0)]);
        assert_eq!(inputs.hold_history, one_file / 2);
        assert_eq!(steps_of(inputs.streamed[0].held.batches.clone()).len(), 100);
    }

    #[test]
    fn a_file_part_held_is_read_again_from_the_first_row_not_held() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("history.parquet");
        let n = BATCH_ROWS + 1000;
        one_run(&path, n, 3000);
        let read = |first: usize| {
            let (_, reader) = open_from(&path, first).expect("open");
            steps_of(reader.map(|b| b.expect("batch")))
        };
        let all: Vec<i64> = (0..n as i64).collect();
        assert_eq!(read(0), all);
        // Inside a row group, on its boundaries, in the last one, and past the end.
        for first in [1, 2999, 3000, 3001, 6000, BATCH_ROWS, n - 1, n] {
            assert_eq!(read(first), all[first..], "from row {first}");
        }

        // A budget of one batch holds the first and leaves the rest to be read again.
        let mut sizing = Inputs {
            hold_history: usize::MAX,
            ..Inputs::default()
        };
        assert!(scan(&path, &mut sizing).expect("scan"));
        let first_batch = sizing.streamed[0].held.batches[0].get_array_memory_size();
        let mut inputs = Inputs {
            hold_history: first_batch,
            ..Inputs::default()
        };
        assert!(scan(&path, &mut inputs).expect("scan"));
        let held = &inputs.streamed[0].held;
        assert_eq!((held.whole, held.rows), (false, BATCH_ROWS));
        let mut staged = steps_of(held.batches.clone());
        staged.extend(read(held.rows));
        assert_eq!(staged, all);
    }

    #[test]
    fn run_ids_split_where_their_text_changes_whatever_their_keys() {
        use arrow::array::DictionaryArray;
        // A dictionary holding "a" twice, as a page that fell back from dictionary encoding
        // may give: keys 0 and 2 are one run.
        let dictionary = DictionaryArray::<Int32Type>::try_new(
            Int32Array::from(vec![0, 0, 2, 1, 1, 0]),
            Arc::new(StringArray::from(vec!["a", "b", "a"])),
        )
        .expect("dictionary");
        let column: ArrayRef = Arc::new(dictionary);
        let ids = RunIds::new(&column).expect("run ids");
        assert_eq!(segments(&ids), [(0, 3), (3, 5), (5, 6)]);
        assert_eq!(ids.value(3), "b");
        assert!(ids.all_present());

        let empty = DictionaryArray::<Int32Type>::try_new(
            Int32Array::from(vec![0, 1]),
            Arc::new(StringArray::from(vec!["a", ""])),
        )
        .expect("dictionary");
        let column: ArrayRef = Arc::new(empty);
        assert!(!RunIds::new(&column).expect("run ids").all_present());
        let missing = DictionaryArray::<Int32Type>::try_new(
            Int32Array::from(vec![Some(0), None]),
            Arc::new(StringArray::from(vec!["a"])),
        )
        .expect("dictionary");
        let column: ArrayRef = Arc::new(missing);
        assert!(!RunIds::new(&column).expect("run ids").all_present());
    }

    #[test]
    fn large_string_run_ids_scan_as_plain_ones_do() {
        use arrow::array::LargeStringArray;
        let dir = tempfile::tempdir().expect("tempdir");
        let digests = |large: bool| {
            let path = dir.path().join(format!("history-{large}.parquet"));
            let ids = ["a", "a", "b", "a"];
            let id_column: ArrayRef = if large {
                Arc::new(LargeStringArray::from_iter_values(ids))
            } else {
                Arc::new(StringArray::from_iter_values(ids))
            };
            let batch = RecordBatch::try_from_iter(vec![
                ("run_id", id_column),
                (
                    "step",
                    Arc::new(Int64Array::from(vec![0, 1, 0, 2])) as ArrayRef,
                ),
                (
                    "train_loss",
                    Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0, 4.0])),
                ),
            ])
            .expect("batch");
            let mut w =
                ArrowWriter::try_new(File::create(&path).expect("create"), batch.schema(), None)
                    .expect("writer");
            w.write(&batch).expect("write");
            w.close().expect("close");
            let mut inputs = Inputs::default();
            assert!(scan(&path, &mut inputs).expect("scan"));
            inputs
                .streamed_runs()
                .iter()
                .map(|r| (r.run_id.clone(), r.rows, r.digest.finalize()))
                .collect::<Vec<_>>()
        };
        let plain = digests(false);
        assert_eq!(plain.len(), 2);
        assert_eq!(digests(true), plain);
    }

    #[test]
    fn a_runs_digest_is_its_values_hashed_row_by_row_as_stored_hashes_were() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("history.parquet");
        let ids = ["a", "a", "a", "b", "b", "a"];
        let steps = [0i64, 5, 9, 1, 2, 12];
        // A null's value slot holds whatever the decoder left there, so stretches here are
        // either all values or all nulls.
        let loss = [Some(1.5), Some(0.5), Some(0.25), Some(3.0), Some(2.0), None];
        history(&path, &ids, &steps, &loss, 1 << 20);

        let mut inputs = Inputs::default();
        assert!(scan(&path, &mut inputs).expect("scan"));

        // Each stretch of a run's rows: its length, each step on its own, then each column
        // with a value: name, NUL, values (and validity when some are missing).
        let stretch = |h: &mut blake3::Hasher, rows: std::ops::Range<usize>| {
            h.update(&(rows.len() as u64).to_le_bytes());
            for i in rows.clone() {
                h.update(&steps[i].to_le_bytes());
            }
            let part = &loss[rows];
            if part.iter().any(Option::is_some) {
                h.update(b"train_loss\0");
                for v in part {
                    h.update(&v.unwrap_or_default().to_le_bytes());
                }
            }
        };
        let mut a = blake3::Hasher::new();
        stretch(&mut a, 0..3);
        stretch(&mut a, 5..6);
        let mut b = blake3::Hasher::new();
        stretch(&mut b, 3..5);
        // A file's digest is folded once more as the run's first file.
        let folded = |h: blake3::Hasher| {
            let mut outer = blake3::Hasher::new();
            outer.update(h.finalize().as_bytes());
            outer.finalize().to_hex().to_string()
        };
        let digest = |id: &str| {
            let run = inputs.streamed_run(id).expect("run");
            run.digest()
        };
        assert_eq!(digest("a"), folded(a));
        assert_eq!(digest("b"), folded(b));
    }
}
