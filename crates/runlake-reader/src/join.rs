//! Hash join: the right side is gathered and hashed by its keys, the left side streams
//! through. Null keys never match (SQL semantics).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, UInt32Array};
use arrow::compute::{cast, take};
use arrow::datatypes::{DataType, Schema};
use arrow::row::SortField;
use futures::StreamExt;

use crate::error::{ReaderError, Result, arrow_err};
use crate::expr::Literal;
use crate::groups::Groups;
use crate::plan_schema::join_layout;
use crate::scan::Plan;
use crate::scan::{BatchStream, JoinKind};

/// The type both sides of a key are compared as.
pub(crate) fn key_type(dt: &DataType) -> DataType {
    match dt {
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => DataType::Int64,
        DataType::LargeUtf8 | DataType::Utf8View => DataType::Utf8,
        other => other.clone(),
    }
}

fn key_columns(batch: &RecordBatch, names: &[&str]) -> Result<Vec<ArrayRef>> {
    names
        .iter()
        .map(|n| {
            let c = batch
                .column_by_name(n)
                .ok_or_else(|| ReaderError::UnknownColumn {
                    column: (*n).to_owned(),
                    context: "join".into(),
                    available: String::new(),
                })?;
            cast(c, &key_type(c.data_type())).map_err(arrow_err("preparing join keys"))
        })
        .collect()
}

fn any_null(columns: &[ArrayRef], row: usize) -> bool {
    columns.iter().any(|c| c.is_null(row))
}

/// The right side, its rows chained by key: `heads[g]` is the first row of key group `g`,
/// `next[row]` the following row with the same key. Keys live in one buffer (`Groups`), so
/// building and dropping the side costs no allocation per key.
struct BuildSide {
    batch: RecordBatch,
    groups: Groups,
    heads: Vec<u32>,
    next: Vec<u32>,
}

/// The end of a chain.
const NONE: u32 = u32::MAX;

pub(crate) fn hash_join(
    left: BatchStream,
    left_schema: &Schema,
    build: RecordBatch,
    on: &[(String, String)],
    kind: JoinKind,
) -> Result<BatchStream> {
    let layout = join_layout(left_schema, &build.schema(), on, kind)?;
    let right_names: Vec<&str> = on.iter().map(|(_, r)| r.as_str()).collect();
    let right_keys = key_columns(&build, &right_names)?;
    if build.num_rows() >= NONE as usize {
        return Err(ReaderError::Arrow {
            context: "join".into(),
            source: arrow::error::ArrowError::ComputeError(
                "the right side of a join exceeds 2^32 - 1 rows".into(),
            ),
        });
    }
    // Build keys are mostly distinct (checkpoints, runs): room for one group per row.
    let mut groups = Groups::with_capacity(
        right_keys
            .iter()
            .map(|c| SortField::new(c.data_type().clone()))
            .collect(),
        build.num_rows(),
    )?;
    let mut ids = Vec::with_capacity(build.num_rows());
    groups.assign(&right_keys, build.num_rows(), &mut ids)?;
    let mut heads = vec![NONE; groups.count()];
    let mut next = vec![NONE; build.num_rows()];
    // Linking from the last row keeps each chain in row order, as the output promises.
    for (i, &g) in ids.iter().enumerate().rev() {
        if any_null(&right_keys, i) {
            continue;
        }
        // Checked above: every row index fits below `NONE`.
        let row = i as u32;
        next[i] = heads[g];
        heads[g] = row;
    }
    let side = Arc::new(BuildSide {
        batch: build,
        groups,
        heads,
        next,
    });
    let left_names: Vec<String> = on.iter().map(|(l, _)| l.clone()).collect();
    let schema = layout.schema;
    let right_kept = layout.right_kept;
    Ok(left
        .map(move |b| {
            let b = b?;
            probe(&side, &b, &left_names, &right_kept, kind, &schema)
        })
        .boxed())
}

