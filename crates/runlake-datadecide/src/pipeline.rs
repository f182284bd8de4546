//! The conversion pipeline: files in, lake-schema batches out through a sink.
//!
//! Rows parse in parallel (rayon) batch by batch; a single sequential pass then deduplicates,
//! accumulates the derived `mmlu_average`, and collects runs and checkpoints. Memory holds one
//! input batch, one output batch, and a small entry per eval key for duplicate detection.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use foldhash::fast::FixedState;
use runlake_format::Table;
use runlake_vocab::{MMLU_AVERAGE, TaskKind};
use serde_json::{Map, Value};

use crate::build::{CkptRow, EvalsBuilder, RunRow, ckpts_batch, metadata_batch};
use crate::error::ConvertError;
use crate::kind::{self, Kind};
use crate::model::{CkptFacts, EvalRow, N_KNOWN, RowRef, RunKey, Source};
use crate::parse::{self, Parsed};
use crate::read;
use crate::rows::{RowError, RunInfo, SourceRow};
use crate::summary::{ConvertSummary, Progress, Rejection, TableCounts};

/// What to do with a bad row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// Stop at the first bad row (the default).
    #[default]
    Fail,
    /// Record the row as a rejection and go on.
    Skip,
}

/// Conversion options.
#[derive(Debug, Clone)]
pub struct ConvertOptions {
    pub on_error: OnError,
    /// Force one kind for every input instead of detecting it.
    pub kind: Option<Kind>,
    /// `evals` rows per output batch handed to the sink.
    pub output_batch_rows: usize,
    /// Converts the straightforward way: every metrics pair parsed into owned strings first,
    /// and each chunk parsed only after the one before it is written. Slower; kept as the
    /// reference the default path is tested against.
    pub reference: bool,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        Self {
            on_error: OnError::Fail,
            kind: None,
            output_batch_rows: 131_072,
            reference: false,
        }
    }
}

/// Where converted batches go (a lake transaction, or a test's vector).
pub type Sink<'a> = dyn FnMut(Table, RecordBatch) -> Result<(), ConvertError> + 'a;

/// Expands folders (recursively, sorted) into the Parquet and JSONL files inside them, each
/// file once however many links lead to it.
pub fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, ConvertError> {
    let wanted = |p: &Path| {
        matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("parquet" | "jsonl" | "ndjson")
        )
    };
    runlake_walk::files(inputs, wanted).map_err(|e| ConvertError::Io {
        path: e.path,
        source: e.source,
    })
}

/// An input file with its kind, decided once before converting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    pub path: PathBuf,
    pub kind: Kind,
    /// Known for Parquet (its footer has the row count).
    pub rows: Option<u64>,
}

/// Expands `inputs` and decides each file's kind (`forced`, or detected from its columns).
pub fn plan_inputs(
    inputs: &[PathBuf],
    forced: Option<Kind>,
) -> Result<Vec<PlannedFile>, ConvertError> {
    expand_inputs(inputs)?
        .into_iter()
        .map(|path| {
            let (cols, rows) = read::peek(&path)?;
            let kind = match forced {
                Some(k) => k,
                None => kind::detect(&path, &cols).map_err(|reason| ConvertError::Detect {
                    path: path.clone(),
                    reason,
                })?,
            };
            Ok(PlannedFile { path, kind, rows })
        })
        .collect()
}

#[derive(Clone, Copy)]
struct Seen {
    hash: u64,
    file: u32,
    row: u64,
}

struct MmluAcc {
    sum: [f64; N_KNOWN],
    count: [u32; N_KNOWN],
    subjects: u32,
}

impl Default for MmluAcc {
    fn default() -> Self {
        Self {
            sum: [0.0; N_KNOWN],
            count: [0; N_KNOWN],
            subjects: 0,
        }
    }
}

/// What the per-row path needs of a task name.
#[derive(Clone, Copy)]
struct TaskFacts {
    /// Numbered in the order first seen, for the duplicate table's key.
    id: u32,
    /// Its rows feed the derived `mmlu_average`.
    mmlu_subject: bool,
}

