//! Source-neutral records that every reader produces and every batch builder consumes.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::json::{Json, Object};
pub use crate::stream::{StreamedFile, StreamedRun};

/// Where a record came from, for error messages and reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file.
    pub path: PathBuf,
    /// 1-based line (JSONL) or row (Parquet); 0 for whole-file JSON.
    pub line: usize,
}

/// Which export format a run came from; stored as `metadata.source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunSource {
    /// dr_wandb v3 `runs.jsonl` snapshot.
    WandbV3,
    /// dr_wandb v0 `wandb_runs.jsonl` (one object per run).
    WandbLegacyJsonl,
    /// dr_wandb v0 Parquet with JSON-string columns.
    WandbLegacyParquet,
}

impl RunSource {
    /// The value written to `metadata.source`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunSource::WandbV3 => "wandb_v3",
            RunSource::WandbLegacyJsonl => "wandb_legacy_jsonl",
            RunSource::WandbLegacyParquet => "wandb_legacy_parquet",
        }
    }
}

/// One WandB run as exported.
#[derive(Debug, Clone)]
pub struct RunRecord {
    /// The WandB run id (in ft-scaling, the full run name).
    pub run_id: String,
    /// The run name, when given.
    pub name: Option<String>,
    /// WandB entity.
    pub entity: Option<String>,
    /// WandB project.
    pub project: Option<String>,
    /// `finished`, `crashed`, ...
    pub state: Option<String>,
    /// Creation time, raw.
    pub created_at: Json,
    /// Last update time, raw.
    pub updated_at: Json,
    /// Run tags.
    pub tags: Vec<String>,
    /// The run config, top level.
    pub config: Object,
    /// The run summary.
    pub summary: Object,
    /// `wandb-metadata.json` (argv, host, email, ...).
    pub metadata: Json,
    /// Every other field of the record (system attributes, history keys, url, user, ...).
    pub attrs: Object,
    /// When the export was taken, raw.
    pub exported_at: Json,
    /// Export format.
    pub source: RunSource,
    /// Where the record was read.
    pub origin: Origin,
    /// What is kept of `config`, `summary`, `metadata` and `attrs` until the run is built (see
    /// [`RunRecord::pack`]).
    pub(crate) packed: Option<Packed>,
}

/// What a record keeps while its run waits to be built: a large export's records are all held
/// from reading until each run is built, and their config and summary are most of it. They are
/// read again from the runs file instead.
#[derive(Debug, Clone)]
pub(crate) struct Packed {
    /// Where the record's line starts in a JSONL file (0 for a Parquet row).
    offset: u64,
    /// The personal values of `metadata` and `attrs`, which every run is redacted by before
    /// any is built.
    personal: Vec<String>,
    /// `config.output_dir`, which runs are matched by before any is built.
    output_dir: Option<String>,
}

/// Reads a record again from where it was read: its [`Origin`], its format and, in a JSONL
/// file, the byte its line starts at.
pub(crate) type Reread<'a> =
    &'a mut dyn FnMut(&Origin, RunSource, u64) -> crate::error::Result<RunRecord>;

impl RunRecord {
    /// Lets go of `config`, `summary`, `metadata` and `attrs` until [`RunRecord::unpack`] reads
    /// them again from the runs file; `offset` is where the record's line starts in a JSONL
    /// file.
    pub(crate) fn pack(&mut self, offset: u64) {
        if self.packed.is_some() {
            return;
        }
        let output_dir = self.output_dir();
        let mut personal = Vec::new();
        crate::redact::personal_values(&self.metadata, &self.attrs, &mut personal);
        personal.sort_unstable();
        personal.dedup();
        self.config = Object::default();
        self.summary = Object::default();
        self.metadata = Json::Null;
        self.attrs = Object::default();
        self.packed = Some(Packed {
            offset,
            personal,
            output_dir,
        });
    }

