//! Errors of plotting.

use runlake_lake::LakeError;

/// Anything building or rendering a plot can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// Reading the lake failed.
    #[error(transparent)]
    Lake(#[from] LakeError),
    /// Reading the curve's points failed.
    #[error(transparent)]
    Reader(runlake_reader::ReaderError),
    /// A table column has a type other than its schema's.
    #[error("table `{table}`: column `{column}` is missing or not {expected}")]
    Column {
        /// Table name.
        table: &'static str,
        /// Column name.
        column: String,
        /// The Arrow type expected.
        expected: &'static str,
    },
    /// A run named on the command line is not in the lake.
    #[error(
        "no run `{0}` in the lake (give a run uid, or a run id that ends exactly one uid; \
         `runlake query LAKE --table metadata --select run_uid` lists them all)"
    )]
    UnknownRun(String),
    /// A run name matches several runs.
    #[error("`{name}` matches several runs: {}", candidates.join(", "))]
    AmbiguousRun {
        /// What was asked for.
        name: String,
        /// Every run it could mean.
        candidates: Vec<String>,
    },
    /// A post-training run has no resolved parent, so its pretraining cannot be found.
    #[error("run `{0}` has no resolved lineage parent; its pretraining part cannot be drawn")]
    NoParent(String),
    /// The selection produced no points at all.
    #[error("nothing to plot: {0}")]
    Empty(String),
    /// An option has a value the plot does not understand.
    #[error("{0}")]
    Invalid(String),
    /// A requested image size is unusable.
    #[error("image size {width}x{height} is not usable (both sides must be 1..=16384 pixels)")]
    Size {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// The generated SVG could not be parsed for rasterising (a bug).
    #[error("rasterising the plot: {0}")]
    Svg(String),
    /// PNG encoding failed.
    #[error("encoding PNG: {0}")]
    Png(String),
}

/// Results of this crate.
pub type Result<T, E = PlotError> = std::result::Result<T, E>;

impl From<runlake_domain::RunLookupError> for PlotError {
    fn from(e: runlake_domain::RunLookupError) -> Self {
        match e {
            runlake_domain::RunLookupError::Ambiguous { name, candidates } => {
                PlotError::AmbiguousRun { name, candidates }
            }
            other => PlotError::Invalid(other.to_string()),
        }
    }
}

impl From<runlake_reader::ReaderError> for PlotError {
    fn from(e: runlake_reader::ReaderError) -> Self {
        use runlake_reader::ReaderError;
        match e {
            ReaderError::Lake(e) => PlotError::Lake(e),
            ReaderError::UnknownName { kind: "run", value } => PlotError::UnknownRun(value),
            ReaderError::AmbiguousRun { name, candidates } => {
                PlotError::AmbiguousRun { name, candidates }
            }
            // A run without lineage is a pretraining run: it has no post-training to draw.
            ReaderError::NoLineage { run } => PlotError::Empty(format!(
                "run `{run}` has no lineage; a curve starts from a post-training run"
            )),
            other => PlotError::Reader(other),
        }
    }
}