/// An `evals` key (run, step, task, source) as two words, so the duplicate table hashes and
/// compares integers rather than the task's name.
fn eval_key(run: RunKey, step: i64, task: TaskFacts, source: Source) -> (u64, i64) {
    let source = match source {
        Source::HfTrain => 0,
        Source::HfMacroAvg => 1,
        Source::HfPpl => 2,
        Source::FullEval => 3,
    };
    let packed = u64::from(task.id) << 32
        | u64::from(run.recipe) << 24
        | u64::from(run.size) << 16
        | u64::from(run.seed) << 8
        | source;
    (packed, step)
}

struct CkptEntry {
    facts: CkptFacts,
    source: &'static str,
}

/// The stateful part of a conversion.
pub struct Converter<'a> {
    opts: ConvertOptions,
    sink: &'a mut Sink<'a>,
    progress: &'a (dyn Fn(&Progress) + Sync),
    files: Vec<PathBuf>,
    file_is_jsonl: Vec<bool>,
    /// Every eval key so far (see [`eval_key`]), with a hash of its values; one lookup per
    /// row, so the table hashes fast (keys are not adversarial).
    seen: HashMap<(u64, i64), Seen, FixedState>,
    /// Each task name seen so far, looked up once per row.
    tasks: HashMap<&'static str, TaskFacts, FixedState>,
    mmlu: BTreeMap<(RunKey, i64), MmluAcc>,
    ckpts: BTreeMap<(RunKey, i64), CkptEntry>,
    /// Checkpoint facts the lake already holds, to fill what this input lacks (a ppl export
    /// has no tokens; upserting its checkpoints must not erase those eval-results gave).
    known_ckpts: HashMap<(RunKey, i64), CkptFacts>,
    runs: BTreeMap<RunKey, Map<String, Value>>,
    /// The checkpoint facts last noted without a clash, and the run facts last merged.
    last_ckpt: Option<(RunKey, i64, CkptFacts, &'static str)>,
    last_info: Option<(RunKey, Option<Arc<RunInfo>>)>,
    evals: EvalsBuilder,
    /// `evals` rows written and deduplicated, counted here rather than through the summary's
    /// map of tables on every row; added to the summary by `finish`.
    evals_counts: TableCounts,
    summary: ConvertSummary,
    progress_state: Progress,
}

impl<'a> Converter<'a> {
    pub fn new(
        opts: ConvertOptions,
        sink: &'a mut Sink<'a>,
        progress: &'a (dyn Fn(&Progress) + Sync),
    ) -> Self {
        Self {
            opts,
            sink,
            progress,
            files: Vec::new(),
            file_is_jsonl: Vec::new(),
            seen: HashMap::default(),
            tasks: HashMap::default(),
            mmlu: BTreeMap::new(),
            ckpts: BTreeMap::new(),
            known_ckpts: HashMap::new(),
            runs: BTreeMap::new(),
            last_ckpt: None,
            last_info: None,
            evals: EvalsBuilder::new(),
            evals_counts: TableCounts::default(),
            summary: ConvertSummary::default(),
            progress_state: Progress::default(),
        }
    }

    fn row_ref(&self, file: u32, row: u64) -> RowRef {
        let i = file as usize;
        RowRef {
            file: self.files.get(i).cloned().unwrap_or_default(),
            row,
            is_line: self.file_is_jsonl.get(i).copied().unwrap_or(false),
        }
    }

    fn reject(&mut self, table: Table, at: RowRef, err: RowError) -> Result<(), ConvertError> {
        match self.opts.on_error {
            OnError::Fail => Err(ConvertError::Row {
                at: at.to_string(),
                source: err,
            }),
            OnError::Skip => {
                self.summary.table_mut(table).rejected += 1;
                self.summary.push_rejection(Rejection {
                    at: at.to_string(),
                    field: err.field,
                    message: err.message,
                });
                Ok(())
            }
        }
    }

    /// Checkpoint facts already stored; a converted checkpoint keeps any fact its input lacks.
    pub fn know_checkpoints(&mut self, known: HashMap<(RunKey, i64), CkptFacts>) {
        self.known_ckpts = known;
    }

    /// Converts every file. Call `finish` afterwards.
    pub fn run(&mut self, inputs: &[PathBuf]) -> Result<(), ConvertError> {
        let plan = plan_inputs(inputs, self.opts.kind)?;
        self.run_planned(&plan)
    }

