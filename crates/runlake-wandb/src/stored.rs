//! What the lake holds for runs about to be replaced: row counts per table, to catch a
//! re-import that would shrink a run, and the oe-eval rows a WandB export does not carry.

use std::collections::{HashMap, HashSet};

use arrow::array::{AsArray, BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use runlake_format::{ColumnStats, DataFile, Manifest, StatValue, Table};
use runlake_lake::Lake;

use crate::error::{Result, WandbError};
use crate::lake_rows;

/// A table whose rows for a run a re-import would reduce.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Shrink {
    /// The run.
    pub run_uid: String,
    /// The table.
    pub table: String,
    /// Rows the lake holds for the run.
    pub stored_rows: usize,
    /// Rows the run would hold afterwards.
    pub new_rows: usize,
}

impl std::fmt::Display for Shrink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "run `{}` table `{}`: {} stored rows, {} after the import",
            self.run_uid, self.table, self.stored_rows, self.new_rows
        )
    }
}

/// Rows per run in one batch, by the table's run column.
pub(crate) fn rows_per_run(table: Table, batch: &RecordBatch) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    if let Some(runs) = batch
        .column_by_name(table.run_column())
        .and_then(|c| c.as_string_opt::<i32>())
    {
        for run in runs.iter().flatten() {
            *out.entry(run.to_owned()).or_default() += 1;
        }
    }
    out
}

/// What the lake holds for the runs a conversion replaces.
#[derive(Debug, Default)]
pub struct Stored {
    /// Rows per (table, run).
    pub(crate) counts: HashMap<(Table, String), usize>,
    /// oe-eval rows of the runs whose evals are replaced that the new rows do not supersede.
    pub(crate) kept_evals: Option<RecordBatch>,
    /// Same-name links of unchanged runs the lake already holds, as `(child, earlier run)`.
    pub(crate) links: HashSet<(String, String)>,
}

impl Stored {
    pub(crate) fn count(&self, table: Table, run: &str) -> usize {
        self.counts
            .get(&(table, run.to_owned()))
            .copied()
            .unwrap_or(0)
    }
}

/// Counts the rows `runs` hold in `tables` at `manifest`, and collects the oe-eval rows of
/// `evals_replaced` that `new_evals` does not replace (earlier oe-eval conversions are not in a
/// WandB export; they survive a newer one).
pub(crate) async fn stored_rows(
    lake: &Lake,
    manifest: &Manifest,
    tables: &[Table],
    runs: &HashSet<String>,
    evals_replaced: &HashSet<String>,
    new_evals: &RecordBatch,
) -> Result<Stored> {
    let mut stored = Stored::default();
    let mut kept = Vec::new();
    let new_keys: HashSet<_> = (0..new_evals.num_rows())
        .map(|i| eval_key(new_evals, i))
        .collect();
    for &table in tables {
        for file in files_maybe_holding(manifest, table, runs) {
            for batch in lake.read_file(table, file).await? {
                for (run, n) in rows_per_run(table, &batch) {
                    if runs.contains(&run) {
                        *stored.counts.entry((table, run)).or_default() += n;
                    }
                }
                if table != Table::Evals || evals_replaced.is_empty() {
                    continue;
                }
                let mask: BooleanArray = (0..batch.num_rows())
                    .map(|i| {
                        let key = eval_key(&batch, i);
                        let keep = key.0.as_ref().is_some_and(|r| evals_replaced.contains(r))
                            && key.2.as_deref().is_some_and(|s| s.starts_with("oe_eval"))
                            && !new_keys.contains(&key);
                        Some(keep)
                    })
                    .collect();
                let part =
                    filter_record_batch(&batch, &mask).map_err(|source| WandbError::Arrow {
                        table: "evals",
                        source,
                    })?;
                if part.num_rows() > 0 {
                    kept.push(part);
                }
            }
        }
    }
    if let Some(first) = kept.first() {
        let batch = arrow::compute::concat_batches(&first.schema(), &kept).map_err(|source| {
            WandbError::Arrow {
                table: "evals",
                source,
            }
        })?;
        stored.kept_evals = Some(batch);
    }
    Ok(stored)
}

/// The live files of `table` whose run column statistics allow a row of one of `runs`.
fn files_maybe_holding<'a>(
    manifest: &'a Manifest,
    table: Table,
    runs: &'a HashSet<String>,
) -> impl Iterator<Item = &'a DataFile> + 'a {
    let files = manifest
        .table(table)
        .map(|t| t.files.as_slice())
        .unwrap_or(&[]);
    files
        .iter()
        .filter(move |f| may_hold(f.stats.get(table.run_column()), runs))
}

/// Whether a file with these run column statistics may hold one of `runs`; a file without
/// statistics may hold any run, one whose runs are all null holds none.
fn may_hold(stats: Option<&ColumnStats>, runs: &HashSet<String>) -> bool {
    let Some(stats) = stats else {
        return true;
    };
    match (&stats.min, &stats.max) {
        (Some(StatValue::Str(min)), Some(StatValue::Str(max))) => {
            runs.iter().any(|r| min <= r && r <= max)
        }
        (None, None) => false,
        _ => true,
    }
}

type EvalKey = (Option<String>, Option<String>, Option<String>);

fn eval_key(b: &RecordBatch, i: usize) -> EvalKey {
    (
        lake_rows::str_at(b, "run_uid", i),
        lake_rows::str_at(b, "task", i),
        lake_rows::str_at(b, "source", i),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::StringArray;
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;

    #[test]
    fn only_files_whose_run_range_covers_a_run_are_read() {
        let runs: HashSet<String> = ["wandb/e/p/m".to_owned()].into();
        let range = |min: &str, max: &str| ColumnStats {
            min: Some(StatValue::Str(min.to_owned())),
            max: Some(StatValue::Str(max.to_owned())),
            null_count: 0,
        };
        assert!(may_hold(Some(&range("wandb/e/p/a", "wandb/e/p/z")), &runs));
        assert!(may_hold(Some(&range("wandb/e/p/m", "wandb/e/p/m")), &runs));
        assert!(!may_hold(Some(&range("wandb/e/p/n", "wandb/e/p/z")), &runs));
        assert!(!may_hold(Some(&range("dd/a", "dd/z")), &runs));
        assert!(may_hold(None, &runs));
        let all_null = ColumnStats {
            min: None,
            max: None,
            null_count: 3,
        };
        assert!(!may_hold(Some(&all_null), &runs));
    }

    #[test]
    fn rows_are_counted_by_the_tables_run_column() {
        let schema = Schema::new(vec![Field::new("child_run_uid", DataType::Utf8, true)]);
        let batch = RecordBatch::try_new(
            Arc::new(schema),
            vec![Arc::new(StringArray::from(vec![
                Some("a"),
                Some("b"),
                Some("a"),
                None,
            ]))],
        )
        .expect("batch");
        let counts = rows_per_run(Table::Lineage, &batch);
        assert_eq!(counts.get("a"), Some(&2));
        assert_eq!(counts.get("b"), Some(&1));
        assert_eq!(counts.len(), 2);
        assert!(rows_per_run(Table::Evals, &batch).is_empty());
    }
}
