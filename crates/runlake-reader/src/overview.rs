//! Which columns a plain `query` shows on a terminal when no columns were chosen: a wide table
//! (metadata has 60 columns, evals 40) printed whole is unreadable, so columns empty in every
//! row and the JSON blobs are left out, and the caller says how to get them all.

use arrow::array::{Array, RecordBatch};

/// Columns holding whole JSON documents or maps: their text is longer than a terminal line.
const BLOB_COLUMNS: [&str; 5] = [
    "hparams",
    "config_json",
    "summary_json",
    "extra_json",
    "extra_metrics",
];

/// The indexes of the columns worth showing: every column with a value in some row, except the
/// JSON blobs. A result with no rows keeps every column but the blobs, so its header still
/// says what the table holds.
pub fn overview_columns(batches: &[RecordBatch], schema: &arrow::datatypes::Schema) -> Vec<usize> {
    let any_rows = batches.iter().any(|b| b.num_rows() > 0);
    schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| !BLOB_COLUMNS.contains(&f.name().as_str()))
        .filter(|(i, _)| {
            !any_rows
                || batches
                    .iter()
                    .any(|b| b.column(*i).null_count() < b.num_rows())
        })
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn batch(a: Vec<Option<i64>>, b: Vec<Option<i64>>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, true),
            Field::new("b", DataType::Int64, true),
            Field::new("config_json", DataType::Utf8, true),
        ]));
        let n = a.len();
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(a)),
                Arc::new(Int64Array::from(b)),
                Arc::new(StringArray::from(vec![Some("{}"); n])),
            ],
        )
        .expect("batch")
    }

    #[test]
    fn empty_columns_and_blobs_are_left_out() {
        let first = batch(vec![Some(1), None], vec![None, None]);
        let schema = first.schema();
        assert_eq!(overview_columns(std::slice::from_ref(&first), &schema), [0]);
        let second = batch(vec![None], vec![Some(2)]);
        assert_eq!(
            overview_columns(&[first, second], &schema),
            [0, 1],
            "a value in any batch"
        );
    }

    #[test]
    fn no_rows_keep_every_column_but_the_blobs() {
        let empty = batch(vec![], vec![]);
        assert_eq!(
            overview_columns(std::slice::from_ref(&empty), &empty.schema()),
            [0, 1]
        );
        assert_eq!(overview_columns(&[], &empty.schema()), [0, 1]);
    }
}
