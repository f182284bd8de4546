//! What a caller chooses, and what it is told while a conversion runs.

use std::sync::Arc;

/// The two kinds of conversion an input goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// DataDecide eval-results, ppl-results and datadec `full_eval` tables.
    Pretraining,
    /// WandB exports and oe-eval folders.
    PostTraining,
}

/// An input kind forced instead of detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForcedKind {
    /// One of the DataDecide exports.
    Pretraining(runlake_datadecide::Kind),
    /// A WandB export (dr_wandb v3 folder, v0 JSONL or Parquet).
    Wandb,
    /// An oe-eval output folder.
    OeEval,
}

impl ForcedKind {
    /// Every kind, by the name `runlake convert --kind` and the Python `kind=` take.
    pub const NAMED: [(&'static str, ForcedKind); 6] = {
        use runlake_datadecide::Kind;
        [
            ("dd-eval-results", ForcedKind::Pretraining(Kind::HfTrain)),
            ("dd-macro-avg", ForcedKind::Pretraining(Kind::HfMacroAvg)),
            ("dd-ppl", ForcedKind::Pretraining(Kind::HfPpl)),
            ("datadec-full-eval", ForcedKind::Pretraining(Kind::FullEval)),
            ("wandb", ForcedKind::Wandb),
            ("oe-eval", ForcedKind::OeEval),
        ]
    };

    /// The kind of this name, or an error listing the names.
    pub fn from_name(name: &str) -> Result<ForcedKind, String> {
        Self::NAMED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, kind)| *kind)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::NAMED.iter().map(|(n, _)| *n).collect();
                format!("unknown kind `{name}` (use one of {})", names.join(", "))
            })
    }
}

/// What to do with a record or input that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// Stop, commit nothing, and name it (the default).
    #[default]
    Fail,
    /// Leave it out, record it in the summary with where and why, and convert the rest.
    Skip,
}

/// Progress of a conversion, for a caller that shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Progress {
    /// Inputs of one family are being read.
    Reading {
        /// Which family.
        family: Family,
        /// Files (pretraining) or inputs (post-training) done.
        done: usize,
        /// Of how many.
        total: usize,
        /// Rows (pretraining) or runs and history rows (post-training) read so far.
        rows_read: u64,
        /// Rows expected, when known.
        rows_total: Option<u64>,
    },
    /// Post-training rows are being matched against the lake and staged.
    Staging,
    /// Data files are being written and the version committed.
    Committing,
}

impl std::fmt::Display for Progress {
    /// One line for a progress display, such as `DataDecide: file 2/3, 1200 rows read of 4000`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Progress::Reading {
                family: Family::Pretraining,
                done,
                total,
                rows_read,
                rows_total,
            } => {
                let of = rows_total.map(|t| format!(" of {t}")).unwrap_or_default();
                write!(
                    f,
                    "DataDecide: file {}/{total}, {rows_read} rows read{of}",
                    (*done).min(*total) + 1
                )
            }
            Progress::Reading {
                done,
                total,
                rows_read,
                ..
            } => write!(
                f,
                "post-training: input {done}/{total}, {rows_read} runs and history rows read"
            ),
            Progress::Staging => f.write_str("post-training: matching runs against the lake"),
            Progress::Committing => f.write_str("committing"),
        }
    }
}

/// A progress callback; it must be cheap.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Options of [`convert`](crate::convert).
#[derive(Clone, Default)]
pub struct Options {
    /// Bad records and inputs: stop or skip.
    pub on_error: OnError,
    /// Force one kind for every input instead of detecting each.
    pub kind: Option<ForcedKind>,
    /// Allow a re-import to leave a run with fewer rows in a table than the lake holds.
    pub replace: bool,
    /// How post-training rows are built (personal data, time policy, oe-eval run).
    pub post_training: runlake_wandb::BuildOptions,
    /// Called as the conversion proceeds.
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("on_error", &self.on_error)
            .field("kind", &self.kind)
            .field("replace", &self.replace)
            .field("post_training", &self.post_training)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl Options {
    pub(crate) fn report(&self, p: &Progress) {
        if let Some(f) = &self.progress {
            f(p);
        }
    }
}
