//! Post-training conversion for runlake: WandB exports (dr_wandb v3 folders, v0 JSONL and
//! Parquet), oe-eval output folders, and the lineage that links a post-training run to the
//! pretraining checkpoint (or earlier post-training run) it started from.
//!
//! Reading ([`read`]) turns every input kind into source-neutral records ([`model`]);
//! building ([`build`]) turns records into Arrow batches with the exact schemas of
//! `runlake_format::Table`. Both are pure apart from reading the input files.

pub mod coerce;
pub mod error;
mod escape_scan;
pub mod json;
pub mod model;
pub mod read;

pub use error::{RejectedRow, Result, RowProblem, WandbError};
pub mod build;
pub mod classify;
pub mod redact;
pub mod runname;

pub use build::{BuildOptions, Built, KnownRun, Report, build};
pub mod convert;
pub mod gather;
pub mod generate;
mod lake_rows;
mod stage;
mod stored;
pub mod stream;
#[cfg(test)]
mod test_texts;
mod view;

pub use convert::{ConvertOptions, Planned, Summary, convert_paths, plan, stage};
pub use gather::{Gathered, OnError, Rejection, gather};
pub use stored::{Shrink, Stored};
pub use view::LakeView;
