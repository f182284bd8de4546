//! Canonical DataDecide vocabularies, with every spelling seen in the wild.
//!
//! The same 25 recipes, 14 sizes and 5 seeds are spelled differently by the HF datasets, the
//! checkpoint repos, the training runs, the eval archives and the analysis tools built on top of
//! them. Each vocabulary here is a table of data; lookups go through the table and an unknown
//! spelling is an error naming the value, never a guess. Pure code: no IO.
//!
//! ```
//! # fn main() -> Result<(), runlake_vocab::UnknownSpelling> {
//! use runlake_vocab::{Recipe, Seed, Size, pretrain_run_uid};
//! let recipe = Recipe::parse("DCLM-Baseline 25% / Dolma 75%")?;
//! assert_eq!(recipe.slug, "dclm-baseline-25p-dolma1.7-75p");
//! let size = Size::parse("1B")?;
//! assert_eq!(size.schedule().tokens_per_step, 704 * 2048);
//! let seed = Seed::parse("large aux 2")?;
//! assert_eq!(seed.value, 4);
//! assert_eq!(pretrain_run_uid(recipe, size, seed), "dd/dclm-baseline-25p-dolma1.7-75p/1B/large-aux-2");
//! assert!(Recipe::parse("Dolma 1.7").is_err());
//! # Ok(())
//! # }
//! ```

mod datadec;
mod error;
mod features;
mod lookup;
mod names;
mod recipes;
mod schedule;
mod seeds;
mod sizes;
mod sources;
mod tasks;

pub use datadec::{
    FinalRule, MetricType, OLMES_TASKS, RECIPE_GROUPS, param_count, recipe_group, wide_column,
    wide_column_name,
};
pub use error::UnknownSpelling;
pub use features::{DATASET_FEATURES, DatasetFeatures};
pub use names::{VOCABULARIES, names, suggestions, unknown_hint};
pub use recipes::{RECIPES, Recipe};
pub use schedule::{
    BATCH_ROUNDING, BS_COEFFICIENT, BS_EXPONENT, LR_EXPONENT, LR_FINAL_RATIO, LR_MAX_BASE,
    LR_WARMUP_START, MODEL_SIZE_NORM_VALUE, ModelConfig, TOKENS_PER_PARAM,
};
pub use seeds::{SEEDS, Seed};
pub use sizes::{SEQUENCE_LENGTH, SIZES, Schedule, Size};
pub use sources::{EVAL_SOURCE_PRECEDENCE, source_rank};
pub use tasks::{
    CORE_TASKS, DROP_METRICS, METRIC_NAMES, MMLU_AVERAGE, MMLU_SUBJECTS, PPL_SETS, PplSet,
    PrimaryPolicy, TaskKind, canonical_task, primary_policy, task_kind, task_name,
};

/// The `run_uid` of a DataDecide pretraining run: `dd/<recipe slug>/<size>/<seed slug>`.
pub fn pretrain_run_uid(recipe: &Recipe, size: &Size, seed: &Seed) -> String {
    runlake_format::run_uid::datadecide(recipe.slug, size.label, seed.slug)
}

/// Tokens a DataDecide pretraining run (`dd/<recipe>/<size>/<seed>`) had seen at `step`, by its
/// size's schedule; `None` for another uid, an unknown size or a negative step. Curves place a
/// checkpoint the export gave no tokens for here, so a post-training run starts where its
/// checkpoint is.
pub fn scheduled_tokens(run_uid: &str, step: i64) -> Option<i64> {
    let mut parts = run_uid.split('/');
    let (Some("dd"), Some(_recipe), Some(size)) = (parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    let step = u64::try_from(step).ok()?;
    let tokens = Size::parse(size).ok()?.schedule().tokens_at(step);
    i64::try_from(tokens).ok()
}
