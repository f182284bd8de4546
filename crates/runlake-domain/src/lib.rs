//! The domain rules every reader of a lake shares, as pure functions over plain rows:
//!
//! - [`chain`]: the walk from a post-training run back to the pretraining checkpoint it grew
//!   from, through the `lineage` table's resolved rows (what `runlake lineage`, `runlake curve`
//!   and the plots follow);
//! - [`lookup`]: which run a user means by a uid, a run id or a run name;
//! - [`curve`]: the points of a chain on one cumulative-tokens axis.
//!
//! Reading the rows from a lake is the reader's job (`runlake-reader`); nothing here does IO.

pub mod chain;
pub mod curve;
mod display;
pub mod lookup;

pub use chain::{ChainLink, ChainRun, LineageChain, LineageRow, Parent, parent_of, parents, walk};
pub use curve::{
    Curve, CurvePoint, CurveSegment, EvalValue, LoggedRow, PointKind, SegmentInput, build_curve,
};
pub use lookup::{RunLookupError, resolve_run};