    /// Brings back what [`RunRecord::pack`] let go of, read again with `reread`. A record that
    /// is not the run it was (the file changed meanwhile) is an error naming it.
    pub(crate) fn unpack(&mut self, reread: Reread<'_>) -> crate::error::Result<()> {
        let Some(packed) = self.packed.take() else {
            return Ok(());
        };
        let again = reread(&self.origin, self.source, packed.offset)?;
        if again.run_id != self.run_id {
            return Err(crate::error::WandbError::Field {
                path: self.origin.path.clone(),
                line: self.origin.line,
                field: "run_id".to_owned(),
                reason: format!(
                    "the file changed during the conversion: the record held run {:?}, now {:?}",
                    self.run_id, again.run_id
                ),
            });
        }
        self.config = again.config;
        self.summary = again.summary;
        self.metadata = again.metadata;
        self.attrs = again.attrs;
        Ok(())
    }

    /// The personal values of `metadata` and `attrs` while those are not held (see
    /// [`RunRecord::pack`]).
    pub(crate) fn personal_values(&self) -> Option<&[String]> {
        self.packed.as_ref().map(|p| p.personal.as_slice())
    }

    /// `config.output_dir`, packed or not.
    pub(crate) fn output_dir(&self) -> Option<String> {
        match &self.packed {
            Some(p) => p.output_dir.clone(),
            None => self
                .config
                .get("output_dir")
                .and_then(crate::coerce::string_lenient),
        }
    }
}

#[cfg(test)]
impl RunRecord {
    /// A v3 record of run `run_id` read at `path:line`, every other field empty.
    pub(crate) fn bare(run_id: &str, path: &str, line: usize) -> RunRecord {
        RunRecord {
            run_id: run_id.into(),
            name: None,
            entity: None,
            project: None,
            state: None,
            created_at: Json::Null,
            updated_at: Json::Null,
            tags: vec![],
            config: Object::default(),
            summary: Object::default(),
            metadata: Json::Null,
            attrs: Object::default(),
            exported_at: Json::Null,
            source: RunSource::WandbV3,
            origin: Origin {
                path: path.into(),
                line,
            },
            packed: None,
        }
    }
}

/// One logged history row.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    /// The run id.
    pub run_id: String,
    /// Entity of the export the row came from, when the export names one: a run id is only
    /// unique within its entity and project.
    pub entity: Option<String>,
    /// Project of the export the row came from, when the export names one.
    pub project: Option<String>,
    /// `step` (or `_step`): a non-negative integer.
    pub step: i64,
    /// Raw timestamp (ISO text, epoch number, naive text or null).
    pub timestamp: Json,
    /// Raw runtime in seconds.
    pub runtime: Json,
    /// User-logged keys.
    pub metrics: Object,
    /// Other underscore keys (`_custom`, ...).
    pub extra: Object,
    /// `_wandb` system payload.
    pub wandb_metadata: Json,
    /// Where the row was read.
    pub origin: Origin,
}

/// Which oe-eval file a task result came from; stored as `evals.source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OeEvalFile {
    /// A `metrics-all.jsonl` line.
    MetricsAll,
    /// A `task-NNN-<task>-metrics.json` file.
    TaskMetrics,
    /// An entry of `metrics.json`'s `all_primary_scores`/`tasks`.
    MetricsJson,
}

impl OeEvalFile {
    /// The value written to `evals.source`.
    pub fn as_str(self) -> &'static str {
        match self {
            OeEvalFile::MetricsAll => "oe_eval_metrics_all",
            OeEvalFile::TaskMetrics => "oe_eval_task_metrics",
            OeEvalFile::MetricsJson => "oe_eval_metrics_json",
        }
    }
}

/// One task result of an oe-eval output folder.
#[derive(Debug, Clone)]
pub struct OeEvalTask {
    /// The task as written (`arc_challenge`, `boolq:mc::olmes`, `core_9mcqa:rc::olmes:full`).
    pub task_name: String,
    /// `task_config.metadata.alias`, when given.
    pub alias: Option<String>,
    /// Null for suite aggregates.
    pub task_idx: Option<i64>,
    /// The `metrics` object.
    pub metrics: Object,
    /// `task_config`, raw.
    pub task_config: Json,
    /// `num_instances`.
    pub num_instances: Option<i64>,
    /// The file kind.
    pub file: OeEvalFile,
    /// Where it was read.
    pub origin: Origin,
}

