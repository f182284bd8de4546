//! Rows holding their group's largest value of one column: each run's final checkpoint is
//! the rows of each `(run, task)` at its largest step.

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::row::{RowConverter, SortField};

use crate::error::{ReaderError, Result, arrow_err};
use crate::groups::Groups;

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| ReaderError::UnknownColumn {
            column: name.to_owned(),
            context: "keep_max".into(),
            available: String::new(),
        })
}

/// Keeps the rows whose `value` equals the largest non-null `value` of their group of `keys`
/// (every such row on a tie). Rows with a null `value` are never kept; null keys group
/// together, as in `group_by`.
pub(crate) fn keep_max(batch: &RecordBatch, keys: &[String], value: &str) -> Result<RecordBatch> {
    let err = || arrow_err("keeping group maxima");
    let key_cols: Vec<ArrayRef> = keys
        .iter()
        .map(|k| column(batch, k).cloned())
        .collect::<Result<_>>()?;
    let mut groups = Groups::new(
        key_cols
            .iter()
            .map(|c| SortField::new(c.data_type().clone()))
            .collect(),
    )?;
    let mut ids = Vec::with_capacity(batch.num_rows());
    groups.assign(&key_cols, batch.num_rows(), &mut ids)?;
    let values = column(batch, value)?;
    // The row format orders any comparable type by plain byte comparison.
    let value_rows = RowConverter::new(vec![SortField::new(values.data_type().clone())])
        .and_then(|c| c.convert_columns(std::slice::from_ref(values)))
        .map_err(err())?;
    let mut best: Vec<Option<&[u8]>> = vec![None; groups.count()];
    for (i, &g) in ids.iter().enumerate() {
        if values.is_valid(i) {
            let v = value_rows.row(i).data();
            if best[g].is_none_or(|b| v > b) {
                best[g] = Some(v);
            }
        }
    }
    let keep: BooleanArray = (0..batch.num_rows())
        .map(|i| Some(values.is_valid(i) && best[ids[i]] == Some(value_rows.row(i).data())))
        .collect();
    filter_record_batch(batch, &keep).map_err(err())
}