fn probe(
    side: &BuildSide,
    left: &RecordBatch,
    left_names: &[String],
    right_kept: &[usize],
    kind: JoinKind,
    schema: &Arc<Schema>,
) -> Result<RecordBatch> {
    let names: Vec<&str> = left_names.iter().map(String::as_str).collect();
    let keys = key_columns(left, &names)?;
    let mut found = Vec::with_capacity(left.num_rows());
    side.groups.find(&keys, &mut found)?;
    let mut li: Vec<u32> = Vec::with_capacity(left.num_rows());
    let mut ri: Vec<Option<u32>> = Vec::with_capacity(left.num_rows());
    for (i, g) in found.into_iter().enumerate() {
        let mut j = match g {
            Some(g) if !any_null(&keys, i) => side.heads[g],
            _ => NONE,
        };
        // Batches hold far fewer than 2^32 rows.
        let i = i as u32;
        if j == NONE {
            if kind == JoinKind::Left {
                li.push(i);
                ri.push(None);
            }
            continue;
        }
        while j != NONE {
            li.push(i);
            ri.push(Some(j));
            j = side.next[j as usize];
        }
    }
    let li = UInt32Array::from(li);
    let ri = UInt32Array::from(ri);
    let mut columns = Vec::with_capacity(schema.fields().len());
    for c in left.columns() {
        columns.push(take(c, &li, None).map_err(arrow_err("joining"))?);
    }
    for &k in right_kept {
        columns.push(take(side.batch.column(k), &ri, None).map_err(arrow_err("joining"))?);
    }
    RecordBatch::try_new_with_options(
        Arc::clone(schema),
        columns,
        &arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(li.len())),
    )
    .map_err(arrow_err("joining"))
}

/// Distinct keys beyond which a build-side column is not turned into a filter.
const MAX_PUSHED_KEYS: usize = 4096;

/// For an inner join, adds `left_key IN (build keys)` to the table scan under the left side,
/// for each key column with few distinct values: left rows outside them cannot match, and
/// the scan can then prune partitions, files and row groups by them. The filter passes down
/// through renames, projections, filters, sorts and aggregates grouped by the column.
pub(crate) fn push_build_keys(left: &mut Plan, build: &RecordBatch, on: &[(String, String)]) {
    for (l, r) in on {
        if let Some(values) = build.column_by_name(r).and_then(distinct_literals) {
            push_in_list(left, l.clone(), values);
        }
    }
}

fn push_in_list(plan: &mut Plan, column: String, values: Vec<Literal>) -> bool {
    match plan {
        Plan::Scan(node) => {
            if node.limit.is_some() {
                return false;
            }
            let schema = node.table.schema();
            let Ok(field) = schema.field_with_name(&column) else {
                return false;
            };
            if values
                .first()
                .is_some_and(|v| crate::eval::coercion(field.data_type(), v).is_err())
            {
                return false;
            }
            // An empty list (no build key) is false for every row, as it should be.
            let pushed = crate::expr::Expr::InList {
                column: crate::expr::ColumnRef {
                    name: column,
                    span: None,
                },
                values,
                negated: false,
            };
            node.filter = Some(match node.filter.take() {
                Some(f) => f.and(pushed),
                None => pushed,
            });
            true
        }
        Plan::Rename { input, from, to } => {
            if column == *from {
                // The input's column of that name is not the one the join sees.
                return false;
            }
            let column = if column == *to { from.clone() } else { column };
            push_in_list(input, column, values)
        }
        Plan::Project { input, .. } | Plan::Filter { input, .. } | Plan::Sort { input, .. } => {
            push_in_list(input, column, values)
        }
        Plan::Aggregate { input, keys, .. }
        | Plan::KeepMax { input, keys, .. }
        | Plan::KeepPreferred { input, keys, .. }
            if keys.contains(&column) =>
        {
            push_in_list(input, column, values)
        }
        _ => false,
    }
}

fn distinct_literals(c: &ArrayRef) -> Option<Vec<Literal>> {
    let mut out: Vec<Literal> = Vec::new();
    let mut seen_str = std::collections::HashSet::new();
    let mut seen_int = std::collections::HashSet::new();
    match c.data_type() {
        DataType::Utf8 => {
            for v in c
                .as_any()
                .downcast_ref::<arrow::array::StringArray>()?
                .iter()
                .flatten()
            {
                if seen_str.insert(v) {
                    out.push(Literal::Str(v.to_owned()));
                }
            }
        }
        DataType::Int64 | DataType::Int32 => {
            let c = cast(c, &DataType::Int64).ok()?;
            for v in c
                .as_any()
                .downcast_ref::<arrow::array::Int64Array>()?
                .iter()
                .flatten()
            {
                if seen_int.insert(v) {
                    out.push(Literal::Int(v));
                }
            }
        }
        _ => return None,
    }
    (out.len() <= MAX_PUSHED_KEYS).then_some(out)
}