/// One oe-eval output folder.
#[derive(Debug, Clone, Default)]
pub struct OeEvalDump {
    /// The folder.
    pub folder: PathBuf,
    /// `model_config.model_path` (or `model`) values seen, in order, without repeats.
    pub model_paths: Vec<String>,
    /// Task results after in-file deduplication and cross-file precedence.
    pub tasks: Vec<OeEvalTask>,
    /// Exact duplicate lines dropped.
    pub duplicate_lines: usize,
    /// Same task with different content inside one folder: `(task, kept origin, other origin)`.
    pub conflicting_lines: Vec<(String, String, String)>,
}

/// Everything read from the inputs of one conversion.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Runs, in reading order.
    pub runs: Vec<RunRecord>,
    /// History rows, in reading order.
    pub history: Vec<HistoryRow>,
    /// oe-eval folders.
    pub oe_eval: Vec<OeEvalDump>,
    /// Files read, in order.
    pub files: Vec<PathBuf>,
    /// Exports holding fewer records than their manifest promises.
    pub short_exports: Vec<ShortExport>,
    /// History files read column-wise; their rows are read again when staged.
    pub streamed: Vec<StreamedFile>,
    /// Runs with rows in `streamed`, in the order first seen; added only through
    /// [`Inputs::add_streamed_run`], which keeps `streamed_at` in step.
    pub(crate) streamed_runs: Vec<StreamedRun>,
    /// Where each run id stands in `streamed_runs`: a scan adds every run's rows file by file,
    /// and a search through all runs for each would grow with the square of their number.
    pub(crate) streamed_at: HashMap<String, usize>,
    /// Read each run's config and summary again when it is built rather than hold them (a
    /// conversion's reading; see [`RunRecord::pack`]).
    pub(crate) pack_runs: bool,
    /// Decoded bytes of streamed history scans may still keep for staging (0: files are read
    /// again when staged).
    pub(crate) hold_history: usize,
}

impl Inputs {
    /// Adds a run record, packed when `pack_runs` says so; `offset` is where its line starts
    /// in a JSONL file.
    pub(crate) fn add_run(&mut self, mut run: RunRecord, offset: u64) {
        if self.pack_runs {
            run.pack(offset);
        }
        self.runs.push(run);
    }

    /// Adds what a scan learned about a run's rows, after any earlier rows of the run.
    pub(crate) fn add_streamed_run(&mut self, run: StreamedRun) {
        let Some(i) = self.streamed_position(&run.run_id) else {
            let mut run = run;
            let file_digest = run.digest.finalize();
            run.digest = blake3::Hasher::new();
            run.digest.update(file_digest.as_bytes());
            self.streamed_at
                .insert(run.run_id.clone(), self.streamed_runs.len());
            self.streamed_runs.push(run);
            return;
        };
        let into = &mut self.streamed_runs[i];
        into.increasing = into.increasing && run.increasing && into.last_step < run.first_step;
        into.rows += run.rows;
        into.first_step = into.first_step.min(run.first_step);
        into.last_step = into.last_step.max(run.last_step);
        into.keys.extend(run.keys);
        into.files.extend(run.files);
        into.digest.update(run.digest.finalize().as_bytes());
    }

    /// The streamed run with this id.
    pub fn streamed_run(&self, run_id: &str) -> Option<&StreamedRun> {
        self.streamed_position(run_id)
            .map(|i| &self.streamed_runs[i])
    }

    /// Runs with rows in streamed files, in the order first seen.
    pub fn streamed_runs(&self) -> &[StreamedRun] {
        &self.streamed_runs
    }

    fn streamed_position(&self, run_id: &str) -> Option<usize> {
        self.streamed_at.get(run_id).copied()
    }

    /// History rows read, row-wise and streamed.
    pub fn history_rows(&self) -> u64 {
        self.history.len() as u64 + self.streamed_runs.iter().map(|r| r.rows).sum::<u64>()
    }

