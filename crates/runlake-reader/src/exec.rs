//! Running a plan: each node turns its input stream into its output stream.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::{
    SortColumn, SortOptions, concat_batches, lexsort_to_indices, take_record_batch,
};
use arrow::datatypes::SchemaRef;
use futures::{StreamExt, TryStreamExt, stream};

use crate::error::{Result, arrow_err};
use crate::eval::filter_batch;
use crate::plan_schema::schema_of;
use crate::scan::{BatchStream, LakeReader, Plan, SortKey};

/// Stops after `n` rows, slicing the last batch.
pub(crate) fn limit_stream(input: BatchStream, n: usize) -> BatchStream {
    stream::unfold((input, n), |(mut input, left)| async move {
        if left == 0 {
            return None;
        }
        match input.next().await? {
            Err(e) => Some((Err(e), (input, 0))),
            Ok(b) => {
                let take = b.num_rows().min(left);
                Some((Ok(b.slice(0, take)), (input, left - take)))
            }
        }
    })
    .boxed()
}

/// Gathers a stream into one batch of `schema`.
pub(crate) async fn gather(input: BatchStream, schema: &SchemaRef) -> Result<RecordBatch> {
    let batches: Vec<RecordBatch> = input.try_collect().await?;
    concat_batches(schema, &batches).map_err(arrow_err("gathering batches"))
}

pub(crate) fn sort_batch(batch: &RecordBatch, keys: &[SortKey]) -> Result<RecordBatch> {
    if batch.num_rows() == 0 || keys.is_empty() {
        return Ok(batch.clone());
    }
    let columns = keys
        .iter()
        .map(|k| {
            let values = batch.column_by_name(&k.column).cloned().ok_or_else(|| {
                crate::error::ReaderError::UnknownColumn {
                    column: k.column.clone(),
                    context: "sort".into(),
                    available: String::new(),
                }
            })?;
            Ok(SortColumn {
                values,
                options: Some(SortOptions {
                    descending: k.descending,
                    nulls_first: k.nulls_first,
                }),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let indices = lexsort_to_indices(&columns, None).map_err(arrow_err("sorting"))?;
    take_record_batch(batch, &indices).map_err(arrow_err("sorting"))
}

pub(crate) fn execute(
    reader: &LakeReader,
    plan: Plan,
) -> futures::future::BoxFuture<'static, Result<BatchStream>> {
    let reader = reader.clone();
    Box::pin(async move {
        let schema = schema_of(&plan)?;
        match plan {
            Plan::Scan(node) => crate::scan_exec::execute_scan(&reader, node).await,
            Plan::Filter { input, predicate } => {
                let input = execute(&reader, *input).await?;
                let predicate = Arc::new(predicate);
                Ok(input
                    .and_then(move |b| {
                        let p = Arc::clone(&predicate);
                        async move { filter_batch(&p, &b).map_err(arrow_err("filtering")) }
                    })
                    .try_filter(|b| futures::future::ready(b.num_rows() > 0))
                    .boxed())
            }
            Plan::Project { input, columns } => {
                let input = execute(&reader, *input).await?;
                Ok(input
                    .and_then(move |b| {
                        let schema = Arc::clone(&schema);
                        let cols: Vec<_> = columns
                            .iter()
                            .filter_map(|c| b.column_by_name(c).cloned())
                            .collect();
                        async move {
                            RecordBatch::try_new(schema, cols).map_err(arrow_err("projecting"))
                        }
                    })
                    .boxed())
            }
            Plan::Limit { input, n } => Ok(limit_stream(execute(&reader, *input).await?, n)),
            Plan::Rename { input, .. } => {
                let input = execute(&reader, *input).await?;
                Ok(input
                    .and_then(move |b| {
                        let renamed = RecordBatch::try_new_with_options(
                            Arc::clone(&schema),
                            b.columns().to_vec(),
                            &arrow::record_batch::RecordBatchOptions::new()
                                .with_row_count(Some(b.num_rows())),
                        )
                        .map_err(arrow_err("renaming"));
                        async move { renamed }
                    })
                    .boxed())
            }
            Plan::Sort { input, keys } => {
                let input = execute(&reader, *input).await?;
                let all = gather(input, &schema).await?;
                let sorted = sort_batch(&all, &keys)?;
                Ok(stream::once(async { Ok(sorted) }).boxed())
            }
            Plan::Join {
                left,
                right,
                on,
                kind,
            } => {
                let left_schema = schema_of(&left)?;
                let right_schema = schema_of(&right)?;
                let right_stream = execute(&reader, *right).await?;
                let build = gather(right_stream, &right_schema).await?;
                let mut left = *left;
                if kind == crate::scan::JoinKind::Inner && reader.options().join_filter_pushdown {
                    crate::join::push_build_keys(&mut left, &build, &on);
                }
                let left_stream = execute(&reader, left).await?;
                crate::join::hash_join(left_stream, &left_schema, build, &on, kind)
            }
            Plan::KeepMax {
                input,
                keys,
                column,
            } => {
                let input = execute(&reader, *input).await?;
                let all = gather(input, &schema).await?;
                let kept = crate::keep_max::keep_max(&all, &keys, &column)?;
                Ok(stream::once(async { Ok(kept) }).boxed())
            }
            Plan::KeepPreferred {
                input,
                keys,
                column,
                preference,
            } => {
                let input = execute(&reader, *input).await?;
                let all = gather(input, &schema).await?;
                let kept =
                    crate::keep_preferred::keep_preferred(&all, &keys, &column, &preference)?;
                Ok(stream::once(async { Ok(kept) }).boxed())
            }
            Plan::Aggregate { input, keys, aggs } => {
                let input_schema = schema_of(&input)?;
                let input = execute(&reader, *input).await?;
                let out =
                    crate::agg::aggregate(input, &input_schema, &keys, &aggs, &schema).await?;
                Ok(stream::once(async { Ok(out) }).boxed())
            }
        }
    })
}
