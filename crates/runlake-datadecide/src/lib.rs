//! Converts the public DataDecide pretraining exports into runlake's tables.
//!
//! Inputs: the HF `DataDecide-eval-results` train split (Parquet or JSONL; `metrics` as a
//! Python dict repr or a struct), its macro_avg split (`metrics` as JSON), the HF
//! `DataDecide-ppl-results` (wide perplexity columns) and datadec's wide `full_eval` table.
//! Outputs: `metadata` (one row per pretraining run), `pretrain_ckpts` (one per checkpoint) and
//! `evals` (`phase = pretrain`; perplexities as `ppl_<set>` tasks; `mmlu_average` derived from
//! the 57 subjects). Libraries never print: progress goes to a callback.

mod build;
mod columns;
mod convert;
mod error;
pub mod generate;
mod jsonl;
mod kind;
mod model;
mod parse;
mod pipeline;
pub mod pyrepr;
mod read;
mod rows;
mod summary;

pub use build::{CkptRow, EvalsBuilder, RunRow, ckpts_batch, metadata_batch};
pub use convert::{
    KnownCheckpoints, convert_files, convert_into, known_checkpoints, known_checkpoints_at,
};
pub use error::ConvertError;
pub use kind::{Kind, detect, detect_path};
pub use model::{CkptFacts, EvalRow, RowRef, RunKey, Source};
pub use pipeline::{
    ConvertOptions, Converter, OnError, PlannedFile, Sink, expand_inputs, plan_inputs,
};
pub use summary::{CommitSummary, ConvertSummary, FileSummary, Progress, Rejection, TableCounts};

use std::path::PathBuf;

use arrow::array::RecordBatch;
use runlake_format::Table;

/// Converts `inputs` (files or folders) and hands every output batch to `sink`; no lake needed.
pub fn convert_to_sink(
    inputs: &[PathBuf],
    opts: ConvertOptions,
    sink: &mut dyn FnMut(Table, RecordBatch) -> Result<(), ConvertError>,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<ConvertSummary, ConvertError> {
    let mut conv = Converter::new(opts, sink, progress);
    conv.run(inputs)?;
    conv.finish()
}