    /// Moves everything of `other` after what `self` holds.
    pub(crate) fn extend(&mut self, other: Inputs) {
        let files_before = self.streamed.len();
        let history_before = self.history.len();
        self.runs.extend(other.runs);
        self.history.extend(other.history);
        self.oe_eval.extend(other.oe_eval);
        self.files.extend(other.files);
        self.short_exports.extend(other.short_exports);
        self.streamed
            .extend(other.streamed.into_iter().map(|f| StreamedFile {
                position: f.position + history_before,
                ..f
            }));
        for mut run in other.streamed_runs {
            for f in &mut run.files {
                *f += files_before;
            }
            // Already folded per file: add it as one more file's digest.
            self.add_streamed_run(run);
        }
    }
}

/// A dr_wandb v3 export whose file holds fewer records than its `manifest.json` promises
/// (`run_count`, `history_count`): an interrupted export or a lost file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ShortExport {
    /// The manifest.
    pub manifest: PathBuf,
    /// The file read (which may not exist).
    pub file: PathBuf,
    /// `runs` or `history rows`.
    pub what: &'static str,
    /// The manifest's count.
    pub promised: u64,
    /// What the file holds.
    pub found: usize,
}

impl std::fmt::Display for ShortExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: holds {} {}, but {} promises {}",
            self.file.display(),
            self.found,
            self.what,
            self.manifest.display(),
            self.promised
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn record(run_id: &str, config: &str) -> RunRecord {
        let object = |text: &str| match parse(text).expect("json") {
            Json::Object(o) => o,
            other => panic!("not an object: {other:?}"),
        };
        RunRecord {
            config: object(config),
            summary: object(r#"{"_step":7}"#),
            metadata: parse(r#"{"email":"a.person@example.invalid","os":"linux"}"#).expect("json"),
            attrs: object(r#"{"user":{"username":"aperson"}}"#),
            ..RunRecord::bare(run_id, "runs.jsonl", 3)
        }
    }

    #[test]
    fn a_packed_record_keeps_what_matching_needs_and_reads_the_rest_again() {
        let original = record("r", r#"{"output_dir":"/out/sft-a","lr":1e-5}"#);
        let mut packed = original.clone();
        packed.pack(120);
        assert!(packed.config.is_empty() && packed.summary.is_empty());
        assert!(packed.metadata.is_null() && packed.attrs.is_empty());
        assert_eq!(packed.output_dir().as_deref(), Some("/out/sft-a"));
        assert_eq!(
            packed.personal_values(),
            Some(&["a.person@example.invalid".to_owned(), "aperson".to_owned()][..])
        );
        let mut asked = None;
        packed
            .unpack(&mut |o, source, offset| {
                asked = Some((o.line, source, offset));
                Ok(original.clone())
            })
            .expect("unpack");
        assert_eq!(asked, Some((3, RunSource::WandbV3, 120)));
        assert_eq!(packed.config, original.config);
        assert_eq!(packed.summary, original.summary);
        assert_eq!(packed.metadata, original.metadata);
        assert_eq!(packed.attrs, original.attrs);
        assert!(packed.personal_values().is_none());
    }

    #[test]
    fn a_record_read_again_as_another_run_is_an_error_naming_the_file() {
        let mut packed = record("r", "{}");
        packed.pack(0);
        let err = packed
            .unpack(&mut |_, _, _| Ok(record("other", "{}")))
            .expect_err("another run");
        let text = err.to_string();
        assert!(
            text.contains("runs.jsonl") && text.contains("changed"),
            "{text}"
        );
    }

    #[test]
    fn an_unpacked_record_is_left_as_it_is() {
        let mut r = record("r", r#"{"output_dir":"/o"}"#);
        r.unpack(&mut |_, _, _| panic!("nothing to read"))
            .expect("unpack");
        assert_eq!(r.output_dir().as_deref(), Some("/o"));
        assert_eq!(r.config.len(), 1);
    }
}