    /// Converts files whose kinds are already known. Call `finish` afterwards.
    pub fn run_planned(&mut self, plan: &[PlannedFile]) -> Result<(), ConvertError> {
        self.progress_state.files_total = plan.len();
        self.progress_state.rows_total =
            plan.iter().try_fold(0u64, |sum, f| f.rows.map(|r| sum + r));
        // Every eval row is one entry: sized once, the table never rehashes while it grows.
        if let Some(rows) = self.progress_state.rows_total {
            self.seen.reserve(
                usize::try_from(rows)
                    .unwrap_or(0)
                    .saturating_sub(self.seen.len()),
            );
        }
        (self.progress)(&self.progress_state);
        for f in plan {
            self.convert_file(&f.path, f.kind)?;
            self.progress_state.files_done += 1;
            (self.progress)(&self.progress_state);
        }
        Ok(())
    }

    fn convert_file(&mut self, path: &Path, kind: Kind) -> Result<(), ConvertError> {
        let file = u32::try_from(self.files.len()).unwrap_or(u32::MAX);
        self.files.push(path.to_owned());
        self.file_is_jsonl.push(read::is_jsonl(path));
        let mut rows_read = 0u64;
        parse::each_chunk(path, kind, self.opts.reference, &mut |parsed| {
            rows_read += (parsed.len + parsed.bad_lines.len()) as u64;
            self.convert_chunk(file, kind, parsed)
        })?;
        self.summary.add_file(path, kind, rows_read);
        Ok(())
    }

    fn convert_chunk(&mut self, file: u32, kind: Kind, chunk: Parsed) -> Result<(), ConvertError> {
        let table_of_rows = Table::Evals;
        for (line, msg) in &chunk.bad_lines {
            let at = self.row_ref(file, *line);
            self.reject(
                table_of_rows,
                at,
                RowError {
                    field: "<line>".into(),
                    message: msg.clone(),
                },
            )?;
        }
        let n = chunk.len;
        let parsed = chunk.rows?;
        let source_name = match kind {
            Kind::HfTrain => "dd_hf_train",
            Kind::HfMacroAvg => "dd_hf_macro_avg",
            Kind::HfPpl => "dd_hf_ppl",
            Kind::FullEval => "datadec_full_eval",
        };
        for (i, row) in parsed.into_iter().enumerate() {
            let row_no = chunk.row_numbers.get(i);
            match row {
                Err(e) => {
                    let at = self.row_ref(file, row_no);
                    self.reject(table_of_rows, at, e)?;
                }
                Ok(row) => self.accept(file, row_no, row, source_name)?,
            }
        }
        self.progress_state.rows_read += n as u64;
        self.summary.rows_read += n as u64;
        (self.progress)(&self.progress_state);
        Ok(())
    }

