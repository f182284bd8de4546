//! Reading one table: prune partitions and files from the manifest, row groups from the
//! footers, then decode the remaining row groups in parallel, each into a small bounded
//! channel, and hand the batches on in file order.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray, new_null_array};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use arrow::error::ArrowError;
use futures::{StreamExt, TryStreamExt, stream};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowPredicateFn, ArrowReaderMetadata, ArrowReaderOptions, RowFilter,
};
use parquet::arrow::async_reader::ParquetRecordBatchStreamBuilder;
use runlake_format::checksums::UnitChecksums;
use runlake_format::{DataFile, Table};

use crate::damage::{check_footer, guarded};
use crate::error::{ReaderError, Result, arrow_err};
use crate::eval::{evaluate, filter_batch};
use crate::expr::Expr;
use crate::object_reader::StoreFileReader;
use crate::plan_schema::scan_schema;
use crate::prune::{ColumnRange, file_ranges, may_match, row_group_range};
use crate::scan::{BatchStream, LakeReader, ReaderInner, ScanNode, ScanOptions};
use crate::schema_util::{location, type_label};

/// What manifest pruning kept.
#[derive(Debug, Clone)]
pub(crate) struct ManifestPruning {
    pub(crate) partitions_total: usize,
    pub(crate) partitions_kept: usize,
    pub(crate) files_total: usize,
    /// Files left after partition pruning.
    pub(crate) files_in_partitions: usize,
    pub(crate) files: Vec<DataFile>,
}

pub(crate) fn prune_manifest(reader: &LakeReader, node: &ScanNode) -> Result<ManifestPruning> {
    let opts = &reader.inner.options;
    let state =
        reader
            .inner
            .manifest
            .table(node.table)
            .ok_or_else(|| ReaderError::MissingTable {
                table: node.table.name().to_owned(),
            })?;
    let all = &state.files;
    let mut partitions: Vec<&BTreeMap<String, Option<String>>> =
        all.iter().map(|f| &f.partition).collect();
    partitions.sort();
    partitions.dedup();
    let partitions_total = partitions.len();
    let no_stats = BTreeMap::new();
    let keep_partition = |p: &BTreeMap<String, Option<String>>| match &node.filter {
        Some(f) if opts.prune_partitions => may_match(f, &|c| {
            // Only the partition columns are known at this stage.
            p.get(c).map(|v| ColumnRange::constant(v.as_deref(), 1))
        }),
        _ => true,
    };
    let partitions_kept = partitions.iter().filter(|p| keep_partition(p)).count();
    let in_partitions: Vec<&DataFile> = all
        .iter()
        .filter(|f| keep_partition(&f.partition))
        .collect();
    let files_in_partitions = in_partitions.len();
    let files = in_partitions
        .into_iter()
        .filter(|f| match &node.filter {
            Some(expr) if opts.prune_files => {
                may_match(expr, &|c| file_ranges(&no_stats, Some(&f.stats), f.rows, c))
            }
            _ => true,
        })
        .cloned()
        .collect();
    Ok(ManifestPruning {
        partitions_total,
        partitions_kept,
        files_total: all.len(),
        files_in_partitions,
        files,
    })
}

/// Row groups of a file that may hold matching rows.
pub(crate) fn prune_row_groups(
    meta: &ArrowReaderMetadata,
    file: &DataFile,
    filter: Option<&Expr>,
    opts: &ScanOptions,
) -> Vec<usize> {
    let groups = meta.metadata().row_groups();
    (0..groups.len())
        .filter(|&i| match filter {
            Some(expr) if opts.prune_row_groups => may_match(expr, &|c| {
                if let Some(v) = file.partition.get(c) {
                    return Some(ColumnRange::constant(
                        v.as_deref(),
                        u64::try_from(groups[i].num_rows()).unwrap_or(0),
                    ));
                }
                row_group_range(&groups[i], c)
            }),
            _ => true,
        })
        .collect()
}

