//! One entry point for every input `runlake convert` takes: DataDecide pretraining exports,
//! WandB exports and oe-eval folders, in any mix.
//!
//! [`convert`] decides each input's kind once, reads the post-training inputs, converts the
//! pretraining ones, and stages every row in a single lake transaction: one call commits one
//! version holding all of them, or nothing and an error saying why. File reading and rayon
//! parsing run on blocking threads, never on the async runtime's workers. Libraries never
//! print: progress goes to a callback, results to a [`Summary`].

mod detect;
mod error;
mod ingest;
mod options;
mod summary;

pub use error::IngestError;
pub use ingest::convert;
pub use options::{Family, ForcedKind, OnError, Options, Progress, ProgressFn};
pub use summary::{InputSummary, MAX_REJECTIONS, Rejection, Summary};
