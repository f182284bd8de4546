//! How a data file's rows are ordered, recorded in its Parquet key-value metadata so that
//! compaction can rely on it without reading any keys.

use arrow::array::{ArrayRef, RecordBatch};
use arrow::compute::SortOptions;
use arrow::row::{OwnedRow, RowConverter, SortField};
use parquet::file::metadata::{FileMetaData, KeyValue};
use runlake_format::Table;

use crate::error::{LakeError, Result, arrow_err};

/// The key-value metadata key; its value is what [`FileOrder::value`] gives.
pub(crate) const ORDER_KEY: &str = "runlake.order";

/// What a data file promises about the order of its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileOrder {
    /// Nothing recorded (files of earlier writers): a row group may hold the end of one sorted
    /// run and the start of the next.
    Unknown,
    /// Every row group is sorted by the table's sort columns.
    RowGroups,
    /// The whole file is one run sorted by the table's sort columns.
    File,
}

impl FileOrder {
    pub(crate) fn of(meta: &FileMetaData) -> Self {
        let value = meta
            .key_value_metadata()
            .and_then(|kvs| kvs.iter().find(|kv| kv.key == ORDER_KEY))
            .and_then(|kv| kv.value.as_deref());
        match value {
            Some("file") => Self::File,
            Some("row_groups") => Self::RowGroups,
            _ => Self::Unknown,
        }
    }

    fn value(self) -> Option<&'static str> {
        match self {
            Self::Unknown => None,
            Self::RowGroups => Some("row_groups"),
            Self::File => Some("file"),
        }
    }

    pub(crate) fn key_value(self) -> Option<KeyValue> {
        self.value()
            .map(|v| KeyValue::new(ORDER_KEY.to_owned(), v.to_owned()))
    }
}

/// A row converter for `columns` of `table` in the order the writer sorts by: ascending,
/// nulls first, so comparing converted rows compares sort keys.
pub(crate) fn sort_key_converter(table: Table, columns: &[&str]) -> Result<RowConverter> {
    let schema = table.schema();
    let fields = columns
        .iter()
        .map(|c| {
            let dt = schema
                .field_with_name(c)
                .map_err(|_| LakeError::Task(format!("table {table} has no sort column `{c}`")))?
                .data_type()
                .clone();
            Ok(SortField::new_with_options(
                dt,
                SortOptions {
                    descending: false,
                    nulls_first: true,
                },
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    RowConverter::new(fields).map_err(arrow_err("encoding sort keys"))
}

/// The columns of a data-file batch its rows are sorted by. No sort column is a partition
/// column (the format's tests hold it to that), so every data file stores them all.
pub(crate) fn sort_key_columns(
    table: Table,
    batch: &RecordBatch,
) -> std::result::Result<Vec<ArrayRef>, String> {
    table
        .sort_columns()
        .iter()
        .map(|c| {
            batch
                .column_by_name(c)
                .cloned()
                .ok_or_else(|| format!("no sort column `{c}`"))
        })
        .collect()
}

/// Follows the sorted chunks appended to one file and tells whether they form one run.
pub(crate) struct RunTracker {
    table: Table,
    converter: RowConverter,
    last: Option<OwnedRow>,
    one_run: bool,
}

impl RunTracker {
    pub(crate) fn new(table: Table) -> Result<Self> {
        Ok(Self {
            table,
            converter: sort_key_converter(table, table.sort_columns())?,
            last: None,
            one_run: true,
        })
    }

    /// Notes the next chunk, itself sorted; only its first and last rows are converted.
    pub(crate) fn push(&mut self, batch: &RecordBatch) -> Result<()> {
        let n = batch.num_rows();
        if n == 0 {
            return Ok(());
        }
        if !self.follows(batch)? {
            self.one_run = false;
        }
        self.last = Some(self.key(batch, n - 1)?);
        Ok(())
    }

    /// Whether `batch`, itself sorted, continues the chunks noted so far: its first key is not
    /// below the last one noted.
    pub(crate) fn follows(&self, batch: &RecordBatch) -> Result<bool> {
        let Some(last) = &self.last else {
            return Ok(true);
        };
        if batch.num_rows() == 0 {
            return Ok(true);
        }
        Ok(self.key(batch, 0)?.row() >= last.row())
    }

    fn key(&self, batch: &RecordBatch, row: usize) -> Result<OwnedRow> {
        let columns = sort_key_columns(self.table, batch).map_err(LakeError::Task)?;
        let one: Vec<ArrayRef> = columns.iter().map(|a| a.slice(row, 1)).collect();
        let rows = self
            .converter
            .convert_columns(&one)
            .map_err(arrow_err("encoding sort keys"))?;
        Ok(rows.row(0).owned())
    }

    pub(crate) fn order(&self) -> FileOrder {
        if self.one_run {
            FileOrder::File
        } else {
            FileOrder::RowGroups
        }
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Int64Array, StringArray};

    use super::*;

    /// The key columns only: the tracker looks at nothing else.
    fn ckpts(runs: &[&str], steps: &[i64]) -> RecordBatch {
        RecordBatch::try_from_iter([
            (
                "run_uid",
                std::sync::Arc::new(StringArray::from(runs.to_vec())) as _,
            ),
            (
                "step",
                std::sync::Arc::new(Int64Array::from(steps.to_vec())) as _,
            ),
        ])
        .expect("batch")
    }

    #[test]
    fn chunks_that_continue_the_order_make_one_run() {
        let mut t = RunTracker::new(Table::PretrainCkpts).expect("tracker");
        t.push(&ckpts(&["a", "a"], &[1, 2])).expect("push");
        // An equal key at the boundary still continues the run.
        t.push(&ckpts(&["a", "b"], &[2, 0])).expect("push");
        t.push(&ckpts(&[], &[])).expect("push");
        t.push(&ckpts(&["c"], &[0])).expect("push");
        assert_eq!(t.order(), FileOrder::File);
        t.push(&ckpts(&["b"], &[5])).expect("push");
        assert_eq!(t.order(), FileOrder::RowGroups);
        t.push(&ckpts(&["z"], &[5])).expect("push");
        assert_eq!(
            t.order(),
            FileOrder::RowGroups,
            "once broken, never one run"
        );
    }

    #[test]
    fn order_round_trips_through_key_value_metadata() {
        for order in [FileOrder::File, FileOrder::RowGroups] {
            let kv = order.key_value().expect("recorded");
            let meta = FileMetaData::new(1, 0, None, Some(vec![kv]), empty_schema(), None);
            assert_eq!(FileOrder::of(&meta), order);
        }
        let meta = FileMetaData::new(1, 0, None, None, empty_schema(), None);
        assert_eq!(FileOrder::of(&meta), FileOrder::Unknown);
        assert_eq!(FileOrder::Unknown.key_value(), None);
    }

    fn empty_schema() -> parquet::schema::types::SchemaDescPtr {
        let root = parquet::schema::types::Type::group_type_builder("schema")
            .build()
            .expect("schema");
        std::sync::Arc::new(parquet::schema::types::SchemaDescriptor::new(
            std::sync::Arc::new(root),
        ))
    }
}
