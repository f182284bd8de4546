//! Lineage read from a lake: the rows of the `lineage` table, which run a user's name means,
//! a run's chain back to pretraining, and every run descending from one. The rules themselves
//! are `runlake-domain`'s.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::datatypes::{Float64Type, Int64Type};
use runlake_domain::{LineageChain, LineageRow, RunLookupError};
use runlake_format::Table;

use crate::datadecide::DataDecide;
use crate::error::{ReaderError, Result, arrow_err};
use crate::exec::gather;
use crate::scan::Scan;

/// A lineage edge seen from the parent: (child, parent step, relation).
type Edge<'a> = (&'a str, Option<i64>, &'a str);

pub(crate) async fn collect(scan: Scan) -> Result<RecordBatch> {
    let schema = scan.schema()?;
    gather(scan.execute().await?, &schema).await
}

pub(crate) fn str_at(b: &RecordBatch, name: &str, i: usize) -> Option<String> {
    let c = b.column_by_name(name)?.as_string_opt::<i32>()?;
    c.is_valid(i).then(|| c.value(i).to_owned())
}

pub(crate) fn i64_at(b: &RecordBatch, name: &str, i: usize) -> Option<i64> {
    let c = b.column_by_name(name)?.as_primitive_opt::<Int64Type>()?;
    c.is_valid(i).then(|| c.value(i))
}

pub(crate) fn f64_at(b: &RecordBatch, name: &str, i: usize) -> Option<f64> {
    let c = b.column_by_name(name)?.as_primitive_opt::<Float64Type>()?;
    c.is_valid(i).then(|| c.value(i))
}

fn bool_at(b: &RecordBatch, name: &str, i: usize) -> bool {
    b.column_by_name(name)
        .and_then(|c| c.as_boolean_opt())
        .is_some_and(|c| c.is_valid(i) && c.value(i))
}

/// The value of `key` in row `i` of a `map<utf8, float64>` column.
pub(crate) fn map_f64_at(b: &RecordBatch, name: &str, i: usize, key: &str) -> Option<f64> {
    let map = b.column_by_name(name)?.as_map_opt()?;
    if map.is_null(i) {
        return None;
    }
    let entry = map.value(i);
    let keys = entry.column(0).as_string_opt::<i32>()?;
    let values = entry.column(1).as_primitive_opt::<Float64Type>()?;
    (0..entry.len())
        .find(|&k| keys.value(k) == key)
        .and_then(|k| values.is_valid(k).then(|| values.value(k)))
}

impl DataDecide {
    /// Every row of the `lineage` table.
    pub async fn lineage_rows(&self) -> Result<Vec<LineageRow>> {
        let batch = collect(self.reader.scan(Table::Lineage)).await?;
        Ok((0..batch.num_rows())
            .map(|i| LineageRow {
                child_run_uid: str_at(&batch, "child_run_uid", i).unwrap_or_default(),
                parent_run_uid: str_at(&batch, "parent_run_uid", i),
                parent_step: i64_at(&batch, "parent_step", i),
                relation: str_at(&batch, "relation", i).unwrap_or_default(),
                evidence_source: str_at(&batch, "evidence_source", i).unwrap_or_default(),
                evidence_value: str_at(&batch, "evidence_value", i).unwrap_or_default(),
                conflict: bool_at(&batch, "conflict", i),
                resolved: bool_at(&batch, "resolved", i),
                rule: str_at(&batch, "rule", i),
                note: str_at(&batch, "note", i),
            })
            .collect())
    }

    /// The uid a user's name for a run means (`runlake_domain::resolve_run`): a uid, a run id
    /// or a run name of a run in `metadata`, or a run the `lineage` table names.
    pub async fn resolve_run(&self, name: &str) -> Result<String> {
        let meta = collect(
            self.reader
                .scan(Table::Metadata)
                .select(["run_uid", "run_name"]),
        );
        let linked = collect(
            self.reader
                .scan(Table::Lineage)
                .select(["child_run_uid", "parent_run_uid"]),
        );
        let (meta, linked) = futures::future::try_join(meta, linked).await?;
        self.resolve_among(name, &meta, &linked)
    }

    fn resolve_among(
        &self,
        name: &str,
        meta: &RecordBatch,
        linked: &RecordBatch,
    ) -> Result<String> {
        let named: Vec<(String, Option<String>)> = (0..meta.num_rows())
            .filter_map(|i| Some((str_at(meta, "run_uid", i)?, str_at(meta, "run_name", i))))
            .chain((0..linked.num_rows()).flat_map(|i| {
                ["child_run_uid", "parent_run_uid"]
                    .into_iter()
                    .filter_map(move |c| Some((str_at(linked, c, i)?, None)))
            }))
            .collect();
        runlake_domain::resolve_run(
            named.iter().map(|(u, n)| (u.as_str(), n.as_deref())),
            name.trim(),
        )
        .map_err(|e| match e {
            RunLookupError::Ambiguous { name, candidates } => {
                ReaderError::AmbiguousRun { name, candidates }
            }
            other => ReaderError::UnknownRun(other),
        })
    }

    /// The lineage chain of a run (any spelling [`DataDecide::resolve_run`] accepts) back to
    /// pretraining; `None` when the lake has no lineage for the run (a pretraining run).
    pub async fn lineage(&self, run: &str) -> Result<Option<LineageChain>> {
        let uid = self.resolve_run(run).await?;
        let rows = self.lineage_rows().await?;
        Ok(runlake_domain::walk(&rows, &uid))
    }

    /// Every post-training run descending from `run_uid` (directly or through other
    /// post-training runs), breadth first: `run_uid, parent_run_uid, parent_step, relation,
    /// depth`. With `at_step`, only the lines starting at that checkpoint of `run_uid`.
    pub async fn descendants(&self, run_uid: &str, at_step: Option<i64>) -> Result<RecordBatch> {
        let parents = runlake_domain::parents(&self.lineage_rows().await?);
        let mut children: BTreeMap<&str, Vec<Edge<'_>>> = BTreeMap::new();
        for (c, p) in &parents {
            children.entry(p.run_uid.as_str()).or_default().push((
                c.as_str(),
                p.step,
                p.relation.as_str(),
            ));
        }
        for list in children.values_mut() {
            list.sort();
        }
        let mut rows: Vec<(String, String, Option<i64>, String, i32)> = Vec::new();
        let mut queue: VecDeque<(&str, i32)> = VecDeque::from([(run_uid, 0)]);
        let mut seen: HashSet<&str> = HashSet::from([run_uid]);
        while let Some((node, depth)) = queue.pop_front() {
            for (c, s, r) in children.get(node).into_iter().flatten() {
                if depth == 0 && at_step.is_some() && *s != at_step {
                    continue;
                }
                if !seen.insert(c) {
                    continue;
                }
                rows.push((
                    (*c).to_owned(),
                    node.to_owned(),
                    *s,
                    (*r).to_owned(),
                    depth + 1,
                ));
                queue.push_back((c, depth + 1));
            }
        }
        let schema = Arc::new(Schema::new(vec![
            Field::new("run_uid", DataType::Utf8, false),
            Field::new("parent_run_uid", DataType::Utf8, false),
            Field::new("parent_step", DataType::Int64, true),
            Field::new("relation", DataType::Utf8, false),
            Field::new("depth", DataType::Int32, false),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.0.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.1.as_str()),
            )),
            Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.2))),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.3.as_str()),
            )),
            Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.4))),
        ];
        RecordBatch::try_new(schema, columns).map_err(arrow_err("listing descendants"))
    }
}
