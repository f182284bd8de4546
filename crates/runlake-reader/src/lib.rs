//! Reading a runlake lake: lazy scans with pruning and pushdown, joins, grouped aggregates,
//! a small predicate language, and the DataDecide-style questions on top.
//!
//! ```no_run
//! # async fn demo(reader: runlake_reader::LakeReader) -> runlake_reader::Result<()> {
//! use runlake_format::Table;
//! use runlake_reader::{Agg, col};
//!
//! let batches = reader
//!     .scan(Table::Evals)
//!     .filter(col("task").eq("arc_challenge").and(col("size").eq("150M")))
//!     .group_by(["recipe", "step"])
//!     .agg([Agg::mean("primary_score"), Agg::std("primary_score"), Agg::count("primary_score")])
//!     .sort(["recipe", "step"])
//!     .collect()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! How a scan reads: the manifest's partition values and per-file statistics drop whole
//! partitions and files without touching them; each remaining file's footer is read (one
//! ranged request, then kept by the reader: data files never change) and its row groups are
//! dropped by their Parquet statistics; the rest is decoded with only the needed columns
//! fetched, the filter evaluated inside the decoder, in parallel across row groups with a
//! small bounded queue each, so memory follows the batch size. Every step can be switched
//! off with [`ScanOptions`] and must give the same rows.

pub mod agg;
pub mod curve;
mod damage;
pub mod datadecide;
mod dict_hint;
pub mod display;
mod error;
mod eval;
mod eval_sources;
mod exec;
mod explain;
pub mod expr;
mod footer_cache;
mod groups;
mod join;
mod keep_max;
mod keep_preferred;
mod lineage;
mod optimize;
pub mod output;
pub mod overview;
pub mod parse;
mod plan_schema;
mod prune;
mod scan;
mod scan_exec;
mod schema_util;
mod vocabulary;
mod wide;

pub use agg::{Agg, AggFunc};
pub use curve::{ChainCurve, CurveValue, is_metric};
pub use datadecide::{
    CanonicalNames, DataDecide, FinalRule, KnownSpellings, MetricType, Selection, SourceUse,
    Vocabulary,
};
pub use error::{ReaderError, Result};
pub use expr::{CmpOp, Expr, Literal, col};
pub use output::{BatchWriter, OutputError, OutputFormat, write_batches};
pub use parse::{ExprError, parse_for_schema, parse_predicate};
pub use runlake_lake::object_reader::{self, IoCounters, StoreFileReader};
pub use scan::{BatchStream, GroupBy, JoinKind, LakeReader, Scan, ScanOptions, SortKey};
pub use wide::widen;

/// The Arrow and Parquet crates this reader was built with, so callers use the same versions.
pub use arrow;
pub use parquet;
/// The domain rules the reader applies: lineage chains, run lookup, curves.
pub use runlake_domain;