    fn accept(
        &mut self,
        file: u32,
        row_no: u64,
        row: SourceRow,
        source_name: &'static str,
    ) -> Result<(), ConvertError> {
        self.summary.empty_cells += u64::from(row.empty_cells);
        if let Some(t) = row.ckpt.tokens
            && (t.fract() != 0.0 || !t.is_finite() || t < 0.0)
        {
            let at = self.row_ref(file, row_no);
            return self.reject(
                Table::PretrainCkpts,
                at,
                RowError {
                    field: "tokens".into(),
                    message: format!("{t} is not a whole non-negative number"),
                },
            );
        }
        let hashes = FixedState::default();
        let mut ckpt_hasher = hashes.build_hasher();
        row.ckpt.hash_values(&mut ckpt_hasher);
        let ckpt_hash = ckpt_hasher.finish();
        let mut accepted_any = row.evals.is_empty();
        for eval in row.evals {
            let mut h = hashes.build_hasher();
            h.write_u64(ckpt_hash);
            eval.hash_values(&mut h);
            let hash = h.finish();
            let task = self.task_facts(eval.task);
            let key = eval_key(eval.run, eval.step, task, eval.source);
            match self.seen.entry(key) {
                Entry::Occupied(prev) => {
                    let prev = *prev.get();
                    if prev.hash == hash {
                        self.evals_counts.deduplicated += 1;
                    } else {
                        let first = self.row_ref(prev.file, prev.row).to_string();
                        let second = self.row_ref(file, row_no).to_string();
                        let key = format!(
                            "({}, step {}, {}, {})",
                            eval.run.uid(),
                            eval.step,
                            eval.task,
                            eval.source.as_str()
                        );
                        match self.opts.on_error {
                            OnError::Fail => {
                                return Err(ConvertError::Conflict { key, first, second });
                            }
                            OnError::Skip => {
                                self.summary.table_mut(Table::Evals).rejected += 1;
                                self.summary.push_rejection(Rejection {
                                    at: second,
                                    field: "<key>".into(),
                                    message: format!("conflicts with {first} for {key}"),
                                });
                            }
                        }
                    }
                    continue;
                }
                Entry::Vacant(v) => {
                    v.insert(Seen {
                        hash,
                        file,
                        row: row_no,
                    });
                }
            }
            accepted_any = true;
            if eval.source == Source::HfTrain && task.mmlu_subject {
                let acc = self.mmlu.entry((eval.run, eval.step)).or_default();
                acc.subjects += 1;
                for (i, v) in eval.known.iter().enumerate() {
                    if let Some(v) = v.filter(|v| !v.is_nan()) {
                        acc.sum[i] += v;
                        acc.count[i] += 1;
                    }
                }
            }
            self.push_eval(&eval)?;
        }
        if accepted_any {
            // Rows come grouped by checkpoint: a row repeating what the row before noted
            // without a clash changes nothing, and skips the lookups.
            let noted = (row.run, row.step, row.ckpt, source_name);
            if self.last_ckpt != Some(noted) {
                let agreed = self.note_ckpt(row.run, row.step, row.ckpt, source_name);
                self.last_ckpt = agreed.then_some(noted);
            }
            let repeated = matches!(&self.last_info,
                Some((run, last)) if *run == row.run && *last == row.run_info);
            if !repeated {
                let info = self.runs.entry(row.run).or_default();
                for (k, v) in row.run_info.iter().flat_map(|info| info.iter()) {
                    info.entry(k.as_str()).or_insert_with(|| v.clone());
                }
                self.last_info = Some((row.run, row.run_info));
            }
        }
        Ok(())
    }

    fn task_facts(&mut self, task: &'static str) -> TaskFacts {
        let next = u32::try_from(self.tasks.len()).unwrap_or(u32::MAX);
        *self.tasks.entry(task).or_insert_with(|| TaskFacts {
            id: next,
            mmlu_subject: runlake_vocab::task_kind(task) == Ok(TaskKind::MmluSubject),
        })
    }

    fn push_eval(&mut self, eval: &EvalRow) -> Result<(), ConvertError> {
        self.evals.append(eval)?;
        self.evals_counts.written += 1;
        if self.evals.len() >= self.opts.output_batch_rows {
            let batch = self.evals.finish()?;
            (self.sink)(Table::Evals, batch)?;
        }
        Ok(())
    }

