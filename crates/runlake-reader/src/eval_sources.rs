//! Choosing among eval sources: one answer per (run, step, task), by the project's precedence.

use runlake_format::Table;
use runlake_format::tables::Phase;

use crate::scan::Scan;

/// Whether every pretraining eval comes from one source, by the manifest's statistics of the
/// `source` key column: then each checkpoint has one answer per task already, and the source
/// precedence has nothing to choose between.
pub(crate) fn one_pretrain_source(manifest: &runlake_format::Manifest) -> bool {
    let Some(evals) = manifest.table(Table::Evals) else {
        return true;
    };
    let mut only: Option<&runlake_format::manifest::StatValue> = None;
    for file in evals.files.iter().filter(|f| {
        f.partition.get("phase").and_then(Option::as_deref) == Some(Phase::Pretrain.as_str())
    }) {
        let Some(stats) = file.stats.get("source") else {
            return false;
        };
        let (Some(min), Some(max)) = (&stats.min, &stats.max) else {
            return false;
        };
        if min != max || only.is_some_and(|o| o != min) || stats.null_count > 0 {
            return false;
        }
        only = Some(min);
    }
    true
}

/// One row per (run, step, task): the row of the most preferred eval source.
pub(crate) fn prefer_sources(evals: Scan) -> Scan {
    evals.keep_preferred(
        ["run_uid", "step", "task"],
        "source",
        runlake_vocab::EVAL_SOURCE_PRECEDENCE,
    )
}
