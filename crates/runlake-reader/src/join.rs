//! Hash join: the right side is gathered and hashed by its keys, the left side streams
//! through. Null keys never match (SQL semantics).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, UInt32Array};
use arrow::compute::{cast, take};
use arrow::datatypes::{DataType, Schema};
use arrow::row::{RowConverter, SortField};
use futures::StreamExt;

use crate::error::{ReaderError, Result, arrow_err};
use crate::plan_schema::join_layout;
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

struct BuildSide {
    batch: RecordBatch,
    table: HashMap<Box<[u8]>, Vec<u32>>,
    converter: RowConverter,
}

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
    let converter = RowConverter::new(
        right_keys
            .iter()
            .map(|c| SortField::new(c.data_type().clone()))
            .collect(),
    )
    .map_err(arrow_err("preparing join keys"))?;
    let rows = converter
        .convert_columns(&right_keys)
        .map_err(arrow_err("hashing join keys"))?;
    let mut table: HashMap<Box<[u8]>, Vec<u32>> = HashMap::new();
    for i in 0..build.num_rows() {
        if any_null(&right_keys, i) {
            continue;
        }
        let idx = u32::try_from(i).map_err(|_| ReaderError::Arrow {
            context: "join".into(),
            source: arrow::error::ArrowError::ComputeError(
                "the right side of a join exceeds 2^32 rows".into(),
            ),
        })?;
        table
            .entry(rows.row(i).as_ref().into())
            .or_default()
            .push(idx);
    }
    let side = Arc::new(BuildSide {
        batch: build,
        table,
        converter,
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
    let rows = side
        .converter
        .convert_columns(&keys)
        .map_err(arrow_err("hashing join keys"))?;
    let mut li: Vec<u32> = Vec::new();
    let mut ri: Vec<Option<u32>> = Vec::new();
    for i in 0..left.num_rows() {
        let hits = if any_null(&keys, i) {
            None
        } else {
            side.table.get(rows.row(i).as_ref())
        };
        // Batches hold far fewer than 2^32 rows.
        let i = i as u32;
        match hits {
            Some(js) => {
                for &j in js {
                    li.push(i);
                    ri.push(Some(j));
                }
            }
            None if kind == JoinKind::Left => {
                li.push(i);
                ri.push(None);
            }
            None => {}
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
