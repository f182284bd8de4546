//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// runlake turns ML experiment exports (DataDecide evals, WandB runs, oe-eval results) into a
/// versioned, partitioned Parquet lake with separate tables for run metadata, pretraining
/// checkpoints, post-training steps, evaluations and lineage, and reads it back fast.
///
/// A LAKE is a local folder, file://PATH, s3://BUCKET/PREFIX or gs://BUCKET/PREFIX. Remote
/// credentials come from the usual environment variables and config files of each store.
/// Exit status: 0 on success, 1 when `verify` finds problems, 2 on usage or IO errors.
#[derive(Debug, Parser)]
#[command(name = "runlake", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an empty lake (version 0).
    Init(InitArgs),
    /// List the lake's versions: time, operation, rows and bytes added.
    Log(LogArgs),
    /// Show tables, schemas, files, rows and bytes at a version.
    Inspect(InspectArgs),
    /// Check the manifest chain and every referenced file (exit 1 naming each problem).
    Verify(VerifyArgs),
    /// Delete files that no retained version references, after a grace period.
    Gc(GcArgs),
    /// Write whatever each table's Delta Lake log lacks, up to the latest version (also builds
    /// the log of a lake made before runlake wrote one).
    Delta(DeltaArgs),
    /// Print the live data files of a table, one per line, for plain Parquet readers.
    Files(FilesArgs),
    /// Rewrite tables as one sorted file per partition, so queries touch fewer row groups
    /// (holds one partition's compressed files in memory while it runs; an already compact
    /// table is left as it is after reading its footers).
    Compact(CompactArgs),
    /// Convert raw exports (DataDecide HF files, datadec tables, WandB exports, oe-eval
    /// folders) into the lake as one version, creating the lake if missing. Converting the same
    /// inputs again adds nothing; a newer export of a run replaces that run's rows in the
    /// tables it supplies rows for.
    Convert(ConvertArgs),
    /// Print a post-training run's lineage back to pretraining, with the evidence.
    Lineage(LineageArgs),
    /// Read a table: choose columns, filter rows with a small SQL-like predicate language.
    Query(QueryArgs),
    /// The continuous curve of a post-training run: its pretraining checkpoints up to the
    /// parent step, then post-training, on one cumulative-tokens axis with a phase column.
    Curve(CurveQueryArgs),
    /// DataDecide-style selection of pretraining evals by recipe, size, seed, task and step
    /// (any known spelling), optionally averaged over seeds.
    Select(SelectArgs),
    /// Write deterministic, DataDecide-shaped raw exports (eval-results train and macro_avg
    /// splits, ppl-results) for benchmarks and experiments.
    Generate(GenerateArgs),
    /// Copy a lake to another place (folder, S3, GCS), sending only what the destination lacks.
    Sync(SyncArgs),
    /// Draw a plot as SVG, PNG or Vega-Lite: a pretraining + post-training curve, a
    /// DataDecide-style scaling plot, or a comparison of post-training runs.
    Plot(PlotArgs),
    /// List the names a vocabulary knows (recipe, size, seed, task, metric, recipe-group) or
    /// the tables; every other spelling a command accepts maps to one of them.
    Names(NamesArgs),
}

/// Where the lake is.
#[derive(Debug, Args)]
pub struct LakeArg {
    /// Lake location: folder, file://, s3://bucket/prefix or gs://bucket/prefix.
    pub lake: String,
    /// Endpoint URL of an S3-compatible server (e.g. http://127.0.0.1:9000).
    #[arg(long, global = true)]
    pub endpoint: Option<String>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub lake: LakeArg,
    /// Keep no Delta Lake log beside the tables (recorded in the lake, so every writer
    /// honours it).
    #[arg(long)]
    pub no_delta: bool,
}

