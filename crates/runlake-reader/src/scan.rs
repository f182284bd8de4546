//! The lazy query builder. Every method returns a new, immutable plan; nothing is read until
//! [`Scan::execute`], [`Scan::collect`] or [`Scan::explain`].

use std::sync::Arc;

use arrow::datatypes::{Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use futures::TryStreamExt;
use futures::stream::BoxStream;
use object_store::ObjectStore;
use object_store::path::Path;
use runlake_format::{Manifest, Table};

use crate::agg::Agg;
use crate::error::{ReaderError, Result};
use crate::expr::Expr;
use crate::footer_cache::FooterCache;
use crate::object_reader::IoCounters;
use crate::parse::parse_for_schema;

/// A stream of record batches.
pub type BatchStream = BoxStream<'static, Result<RecordBatch>>;

/// Switches for every optimisation, so tests can compare against the plain plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOptions {
    /// Skip partitions whose values cannot match the filter.
    pub prune_partitions: bool,
    /// Skip files whose manifest statistics cannot match the filter.
    pub prune_files: bool,
    /// Skip row groups whose Parquet statistics cannot match the filter.
    pub prune_row_groups: bool,
    /// Skip pages whose page-index statistics cannot match the filter (reads the page index).
    pub prune_pages: bool,
    /// Evaluate the filter inside the Parquet decoder (other columns are decoded only for
    /// matching rows).
    pub row_filter: bool,
    /// Fetch and decode only the columns the query uses.
    pub projection_pushdown: bool,
    /// Decode dictionary-encoded string columns as dictionaries, so that filters compare each
    /// distinct value once and only surviving rows become strings.
    pub dictionary_strings: bool,
    /// Filter the left scan of an inner join by the key values of its (built) right side.
    pub join_filter_pushdown: bool,
    /// Rows per record batch.
    pub batch_size: usize,
    /// Row-group reads in flight at once (each holds at most a couple of batches).
    pub concurrency: usize,
    /// Bytes fetched from the end of a file when reading its footer and page indexes, at
    /// least (a larger file gets a 512th of its size, up to 4 MiB).
    pub footer_hint: Option<usize>,
    /// Byte ranges of a file closer than this are fetched in one request, with the bytes
    /// between them (0: only touching ranges merge).
    pub read_through_gap: u64,
    /// Parsed footers kept across the queries of one reader, in bytes of memory (0: read
    /// every footer each time). Data files never change, so a kept footer is never stale.
    pub footer_cache_bytes: usize,
    /// Check every fetched page, index entry and footer piece against the checksums the
    /// manifest records for its file, so a corrupted byte is an error naming the file rather
    /// than a wrong value. Files written before format 1.1 carry none and are read unchecked.
    pub verify_pages: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            prune_partitions: true,
            prune_files: true,
            prune_row_groups: true,
            prune_pages: true,
            row_filter: true,
            projection_pushdown: true,
            dictionary_strings: true,
            join_filter_pushdown: true,
            batch_size: 8192,
            concurrency: std::thread::available_parallelism()
                .map_or(2, std::num::NonZeroUsize::get)
                .max(2)
                * 2,
            footer_hint: Some(64 * 1024),
            read_through_gap: runlake_lake::object_reader::GAP_READ_THROUGH,
            footer_cache_bytes: 64 * 1024 * 1024,
            verify_pages: true,
        }
    }
}

impl ScanOptions {
    /// Every optimisation off: read every file and column, filter after decoding.
    pub fn naive() -> Self {
        Self {
            prune_partitions: false,
            prune_files: false,
            prune_row_groups: false,
            prune_pages: false,
            row_filter: false,
            projection_pushdown: false,
            dictionary_strings: false,
            join_filter_pushdown: false,
            footer_cache_bytes: 0,
            read_through_gap: 0,
            ..Self::default()
        }
    }
}

/// One version of a lake, ready to query.
#[derive(Debug, Clone)]
pub struct LakeReader {
    pub(crate) inner: Arc<ReaderInner>,
}