/// Counters filled while a scan runs.
#[derive(Debug, Default)]
pub(crate) struct RowGroupCounts {
    pub(crate) total: AtomicU64,
    pub(crate) kept: AtomicU64,
}

struct ScanCtx {
    reader: LakeReader,
    table: Table,
    out_schema: SchemaRef,
    filter: Option<Arc<Expr>>,
    limit: Option<usize>,
    counts: Arc<RowGroupCounts>,
}

struct OpenFile {
    file: DataFile,
    location: object_store::path::Path,
    meta: ArrowReaderMetadata,
    /// The file's page checksums, decoded once for all its row groups.
    checksums: Option<Arc<UnitChecksums>>,
}

/// The page checksums a read of `file` checks, unless the options turn checking off.
fn checksums_of(inner: &ReaderInner, file: &DataFile) -> Result<Option<Arc<UnitChecksums>>> {
    match (&file.page_crc32, inner.options.verify_pages) {
        (Some(text), true) => UnitChecksums::decode(text, file.bytes)
            .map(|sums| Some(Arc::new(sums)))
            .map_err(|reason| ReaderError::Parquet {
                path: file.path.clone(),
                source: parquet::errors::ParquetError::General(reason),
            }),
        _ => Ok(None),
    }
}

fn file_reader(
    inner: &ReaderInner,
    location: &object_store::path::Path,
    file: &DataFile,
    checksums: Option<Arc<UnitChecksums>>,
) -> StoreFileReader {
    StoreFileReader::new(Arc::clone(&inner.store), location.clone(), file.bytes)
        .with_footer_hint(inner.options.footer_hint)
        .with_read_through_gap(inner.options.read_through_gap)
        .with_counters(Arc::clone(&inner.io))
        .with_ranges_in_one_call(inner.local)
        .with_checksums(checksums)
}

pub(crate) async fn open_file(
    reader: &LakeReader,
    file: DataFile,
) -> Result<(object_store::path::Path, ArrowReaderMetadata, DataFile)> {
    let inner = &reader.inner;
    let loc = location(&inner.root, &file.path).map_err(|source| ReaderError::BadPath {
        path: file.path.clone(),
        source,
    })?;
    if let Some(meta) = inner.footers.get(&file.path) {
        return Ok((loc, meta, file));
    }
    let mut r = file_reader(inner, &loc, &file, checksums_of(inner, &file)?);
    let mut options = ArrowReaderOptions::new();
    if inner.options.prune_pages {
        options =
            options.with_page_index_policy(parquet::file::metadata::PageIndexPolicy::Optional);
    }
    let pq_err = |source| ReaderError::Parquet {
        path: file.path.clone(),
        source,
    };
    let mut meta = guarded(&file.path, async {
        ArrowReaderMetadata::load_async(&mut r, options)
            .await
            .map_err(pq_err)
    })
    .await?;
    check_footer(meta.metadata(), file.bytes).map_err(pq_err)?;
    if inner.options.dictionary_strings
        && let Some(schema) = crate::dict_hint::dictionary_schema(meta.schema(), meta.metadata())
    {
        meta = ArrowReaderMetadata::try_new(
            Arc::clone(meta.metadata()),
            ArrowReaderOptions::new().with_schema(schema),
        )
        .map_err(pq_err)?;
    }
    inner.footers.insert(&file.path, &meta);
    Ok((loc, meta, file))
}

