//! Answers in the names datadec shows: recipe display names (`Dolma1.7 (no math, code)`) and
//! seed names (`small aux 2`) instead of the slugs the lake stores.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema};

use crate::error::{Result, arrow_err};

/// `batch` with its `recipe` and `seed` columns (where present) in display names. A value the
/// vocabulary does not know stays as it is, so nothing is lost.
pub fn with_display_names(batch: &RecordBatch) -> Result<RecordBatch> {
    let schema = batch.schema();
    let mut fields: Vec<Field> = Vec::with_capacity(schema.fields().len());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    for (f, c) in schema.fields().iter().zip(batch.columns()) {
        let rename: Option<fn(&str) -> Option<&'static str>> = match f.name().as_str() {
            "recipe" => Some(|v| runlake_vocab::Recipe::parse(v).ok().map(|r| r.display)),
            "seed" => Some(|v| runlake_vocab::Seed::parse(v).ok().map(|s| s.name)),
            _ => None,
        };
        match rename {
            Some(rename) => {
                let text = cast(c, &DataType::Utf8).map_err(arrow_err("naming"))?;
                let text = text.as_string::<i32>();
                let renamed: StringArray = text
                    .iter()
                    .map(|v| v.map(|v| rename(v).unwrap_or(v)))
                    .collect();
                fields.push(Field::new(f.name(), DataType::Utf8, f.is_nullable()));
                columns.push(Arc::new(renamed));
            }
            None => {
                fields.push(f.as_ref().clone());
                columns.push(Arc::clone(c));
            }
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(arrow_err("naming"))
}

/// The schema [`with_display_names`] gives batches of `schema`.
pub fn display_schema(schema: &Schema) -> Schema {
    Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| match f.name().as_str() {
                "recipe" | "seed" => Field::new(f.name(), DataType::Utf8, f.is_nullable()),
                _ => f.as_ref().clone(),
            })
            .collect::<Vec<_>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_become_display_names_and_unknown_values_stay() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("recipe", DataType::Utf8, true),
            Field::new("seed", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec![
                    Some("dolma1_7-no-math-code"),
                    Some("mystery"),
                    None,
                ])),
                Arc::new(StringArray::from(vec![
                    Some("small-aux-2"),
                    None,
                    Some("x"),
                ])),
            ],
        )
        .expect("batch");
        let out = with_display_names(&batch).expect("renamed");
        let recipe: Vec<Option<&str>> = out.column(0).as_string::<i32>().iter().collect();
        let seed: Vec<Option<&str>> = out.column(1).as_string::<i32>().iter().collect();
        assert_eq!(
            recipe,
            [Some("Dolma1.7 (no math, code)"), Some("mystery"), None]
        );
        assert_eq!(seed, [Some("small aux 2"), None, Some("x")]);
        assert_eq!(
            display_schema(&batch.schema()),
            out.schema().as_ref().clone()
        );
    }
}