#[derive(Debug, Args)]
pub struct DeltaArgs {
    #[command(flatten)]
    pub lake: LakeArg,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    #[command(flatten)]
    pub lake: LakeArg,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub lake: LakeArg,
    /// Show one table in detail: its schema and files.
    #[arg(long)]
    pub table: Option<String>,
    /// Inspect this version instead of the latest.
    #[arg(long)]
    pub version: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub lake: LakeArg,
    /// Re-hash every byte of every file (default: check presence and size).
    #[arg(long)]
    pub deep: bool,
    /// First bring each table's Delta log in line with the manifests (write what it lacks,
    /// rewrite commits that disagree).
    #[arg(long)]
    pub repair: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct GcArgs {
    #[command(flatten)]
    pub lake: LakeArg,
    /// Grace period: keep versions committed, and files written, within it. Accepts s, m, h
    /// and d suffixes (e.g. 12h, 7d, 0s).
    #[arg(long, default_value = "7d", value_parser = parse_duration)]
    pub older_than: std::time::Duration,
    /// List what would be deleted without deleting anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct NamesArgs {
    /// recipe, size, seed, task, metric, recipe-group or table.
    pub vocabulary: String,
}

#[derive(Debug, Args)]
pub struct FilesArgs {
    #[command(flatten)]
    pub lake: LakeArg,
    /// The table.
    #[arg(long)]
    pub table: String,
    /// List the files of this version instead of the latest.
    #[arg(long)]
    pub version: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Input files or folders; each one's kind is detected from its name and contents.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The lake to write (folder or URL); created when missing.
    #[arg(long)]
    pub lake: String,
    /// Endpoint URL of an S3-compatible server.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Force the input kind instead of detecting it.
    #[arg(long, value_enum)]
    pub kind: Option<InputKindArg>,
    /// What to do with a bad record: stop with an error naming it, or skip it and report it.
    #[arg(long, value_enum, default_value_t = OnError::Fail)]
    pub on_error: OnError,
    /// Let a re-import leave a run with fewer rows in a table than the lake holds (refused by
    /// default, naming the run, table and both counts).
    #[arg(long)]
    pub replace: bool,
    /// Keep emails, user and host names and home-directory paths found in WandB metadata
    /// (dropped or redacted by default).
    #[arg(long)]
    pub keep_personal_data: bool,
    /// The run (id, name or wandb/ENTITY/PROJECT/ID) that oe-eval folders belong to, instead
    /// of matching them by model path.
    #[arg(long)]
    pub run: Option<String>,
    /// Minutes east of UTC of the clock that wrote timestamps without a zone (default: UTC).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub naive_offset_minutes: i32,
    /// Print a machine-readable JSON summary.
    #[arg(long)]
    pub json: bool,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Input kinds `--kind` can force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputKindArg {
    /// DataDecide-eval-results train split (Parquet or JSONL).
    DdEvalResults,
    /// DataDecide-eval-results macro_avg split.
    DdMacroAvg,
    /// DataDecide-ppl-results.
    DdPpl,
    /// datadec's full_eval table (one wide row per checkpoint).
    DatadecFullEval,
    /// A WandB export (dr_wandb v3 folder, v0 JSONL or Parquet).
    Wandb,
    /// An oe-eval output folder.
    OeEval,
}

/// Bad-record policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnError {
    /// Stop at the first bad record.
    Fail,
    /// Skip bad records, record each with its reason in the summary.
    Skip,
}

#[derive(Debug, Args)]
pub struct LineageArgs {
    #[command(flatten)]
    pub lake: LakeArg,
    /// The run: wandb/ENTITY/PROJECT/ID, or a bare run id or name.
    pub run: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Copies the versions the destination lacks, data files first, manifests last, so the
/// destination is a complete lake at every moment; an interrupted sync resumes where it stopped.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Source lake: folder, file://, s3://bucket/prefix or gs://bucket/prefix.
    pub source: String,
    /// Destination, created when absent.
    pub destination: String,
    /// Endpoint URL of an S3-compatible server, for both sides (e.g. http://127.0.0.1:9000).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// When the destination has diverged and the two sides changed different runs, add the
    /// source's changes as a new destination version.
    #[arg(long, conflicts_with = "force")]
    pub rebase: bool,
    /// When the destination has diverged, write a new destination version equal to the source
    /// (the destination's own versions stay in its history).
    #[arg(long)]
    pub force: bool,
    /// List what would be sent and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Output folder (created); gets `eval-results/data/*.parquet` and `ppl-results/data/*.parquet`.
    pub out: PathBuf,
    /// Random seed; the same seed gives byte-identical files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Fraction of the full scale (1.0 = 1,410,750 eval-results rows, as published).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Write a WandB post-training export instead: `wandb_runs.parquet` and
    /// `history/part-*.parquet`, SFT and DPO runs starting from DataDecide checkpoints.
    #[arg(long, conflicts_with = "scale")]
    pub wandb: bool,
    /// Post-training runs to write (with --wandb).
    #[arg(long, default_value_t = 2_000, requires = "wandb")]
    pub runs: usize,
    /// Logged steps per run (with --wandb).
    #[arg(long, default_value_t = 10_000, requires = "wandb")]
    pub steps: usize,
    /// Index of the first run, to add runs that fit an earlier export (with --wandb).
    #[arg(long, default_value_t = 0, requires = "wandb")]
    pub first_run: usize,
}

#[derive(Debug, Args)]
pub struct PlotArgs {
    #[command(flatten)]
    pub lake: LakeArg,
    #[command(subcommand)]
    pub kind: PlotKind,
}

#[derive(Debug, Subcommand)]
pub enum PlotKind {
    /// Post-training runs continuing their pretraining checkpoints on one cumulative-tokens
    /// axis, the phase boundary marked.
    Curve(CurveArgs),
    /// A pretraining metric against tokens or compute: one line per recipe, mean over seeds
    /// with a band for their spread.
    Scaling(ScalingArgs),
    /// Post-training runs of one training type, coloured by a hyperparameter.
    Compare(CompareArgs),
}

/// What the y axis shows: a task's metric (`--task`, `--metric`) or a training-log column
/// (`--train`).
#[derive(Debug, Args)]
pub struct YArgs {
    /// Task of the metric (canonical name, e.g. arc_challenge).
    #[arg(long, conflicts_with = "train")]
    pub task: Option<String>,
    /// Metric of the task: primary (the task's primary score), a metric column such as
    /// acc_per_char, or an extra metric name.
    #[arg(long, default_value = "primary")]
    pub metric: String,
    /// A training-log column instead of a task metric, e.g. train_loss.
    #[arg(long)]
    pub train: Option<String>,
}

#[derive(Debug, Args)]
pub struct PlotOutputArgs {
    /// Where to write the plot.
    #[arg(long, short)]
    pub output: std::path::PathBuf,
    /// svg, png or vega-lite (default: from the output's extension; .json is vega-lite).
    #[arg(long)]
    pub format: Option<String>,
    /// Image width in pixels.
    #[arg(long, default_value_t = 900)]
    pub width: u32,
    /// Image height in pixels.
    #[arg(long, default_value_t = 520)]
    pub height: u32,
}

#[derive(Debug, Args)]
pub struct CurveArgs {
    /// A post-training run: its uid, run id or name (repeat for several).
    #[arg(long = "run", required = true)]
    pub runs: Vec<String>,
    #[command(flatten)]
    pub y: YArgs,
    /// Scale of the tokens axis: log or linear.
    #[arg(long, default_value = "log")]
    pub x_scale: String,
    /// Keep one continuous tokens scale instead of giving post-training its own part of the
    /// axis.
    #[arg(long)]
    pub no_zoom: bool,
    #[command(flatten)]
    pub out: PlotOutputArgs,
}

#[derive(Debug, Args)]
pub struct ScalingArgs {
    /// Task (canonical name).
    #[arg(long)]
    pub task: String,
    /// Metric of the task (primary, a metric column, or an extra metric name).
    #[arg(long, default_value = "primary")]
    pub metric: String,
    /// A recipe to draw, any known spelling (repeat; default: all).
    #[arg(long = "recipe")]
    pub recipes: Vec<String>,
    /// A size to draw, e.g. 150M, in any case (repeat; default: all).
    #[arg(long = "size")]
    pub sizes: Vec<String>,
    /// x axis: tokens or compute.
    #[arg(long, default_value = "tokens")]
    pub x: String,
    /// Scale of x: log or linear.
    #[arg(long, default_value = "log")]
    pub x_scale: String,
    /// Only each size's final checkpoint (one line per recipe across sizes).
    #[arg(long, alias = "final")]
    pub final_only: bool,
    /// How the final checkpoint is picked: max-step-to-use (datadec's) or per-seed-last.
    #[arg(long, value_parser = ["max-step-to-use", "per-seed-last"], default_value = "max-step-to-use")]
    pub final_rule: String,
    #[command(flatten)]
    pub out: PlotOutputArgs,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Training type of the runs: sft, dpo or other.
    #[arg(long = "type")]
    pub training_type: String,
    /// Hyperparameter colouring the lines: a metadata column (learning_rate) or an hparams key.
    #[arg(long)]
    pub color_by: String,
    /// Only these runs (repeat; default: every run of the type).
    #[arg(long = "run")]
    pub runs: Vec<String>,
    #[command(flatten)]
    pub y: YArgs,
    /// x axis: step or tokens.
    #[arg(long, default_value = "step")]
    pub x: String,
    /// Scale of x: linear or log.
    #[arg(long, default_value = "linear")]
    pub x_scale: String,
    /// A log y axis (values <= 0 left out). Without it the y range covers the bulk of the
    /// values and marks the few far outside it at its edge.
    #[arg(long)]
    pub log_y: bool,
    #[command(flatten)]
    pub out: PlotOutputArgs,
}

/// Where and how results are written.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format: table, csv, json (JSON Lines: one object per line), json-array (one JSON
    /// document) or parquet.
    #[arg(
        long,
        default_value = "table",
        value_parser = ["table", "csv", "json", "json-array", "parquet"]
    )]
    pub format: String,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    #[command(flatten)]
    pub lake: LakeArg,
    /// The table to read.
    #[arg(long)]
    pub table: String,
    /// Comma-separated columns (default: all).
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Row filter, e.g. `task = 'arc_challenge' AND step >= 1250 AND size IN ('150M', '1B')`.
    /// Operators: = != < <= > >= IN (...) IS [NOT] NULL AND OR NOT and parentheses.
    #[arg(long = "where")]
    pub filter: Option<String>,
    /// At most this many rows.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Read this version instead of the latest.
    #[arg(long)]
    pub version: Option<u64>,
    /// Print the plan (what is pruned) instead of the rows.
    #[arg(long)]
    pub explain: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct CurveQueryArgs {
    #[command(flatten)]
    pub lake: LakeArg,
    /// The post-training run: its uid, run id or name.
    pub run: String,
    /// Task (canonical name or any known spelling).
    #[arg(long)]
    pub task: String,
    /// Metric column (default: primary_score).
    #[arg(long)]
    pub metric: Option<String>,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct SelectArgs {
    #[command(flatten)]
    pub lake: LakeArg,
    /// A recipe, any known spelling (repeat for several; `all` for every one). Display names
    /// keep their commas (`--recipe "Dolma1.7 (no math, code)"`); a value that is no known
    /// name but has commas is a comma list (`--recipe C4,Dolma1.7`).
    #[arg(long = "recipe")]
    pub recipe: Vec<String>,
    /// A datadec recipe group or family: dolma17, dclm, mix, base_recipes, base_and_qc,
    /// dclm_variants, best_ppl_performance, ... (repeat); adds its recipes.
    #[arg(long = "recipe-group")]
    pub recipe_group: Vec<String>,
    /// A recipe to leave out (repeat; same spellings as --recipe).
    #[arg(long = "exclude-recipe")]
    pub exclude_recipe: Vec<String>,
    /// Model sizes in any case, e.g. 150M,1b (repeat or comma list; `all`).
    #[arg(long, value_delimiter = ',')]
    pub size: Vec<String>,
    /// Sizes to leave out (repeat or comma list).
    #[arg(long = "exclude-size", value_delimiter = ',')]
    pub exclude_size: Vec<String>,
    /// Smallest nominal parameter count, e.g. 150M (datadec's min_params).
    #[arg(long)]
    pub min_params: Option<String>,
    /// Largest nominal parameter count, e.g. 1B (datadec's max_params).
    #[arg(long)]
    pub max_params: Option<String>,
    /// Seeds: names, slugs or datadec's integers 0-4 (repeat or comma list).
    #[arg(long, value_delimiter = ',')]
    pub seed: Vec<String>,
    /// Tasks (repeat or comma list).
    #[arg(long, value_delimiter = ',')]
    pub task: Vec<String>,
    /// Metric columns (default: primary_score), or datadec wide names such as
    /// arc_challenge_acc_raw and pile-valppl, which also select their task (repeat or comma
    /// list).
    #[arg(long, value_delimiter = ',')]
    pub metric: Vec<String>,
    /// A datadec metric family: ppl (the 11 perplexity sets) or olmes (mmlu_average and the 9
    /// core tasks); adds its tasks.
    #[arg(long, value_parser = ["ppl", "olmes"])]
    pub metric_type: Option<String>,
    /// Smallest step.
    #[arg(long)]
    pub min_step: Option<i64>,
    /// Largest step.
    #[arg(long)]
    pub max_step: Option<i64>,
    /// Fewest tokens seen.
    #[arg(long)]
    pub token_min: Option<i64>,
    /// Most tokens seen.
    #[arg(long)]
    pub token_max: Option<i64>,
    /// Average over seeds: mean, std and count per recipe, size, step and task.
    #[arg(long)]
    pub mean_over_seeds: bool,
    /// Only each recipe x size x task's final checkpoint (with --mean-over-seeds: one row per
    /// recipe x size x task, its `step` the step used).
    #[arg(long = "final")]
    pub final_only: bool,
    /// How --final picks the step: max-step-to-use (datadec's: the last step up to the size's
    /// MAX_STEP_TO_USE with a value; every seed read there, seeds without one left out) or
    /// per-seed-last (each seed's own last step; `min_step` shows when they differ).
    #[arg(long, value_parser = ["max-step-to-use", "per-seed-last"], default_value = "max-step-to-use")]
    pub final_rule: String,
    /// Names in the output: slug (as stored) or display (datadec's recipe and seed names).
    #[arg(long, value_parser = ["slug", "display"], default_value = "slug")]
    pub names: String,
    /// One row per checkpoint with one column per task x metric, named as datadec's full_eval
    /// (arc_challenge_acc_raw, pile-valppl); not with --mean-over-seeds.
    #[arg(long, conflicts_with = "mean_over_seeds")]
    pub wide: bool,
    /// Say on standard error which eval sources answered and what --final left out.
    #[arg(long, short)]
    pub verbose: bool,
    /// Print the plan (the source precedence, what is pruned) instead of the rows.
    #[arg(long)]
    pub explain: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct CompactArgs {
    #[command(flatten)]
    pub lake: LakeArg,
    /// Only this table (default: all).
    #[arg(long)]
    pub table: Option<String>,
}

/// Parses `30s`, `15m`, `12h`, `7d` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 30s, 15m, 12h or 7d"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("unknown unit `{unit}` in `{s}` (use s, m, h or d)")),
    };
    Ok(std::time::Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("7d"),
            Ok(std::time::Duration::from_secs(604_800))
        );
        assert_eq!(parse_duration("0s"), Ok(std::time::Duration::ZERO));
        assert_eq!(parse_duration("90"), Ok(std::time::Duration::from_secs(90)));
        assert!(parse_duration("7w").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