pub(crate) async fn execute_scan(reader: &LakeReader, node: ScanNode) -> Result<BatchStream> {
    let out_schema = scan_schema(&node)?;
    let pruned = prune_manifest(reader, &node)?;
    let opts = reader.inner.options.clone();
    let ctx = Arc::new(ScanCtx {
        reader: reader.clone(),
        table: node.table,
        out_schema: Arc::clone(&out_schema),
        filter: node.filter.map(Arc::new),
        limit: node.limit,
        counts: Arc::default(),
    });
    let concurrency = opts.concurrency.max(1);
    let open_ctx = Arc::clone(&ctx);
    let units = stream::iter(pruned.files)
        .map(move |file| {
            let ctx = Arc::clone(&open_ctx);
            async move {
                let (location, meta, file) = open_file(&ctx.reader, file).await?;
                let groups = prune_row_groups(
                    &meta,
                    &file,
                    ctx.filter.as_deref(),
                    &ctx.reader.inner.options,
                );
                ctx.counts
                    .total
                    .fetch_add(meta.metadata().row_groups().len() as u64, Ordering::Relaxed);
                ctx.counts
                    .kept
                    .fetch_add(groups.len() as u64, Ordering::Relaxed);
                let checksums = checksums_of(&ctx.reader.inner, &file)?;
                let open = Arc::new(OpenFile {
                    file,
                    location,
                    meta,
                    checksums,
                });
                Ok::<_, ReaderError>(stream::iter(
                    groups.into_iter().map(move |g| Ok((Arc::clone(&open), g))),
                ))
            }
        })
        .buffered(concurrency)
        .try_flatten();
    let run_ctx = Arc::clone(&ctx);
    let batches = units
        .map(move |unit| {
            let ctx = Arc::clone(&run_ctx);
            async move {
                match unit {
                    Ok((file, group)) => spawn_row_group(ctx, file, group),
                    Err(e) => stream::once(async { Err(e) }).boxed(),
                }
            }
        })
        .buffered(concurrency)
        .flatten()
        .boxed();
    Ok(match node.limit {
        Some(n) => crate::exec::limit_stream(batches, n),
        None => batches,
    })
}

fn spawn_row_group(ctx: Arc<ScanCtx>, file: Arc<OpenFile>, group: usize) -> BatchStream {
    // Two batches in flight per row group bound memory by `concurrency * 2 * batch_size`.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<RecordBatch>>(2);
    tokio::spawn(async move {
        let read = read_row_group(&ctx, &file, group, &tx);
        if let Err(e) = guarded(&file.file.path, read).await {
            // The receiver may be gone (a limit was reached); nothing is waiting then.
            let _ = tx.send(Err(e)).await;
        }
    });
    stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) }).boxed()
}

fn partition_column(
    table: Table,
    name: &str,
    value: Option<&str>,
    rows: usize,
) -> (Field, ArrayRef) {
    let dt = table
        .schema()
        .field_with_name(name)
        .map(|f| f.data_type().clone())
        .unwrap_or(DataType::Utf8);
    let array: ArrayRef = match value {
        Some(v) => Arc::new(StringArray::new_repeated(v, rows)),
        None => new_null_array(&DataType::Utf8, rows),
    };
    let array = if dt == DataType::Utf8 {
        array
    } else {
        cast(&array, &dt).unwrap_or(array)
    };
    (Field::new(name, array.data_type().clone(), true), array)
}

/// Appends the file's values of the partition columns in `wanted` as constant columns.
fn with_partitions(
    table: Table,
    partition: &BTreeMap<String, Option<String>>,
    wanted: &[String],
    batch: RecordBatch,
) -> Result<RecordBatch, ArrowError> {
    if wanted.is_empty() {
        return Ok(batch);
    }
    let rows = batch.num_rows();
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let mut columns = batch.columns().to_vec();
    for k in wanted {
        let v = partition.get(k).and_then(Option::as_deref);
        let (f, a) = partition_column(table, k, v, rows);
        fields.push(f);
        columns.push(a);
    }
    RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        columns,
        &arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(rows)),
    )
}