#[derive(Debug)]
pub(crate) struct ReaderInner {
    pub(crate) store: Arc<dyn ObjectStore>,
    pub(crate) root: Path,
    pub(crate) manifest: Arc<Manifest>,
    pub(crate) options: ScanOptions,
    pub(crate) io: Arc<IoCounters>,
    pub(crate) footers: FooterCache,
    /// The store is a local folder, whose `get_ranges` reads exactly what it is given.
    pub(crate) local: bool,
}

impl LakeReader {
    /// A reader of the lake version described by `manifest`, whose data files live under
    /// `root` in `store`.
    pub fn new(store: Arc<dyn ObjectStore>, root: Path, manifest: Manifest) -> Self {
        Self::build(
            store,
            root,
            Arc::new(manifest),
            ScanOptions::default(),
            false,
        )
    }

    fn build(
        store: Arc<dyn ObjectStore>,
        root: Path,
        manifest: Arc<Manifest>,
        options: ScanOptions,
        local: bool,
    ) -> Self {
        Self {
            inner: Arc::new(ReaderInner {
                store,
                root,
                manifest,
                footers: FooterCache::new(options.footer_cache_bytes),
                options,
                io: Arc::default(),
                local,
            }),
        }
    }

    /// A reader of a lake's latest version, or of `version`.
    pub async fn open(lake: &runlake_lake::Lake, version: Option<u64>) -> Result<Self> {
        let manifest = match version {
            Some(v) => lake.version(v).await?,
            None => lake.latest().await?,
        };
        Ok(Self::build(
            Arc::clone(lake.objects()),
            Path::default(),
            Arc::new(manifest),
            ScanOptions::default(),
            lake.is_local(),
        ))
    }

    /// The same lake version read with other options.
    pub fn with_options(&self, options: ScanOptions) -> Self {
        Self::build(
            Arc::clone(&self.inner.store),
            self.inner.root.clone(),
            Arc::clone(&self.inner.manifest),
            options,
            self.inner.local,
        )
    }

    /// The options in force.
    pub fn options(&self) -> &ScanOptions {
        &self.inner.options
    }

    /// The manifest being read.
    pub fn manifest(&self) -> &Manifest {
        &self.inner.manifest
    }

    /// Footers held in memory for later queries, and their size in bytes.
    pub fn cached_footers(&self) -> (usize, usize) {
        self.inner.footers.usage()
    }

    /// Requests and bytes this reader has fetched from the store so far.
    pub fn io(&self) -> &IoCounters {
        &self.inner.io
    }

    /// A lazy scan of a whole table (logical schema, partition columns included).
    pub fn scan(&self, table: Table) -> Scan {
        Scan {
            reader: self.clone(),
            plan: Plan::Scan(ScanNode {
                table,
                projection: None,
                filter: None,
                limit: None,
            }),
        }
    }
}

/// How rows without a partner are treated by a join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// Only rows with a partner on both sides.
    Inner,
    /// Every left row; right columns are null where no partner exists.
    Left,
}

/// One sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// The column.
    pub column: String,
    /// Largest first.
    pub descending: bool,
    /// Nulls before values.
    pub nulls_first: bool,
}