    /// Notes a row's checkpoint facts; false when they clash with facts noted before.
    fn note_ckpt(
        &mut self,
        run: RunKey,
        step: i64,
        facts: CkptFacts,
        source: &'static str,
    ) -> bool {
        match self.ckpts.entry((run, step)) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(CkptEntry { facts, source });
                true
            }
            std::collections::btree_map::Entry::Occupied(mut o) => {
                let e = o.get_mut();
                let merge = |mine: &mut Option<f64>, theirs: Option<f64>, clash: &mut bool| match (
                    *mine, theirs,
                ) {
                    (None, t) => *mine = t,
                    (Some(a), Some(b)) if a.to_bits() != b.to_bits() => *clash = true,
                    _ => {}
                };
                let mut clash = false;
                merge(&mut e.facts.tokens, facts.tokens, &mut clash);
                merge(&mut e.facts.compute, facts.compute, &mut clash);
                merge(&mut e.facts.learning_rate, facts.learning_rate, &mut clash);
                merge(&mut e.facts.cumulative_lr, facts.cumulative_lr, &mut clash);
                if clash {
                    self.summary.push_disagreement(format!(
                        "{} step {}: rows disagree on tokens/compute/lr ({source} vs {})",
                        run.uid(),
                        step,
                        e.source
                    ));
                }
                !clash
            }
        }
    }

    /// Emits the derived rows, checkpoints and runs, and returns the summary.
    pub fn finish(mut self) -> Result<ConvertSummary, ConvertError> {
        let mmlu = std::mem::take(&mut self.mmlu);
        for ((run, step), acc) in mmlu {
            let mut e = EvalRow::new(run, step, MMLU_AVERAGE, Source::HfTrain);
            e.derived = true;
            for i in 0..N_KNOWN {
                if acc.count[i] > 0 {
                    e.known[i] = Some(acc.sum[i] / f64::from(acc.count[i]));
                }
            }
            e.details_json = Some(format!(
                "{{\"derived_from\":\"mean of mmlu_* subject rows\",\"subjects\":{}}}",
                acc.subjects
            ));
            self.summary.derived_rows += 1;
            self.push_eval(&e)?;
        }
        if !self.evals.is_empty() {
            let batch = self.evals.finish()?;
            (self.sink)(Table::Evals, batch)?;
        }
        if self.evals_counts != TableCounts::default() {
            let counts = self.summary.table_mut(Table::Evals);
            counts.written += self.evals_counts.written;
            counts.deduplicated += self.evals_counts.deduplicated;
        }
        let ckpts = std::mem::take(&mut self.ckpts);
        let mut rows = Vec::with_capacity(ckpts.len());
        for ((run, step), mut e) in ckpts {
            if let Some(known) = self.known_ckpts.get(&(run, step)) {
                let fill = |mine: &mut Option<f64>, theirs: Option<f64>| {
                    if mine.is_none() {
                        *mine = theirs;
                    }
                };
                fill(&mut e.facts.tokens, known.tokens);
                fill(&mut e.facts.compute, known.compute);
                fill(&mut e.facts.learning_rate, known.learning_rate);
                fill(&mut e.facts.cumulative_lr, known.cumulative_lr);
            }
            self.check_schedule(run, step, &e.facts);
            rows.push(CkptRow {
                run,
                step,
                facts: e.facts,
                source: e.source,
            });
        }
        if !rows.is_empty() {
            self.summary.table_mut(Table::PretrainCkpts).written += rows.len() as u64;
            (self.sink)(Table::PretrainCkpts, ckpts_batch(&rows)?)?;
        }
        let runs: Vec<RunRow> = std::mem::take(&mut self.runs)
            .into_iter()
            .map(|(run, info)| RunRow {
                run,
                extra_json: (!info.is_empty()).then(|| Value::Object(info).to_string()),
            })
            .collect();
        if !runs.is_empty() {
            self.summary.table_mut(Table::Metadata).written += runs.len() as u64;
            (self.sink)(Table::Metadata, metadata_batch(&runs)?)?;
        }
        Ok(self.summary)
    }

    /// Tokens must equal `step * batch * 2048`; compute must be `6 * N * tokens` for one of the
    /// size's parameter counts (within 0.5%). Disagreements are reported, values kept as given.
    fn check_schedule(&mut self, run: RunKey, step: i64, facts: &CkptFacts) {
        let size = run.size();
        let Ok(ustep) = u64::try_from(step) else {
            return;
        };
        let expected = size.schedule().tokens_at(ustep);
        if let Some(t) = facts.tokens {
            #[allow(
                clippy::cast_precision_loss,
                reason = "token counts are far below 2^53"
            )]
            let exp = expected as f64;
            if t != exp {
                self.summary.push_disagreement(format!(
                    "{} step {step}: tokens {t} but the schedule gives {expected}",
                    run.uid()
                ));
            }
        }
        if let (Some(c), Some(t)) = (facts.compute, facts.tokens)
            && t > 0.0
        {
            #[allow(
                clippy::cast_precision_loss,
                reason = "parameter counts are far below 2^53"
            )]
            let ok = [
                Some(size.params_nominal),
                Some(size.params_training),
                size.params_exact,
            ]
            .into_iter()
            .flatten()
            .any(|n| ((c / (6.0 * n as f64 * t)) - 1.0).abs() < 0.005);
            if !ok {
                self.summary.push_disagreement(format!(
                    "{} step {step}: compute {c:e} is not 6 * params * tokens for any parameter count",
                    run.uid()
                ));
            }
        }
    }
}