/// `batch` with an all-null column appended for each of `missing` it does not hold.
fn with_nulls(missing: &[FieldRef], batch: RecordBatch) -> Result<RecordBatch, ArrowError> {
    let schema = batch.schema();
    let absent: Vec<&FieldRef> = missing
        .iter()
        .filter(|f| schema.index_of(f.name()).is_err())
        .collect();
    if absent.is_empty() {
        return Ok(batch);
    }
    let rows = batch.num_rows();
    let mut fields: Vec<FieldRef> = schema.fields().iter().cloned().collect();
    let mut columns = batch.columns().to_vec();
    for f in absent {
        fields.push(Arc::clone(f));
        columns.push(new_null_array(f.data_type(), rows));
    }
    RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        columns,
        &arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(rows)),
    )
}

async fn read_row_group(
    ctx: &ScanCtx,
    file: &OpenFile,
    group: usize,
    tx: &tokio::sync::mpsc::Sender<Result<RecordBatch>>,
) -> Result<()> {
    let opts = &ctx.reader.inner.options;
    let path = file.file.path.clone();
    let pq_err = |source| ReaderError::Parquet {
        path: path.clone(),
        source,
    };
    let file_schema = Arc::clone(file.meta.schema());
    let root_index = |name: &str| file_schema.index_of(name).ok();
    let filter_cols: Vec<String> = ctx
        .filter
        .as_deref()
        .map(|f| f.columns().into_iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default();
    let mut roots: Vec<usize> = if opts.projection_pushdown {
        ctx.out_schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .chain(filter_cols.iter().map(String::as_str))
            .filter_map(root_index)
            .collect()
    } else {
        (0..file_schema.fields().len()).collect()
    };
    roots.sort_unstable();
    roots.dedup();
    // Columns a later schema version appended (spec section 2) are absent from older files:
    // they read as null, for output and filters alike.
    let table_schema = ctx.table.file_schema();
    let missing: Arc<Vec<FieldRef>> = Arc::new(
        table_schema
            .fields()
            .iter()
            .filter(|f| f.is_nullable() && root_index(f.name()).is_none())
            .filter(|f| {
                ctx.out_schema.field_with_name(f.name()).is_ok()
                    || filter_cols.iter().any(|c| c == f.name())
            })
            .cloned()
            .collect(),
    );
    for f in ctx.out_schema.fields() {
        if root_index(f.name()).is_none()
            && !file.file.partition.contains_key(f.name())
            && !missing.iter().any(|m| m.name() == f.name())
        {
            return Err(ReaderError::UnknownColumn {
                column: f.name().clone(),
                context: format!("data file {}", file.file.path),
                available: file_schema
                    .fields()
                    .iter()
                    .map(|f| f.name().as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    let parquet_schema = file.meta.parquet_schema();
    let mut builder = ParquetRecordBatchStreamBuilder::new_with_metadata(
        file_reader(
            &ctx.reader.inner,
            &file.location,
            &file.file,
            file.checksums.clone(),
        ),
        file.meta.clone(),
    )
    .with_batch_size(opts.batch_size)
    .with_row_groups(vec![group])
    .with_projection(ProjectionMask::roots(parquet_schema, roots));
    if let Some(expr) = ctx.filter.as_deref()
        && opts.prune_pages
        && let Some(selection) =
            crate::prune::page_selection(file.meta.metadata(), group, expr, &file.file.partition)
    {
        if !selection.selects_any() {
            return Ok(());
        }
        builder = builder.with_row_selection(selection);
    }
    let mut post_filter = ctx.filter.as_deref().cloned();
    if let Some(expr) = ctx.filter.as_deref()
        && opts.row_filter
    {
        // Each conjunct becomes its own decoder predicate, applied in order, so a later
        // conjunct's columns are decoded only for rows the earlier ones kept. Conjuncts on
        // partition columns alone are constant per file and stay after decoding.
        // Cheapest first: ordered by the compressed bytes of the columns each one decodes.
        let rg = file.meta.metadata().row_group(group);
        let cost = |name: &str| -> i64 {
            rg.columns()
                .iter()
                .filter(|c| c.column_path().parts().first().map(String::as_str) == Some(name))
                .map(|c| c.compressed_size())
                .sum()
        };
        let mut parts: Vec<(i64, Vec<usize>, Expr)> = Vec::new();
        let mut rest: Vec<Expr> = Vec::new();
        for part in conjuncts(expr) {
            let names: Vec<String> = part.columns().iter().map(|c| c.name.clone()).collect();
            let roots: Vec<usize> = names.iter().filter_map(|c| root_index(c)).collect();
            if roots.is_empty() {
                rest.push(part.clone());
            } else {
                let c = names.iter().map(|n| cost(n)).sum();
                parts.push((c, roots, part.clone()));
            }
        }
        parts.sort_by_key(|p| p.0);
        let parts = merge_cheap_predicates(parts);
        let mut predicates: Vec<Box<dyn parquet::arrow::arrow_reader::ArrowPredicate>> = Vec::new();
        for (_, roots, part) in parts {
            let partition = file.file.partition.clone();
            let wanted = partition_columns_of(&partition, part.columns().iter().map(|c| &c.name));
            let table = ctx.table;
            let missing = Arc::clone(&missing);
            predicates.push(Box::new(ArrowPredicateFn::new(
                ProjectionMask::roots(parquet_schema, roots),
                move |batch: RecordBatch| {
                    let batch = with_partitions(table, &partition, &wanted, batch)?;
                    let batch = with_nulls(&missing, batch)?;
                    Ok(null_as_false(evaluate(&part, &batch)?))
                },
            )));
        }
        if !predicates.is_empty() {
            builder = builder.with_row_filter(RowFilter::new(predicates));
            post_filter = Expr::all(rest);
        }
    }
    // What is left may name partition columns only: its answer is the same for every row of
    // the file, so it is decided once here rather than per batch.
    if let Some(expr) = &post_filter
        && expr.columns().iter().all(|c| root_index(&c.name).is_none())
    {
        if !partition_constant_holds(ctx.table, &file.file.partition, &missing, expr)
            .map_err(arrow_err(format!("filtering {}", file.file.path)))?
        {
            return Ok(());
        }
        post_filter = None;
    }
    if post_filter.is_none()
        && let Some(n) = ctx.limit
    {
        builder = builder.with_limit(n);
    }
    let post_columns = post_filter.as_ref().map(Expr::columns).unwrap_or_default();
    let wanted = partition_columns_of(
        &file.file.partition,
        ctx.out_schema
            .fields()
            .iter()
            .map(|f| f.name())
            .chain(post_columns.iter().map(|c| &c.name)),
    );
    let mut stream = builder.build().map_err(pq_err)?;
    while let Some(batch) = stream.try_next().await.map_err(pq_err)? {
        let batch = with_partitions(ctx.table, &file.file.partition, &wanted, batch)
            .and_then(|b| with_nulls(&missing, b))
            .map_err(arrow_err(format!("reading {}", file.file.path)))?;
        let batch = match &post_filter {
            Some(expr) => filter_batch(expr, &batch)
                .map_err(arrow_err(format!("filtering {}", file.file.path)))?,
            None => batch,
        };
        if batch.num_rows() == 0 {
            continue;
        }
        let batch = conform(&batch, &ctx.out_schema, &file.file.path)?;
        if tx.send(Ok(batch)).await.is_err() {
            // The consumer stopped (a limit or an error elsewhere): stop reading.
            return Ok(());
        }
    }
    Ok(())
}

/// Whether a predicate over columns constant in a file (its partition values, and the columns
/// it lacks, null) holds for the file.
fn partition_constant_holds(
    table: Table,
    partition: &BTreeMap<String, Option<String>>,
    missing: &[FieldRef],
    expr: &Expr,
) -> Result<bool, ArrowError> {
    let names = expr.columns().into_iter().map(|c| &c.name);
    let wanted = partition_columns_of(partition, names);
    let one_row = RecordBatch::try_new_with_options(
        Arc::new(Schema::empty()),
        vec![],
        &arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(1)),
    )?;
    let row = with_partitions(table, partition, &wanted, one_row)?;
    let row = with_nulls(missing, row)?;
    let mask = evaluate(expr, &row)?;
    Ok(mask.is_valid(0) && mask.value(0))
}

/// The partition columns among `names`, once each, in partition order.
fn partition_columns_of<'a>(
    partition: &BTreeMap<String, Option<String>>,
    names: impl Iterator<Item = &'a String>,
) -> Vec<String> {
    let names: Vec<&String> = names.collect();
    partition
        .keys()
        .filter(|k| names.contains(k))
        .cloned()
        .collect()
}

/// The operands of a chain of `AND`s.
fn conjuncts(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::And(a, b) => {
            let mut out = conjuncts(a);
            out.extend(conjuncts(b));
            out
        }
        other => vec![other],
    }
}

fn null_as_false(mask: BooleanArray) -> BooleanArray {
    if mask.null_count() == 0 {
        return mask;
    }
    mask.iter().map(|v| Some(v.unwrap_or(false))).collect()
}

/// Selects and orders the output columns, with the table's declared types.
fn conform(batch: &RecordBatch, schema: &SchemaRef, path: &str) -> Result<RecordBatch> {
    let mut columns = Vec::with_capacity(schema.fields().len());
    for f in schema.fields() {
        let col = batch
            .column_by_name(f.name())
            .ok_or_else(|| ReaderError::UnknownColumn {
                column: f.name().clone(),
                context: format!("data file {path}"),
                available: String::new(),
            })?;
        let col = if col.data_type() == f.data_type() {
            Arc::clone(col)
        } else if col.data_type().equals_datatype(f.data_type()) {
            // Same type up to nested field names (e.g. a map's entry names).
            let data = col
                .to_data()
                .into_builder()
                .data_type(f.data_type().clone());
            arrow::array::make_array(data.build().map_err(arrow_err(format!("reading {path}")))?)
        } else {
            cast(col, f.data_type()).map_err(|_| ReaderError::ColumnType {
                path: path.to_owned(),
                column: f.name().clone(),
                found: type_label(col.data_type()),
                expected: type_label(f.data_type()),
            })?
        };
        columns.push(col);
    }
    RecordBatch::try_new_with_options(
        Arc::clone(schema),
        columns,
        &arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
    )
    .map_err(arrow_err(format!("reading {path}")))
}

/// Compressed bytes of predicate columns below which the cheapest conjuncts are evaluated as
/// one decoder predicate: each predicate fetches its columns in a request of its own, which
/// on object storage costs far more than decoding a few small columns for every row.
const ONE_FETCH_BYTES: i64 = 1 << 20;

/// Folds the cheapest conjuncts (`parts` sorted by cost) into one while their columns total
/// at most [`ONE_FETCH_BYTES`]; the rest stay separate, so a costly column is still decoded
/// only for the rows the cheap ones kept.
fn merge_cheap_predicates(parts: Vec<(i64, Vec<usize>, Expr)>) -> Vec<(i64, Vec<usize>, Expr)> {
    let mut parts = parts.into_iter().peekable();
    let Some((mut cost, mut roots, first)) = parts.next() else {
        return Vec::new();
    };
    let mut merged = vec![first];
    while let Some((c, _, _)) = parts.peek()
        && cost + c <= ONE_FETCH_BYTES
    {
        let Some((c, more, expr)) = parts.next() else {
            break;
        };
        cost += c;
        roots.extend(
            more.into_iter()
                .filter(|r| !roots.contains(r))
                .collect::<Vec<_>>(),
        );
        merged.push(expr);
    }
    let first = Expr::all(merged).map(|expr| (cost, roots, expr));
    first.into_iter().chain(parts).collect()
}