impl SortKey {
    /// Ascending, nulls last.
    pub fn asc(column: &str) -> Self {
        Self {
            column: column.to_owned(),
            descending: false,
            nulls_first: false,
        }
    }
    /// Descending, nulls last.
    pub fn desc(column: &str) -> Self {
        Self {
            column: column.to_owned(),
            descending: true,
            nulls_first: false,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ScanNode {
    pub(crate) table: Table,
    pub(crate) projection: Option<Vec<String>>,
    pub(crate) filter: Option<Expr>,
    pub(crate) limit: Option<usize>,
}

#[derive(Debug, Clone)]
pub(crate) enum Plan {
    Scan(ScanNode),
    Filter {
        input: Box<Plan>,
        predicate: Expr,
    },
    Project {
        input: Box<Plan>,
        columns: Vec<String>,
    },
    Limit {
        input: Box<Plan>,
        n: usize,
    },
    Rename {
        input: Box<Plan>,
        from: String,
        to: String,
    },
    Join {
        left: Box<Plan>,
        right: Box<Plan>,
        on: Vec<(String, String)>,
        kind: JoinKind,
    },
    Aggregate {
        input: Box<Plan>,
        keys: Vec<String>,
        aggs: Vec<Agg>,
    },
    Sort {
        input: Box<Plan>,
        keys: Vec<SortKey>,
    },
    KeepMax {
        input: Box<Plan>,
        keys: Vec<String>,
        column: String,
    },
    KeepPreferred {
        input: Box<Plan>,
        keys: Vec<String>,
        column: String,
        preference: Vec<String>,
    },
}

/// A lazy, immutable query.
#[derive(Debug, Clone)]
#[must_use = "a scan does nothing until it is executed"]
pub struct Scan {
    pub(crate) reader: LakeReader,
    pub(crate) plan: Plan,
}

/// A grouping waiting for its aggregates; see [`Scan::group_by`].
#[derive(Debug, Clone)]
#[must_use = "call `agg` to finish the grouping"]
pub struct GroupBy {
    scan: Scan,
    keys: Vec<String>,
}

impl GroupBy {
    /// One row per group: the keys, then each aggregate.
    pub fn agg(self, aggs: impl IntoIterator<Item = Agg>) -> Scan {
        Scan {
            reader: self.scan.reader,
            plan: Plan::Aggregate {
                input: Box::new(self.scan.plan),
                keys: self.keys,
                aggs: aggs.into_iter().collect(),
            },
        }
    }
}

fn names<S: AsRef<str>>(columns: impl IntoIterator<Item = S>) -> Vec<String> {
    columns.into_iter().map(|c| c.as_ref().to_owned()).collect()
}

impl Scan {
    fn wrap(self, f: impl FnOnce(Box<Plan>) -> Plan) -> Self {
        Self {
            reader: self.reader,
            plan: f(Box::new(self.plan)),
        }
    }

    /// Keeps these columns, in this order.
    pub fn select<S: AsRef<str>>(self, columns: impl IntoIterator<Item = S>) -> Self {
        let columns = names(columns);
        match self.plan {
            Plan::Scan(mut node) if node.limit.is_none() => {
                node.projection = Some(columns);
                Self {
                    reader: self.reader,
                    plan: Plan::Scan(node),
                }
            }
            plan => Self {
                reader: self.reader,
                plan: Plan::Project {
                    input: Box::new(plan),
                    columns,
                },
            },
        }
    }

    /// Keeps rows where the predicate is true. On a table scan the predicate may name any
    /// column of the table, selected or not; it is pushed into pruning and decoding.
    pub fn filter(self, predicate: Expr) -> Self {
        match self.plan {
            Plan::Scan(mut node) if node.limit.is_none() => {
                node.filter = Some(match node.filter.take() {
                    Some(prev) => prev.and(predicate),
                    None => predicate,
                });
                Self {
                    reader: self.reader,
                    plan: Plan::Scan(node),
                }
            }
            plan => Self {
                reader: self.reader,
                plan: Plan::Filter {
                    input: Box::new(plan),
                    predicate,
                },
            },
        }
    }

    /// Parses a predicate (see [`crate::parse`]) against this query's columns, then filters.
    /// Errors point at the offending token.
    pub fn filter_str(self, text: &str) -> Result<Self> {
        let schema = match &self.plan {
            Plan::Scan(node) if node.limit.is_none() => node.table.schema(),
            _ => self.schema()?,
        };
        let expr = parse_for_schema(text, &schema)?;
        Ok(self.filter(expr))
    }

    /// Renames a column of the result.
    pub fn rename(self, from: &str, to: &str) -> Self {
        let (from, to) = (from.to_owned(), to.to_owned());
        self.wrap(|input| Plan::Rename { input, from, to })
    }

    /// At most `n` rows.
    pub fn limit(self, n: usize) -> Self {
        match self.plan {
            Plan::Scan(mut node) => {
                node.limit = Some(node.limit.map_or(n, |m| m.min(n)));
                Self {
                    reader: self.reader,
                    plan: Plan::Scan(node),
                }
            }
            plan => Self {
                reader: self.reader,
                plan: Plan::Limit {
                    input: Box::new(plan),
                    n,
                },
            },
        }
    }

    /// Joins with another query on pairs of `(left column, right column)`. The result has
    /// the left columns, then the right columns except right keys named like their left key;
    /// other clashing right names get a `_right` suffix.
    pub fn join<L: AsRef<str>, R: AsRef<str>>(
        self,
        other: Scan,
        on: impl IntoIterator<Item = (L, R)>,
        kind: JoinKind,
    ) -> Self {
        let on = on
            .into_iter()
            .map(|(l, r)| (l.as_ref().to_owned(), r.as_ref().to_owned()))
            .collect();
        self.wrap(|left| Plan::Join {
            left,
            right: Box::new(other.plan),
            on,
            kind,
        })
    }

    /// Groups rows by these key columns; finish with [`GroupBy::agg`].
    pub fn group_by<S: AsRef<str>>(self, keys: impl IntoIterator<Item = S>) -> GroupBy {
        GroupBy {
            keys: names(keys),
            scan: self,
        }
    }

    /// Keeps, within each group of `keys`, the rows whose `column` holds the group's largest
    /// value (all of them on a tie; a row with a null there never): for example each run's
    /// rows at its final checkpoint with `keep_max(["run_uid", "task"], "step")`. Reads its
    /// input whole before the first row comes out.
    pub fn keep_max<S: AsRef<str>>(self, keys: impl IntoIterator<Item = S>, column: &str) -> Self {
        let keys = names(keys);
        let column = column.to_owned();
        self.wrap(|input| Plan::KeepMax {
            input,
            keys,
            column,
        })
    }

    /// Keeps, within each group of `keys`, the rows whose text `column` holds the group's most
    /// preferred value: the values of `preference` in its order, then any other value after
    /// them in byte order (all rows of the winning value; a row with a null there never). For
    /// example one eval per checkpoint and task with
    /// `keep_preferred(["run_uid", "step", "task"], "source", precedence)`. Reads its input
    /// whole before the first row comes out.
    pub fn keep_preferred<S: AsRef<str>, P: AsRef<str>>(
        self,
        keys: impl IntoIterator<Item = S>,
        column: &str,
        preference: impl IntoIterator<Item = P>,
    ) -> Self {
        let keys = names(keys);
        let column = column.to_owned();
        let preference = names(preference);
        self.wrap(|input| Plan::KeepPreferred {
            input,
            keys,
            column,
            preference,
        })
    }

    /// Sorts ascending by these columns (nulls last).
    pub fn sort<S: AsRef<str>>(self, columns: impl IntoIterator<Item = S>) -> Self {
        let keys = columns
            .into_iter()
            .map(|c| SortKey::asc(c.as_ref()))
            .collect();
        self.sort_by(keys)
    }

    /// Sorts by these keys.
    pub fn sort_by(self, keys: Vec<SortKey>) -> Self {
        self.wrap(|input| Plan::Sort { input, keys })
    }

    /// The schema of the result.
    pub fn schema(&self) -> Result<SchemaRef> {
        crate::plan_schema::schema_of(&self.plan)
    }

    /// Runs the query, streaming record batches.
    pub async fn execute(self) -> Result<BatchStream> {
        let plan = self.optimized()?;
        crate::exec::execute(&self.reader, plan).await
    }

    fn optimized(&self) -> Result<Plan> {
        if self.reader.options().projection_pushdown {
            crate::optimize::push_down_projection(self.plan.clone())
        } else {
            Ok(self.plan.clone())
        }
    }

    /// Runs the query and gathers every batch.
    pub async fn collect(self) -> Result<Vec<RecordBatch>> {
        self.execute().await?.try_collect().await
    }

    /// The plan, with what pruning removes (partitions and files from the manifest, row
    /// groups from the footers of the remaining files, which this reads).
    pub async fn explain(&self) -> Result<String> {
        crate::explain::explain(&self.reader, &self.optimized()?).await
    }
}

pub(crate) fn field_of<'a>(schema: &'a Schema, column: &str, context: &str) -> Result<&'a Field> {
    schema
        .field_with_name(column)
        .map_err(|_| ReaderError::UnknownColumn {
            column: column.to_owned(),
            context: context.to_owned(),
            available: schema
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}
