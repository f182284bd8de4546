//! Rows holding their group's most preferred value of one text column: one answer per
//! checkpoint and task when several eval sources hold it.

use arrow::array::{Array, AsArray, BooleanArray, RecordBatch};
use arrow::compute::{cast, filter_record_batch};
use arrow::datatypes::DataType;
use arrow::row::SortField;

use crate::error::{ReaderError, Result, arrow_err};
use crate::groups::Groups;

/// The rank of `value` under `preference`: listed values in list order, then every other
/// value after them in byte order, so any two distinct values compare one way.
fn rank<'a>(preference: &[String], value: &'a str) -> (usize, &'a str) {
    let place = preference
        .iter()
        .position(|p| p == value)
        .unwrap_or(preference.len());
    (place, value)
}

/// Keeps the rows whose `column` holds the best-ranked value of their group of `keys` (all of
/// them on a tie; a row with a null there never).
pub(crate) fn keep_preferred(
    batch: &RecordBatch,
    keys: &[String],
    column: &str,
    preference: &[String],
) -> Result<RecordBatch> {
    let err = || arrow_err("keeping preferred rows");
    let find = |name: &str| {
        batch
            .column_by_name(name)
            .cloned()
            .ok_or_else(|| ReaderError::UnknownColumn {
                column: name.to_owned(),
                context: "keep_preferred".into(),
                available: String::new(),
            })
    };
    let key_cols = keys.iter().map(|k| find(k)).collect::<Result<Vec<_>>>()?;
    let mut groups = Groups::new(
        key_cols
            .iter()
            .map(|c| SortField::new(c.data_type().clone()))
            .collect(),
    )?;
    let mut ids = Vec::with_capacity(batch.num_rows());
    groups.assign(&key_cols, batch.num_rows(), &mut ids)?;
    // Dictionary-encoded text reads as plain text here.
    let values = cast(&find(column)?, &DataType::Utf8).map_err(err())?;
    let values = values.as_string::<i32>();
    let mut best: Vec<Option<(usize, &str)>> = vec![None; groups.count()];
    for (i, &g) in ids.iter().enumerate() {
        if values.is_valid(i) {
            let r = rank(preference, values.value(i));
            if best[g].is_none_or(|b| r < b) {
                best[g] = Some(r);
            }
        }
    }
    let keep: BooleanArray = (0..batch.num_rows())
        .map(|i| {
            Some(values.is_valid(i) && best[ids[i]] == Some(rank(preference, values.value(i))))
        })
        .collect();
    filter_record_batch(batch, &keep).map_err(err())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{Field, Schema};

    use super::*;

    #[test]
    fn each_group_keeps_its_best_ranked_source() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, false),
            Field::new("source", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![1, 1, 2, 2, 3, 3, 4])),
                Arc::new(StringArray::from(vec![
                    Some("full"),
                    Some("hf"),
                    Some("zeta"),
                    Some("alpha"),
                    Some("full"),
                    Some("full"),
                    None,
                ])),
            ],
        )
        .expect("batch");
        let preference = vec!["hf".to_owned(), "full".to_owned()];
        let kept = keep_preferred(&batch, &["k".to_owned()], "source", &preference).expect("kept");
        let sources: Vec<Option<&str>> = kept.column(1).as_string::<i32>().iter().collect();
        // Listed values by the list, unlisted ones by bytes, ties kept, nulls never.
        assert_eq!(
            sources,
            [Some("hf"), Some("alpha"), Some("full"), Some("full")]
        );
    }
}
