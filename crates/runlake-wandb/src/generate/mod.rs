//! Deterministic post-training exports at scale, for benchmarks and tests.
//!
//! [`generate`] writes a dr_wandb Parquet export shaped like the real `ft-scaling` one: one
//! `wandb_runs.parquet` (one row per run, `config`, `summary`, `wandb_metadata`, ... as JSON
//! text, about 500 config keys and 370 summary keys per run) and `history/part-NNNNN.parquet`
//! files with one column per logged key, null where a run did not log it. SFT and DPO runs
//! alternate; each SFT run starts from a checkpoint of the DataDecide grid (named in its run
//! name, model path and revision), each DPO run from the output folder of an earlier SFT run,
//! so lineage resolves. Everything streams: a row group is written as soon as it is full.
//!
//! Run `i` depends only on the seed and `i`, so `first_run` lets a later call add runs that
//! fit the earlier ones (a DPO run's parent is an earlier SFT run by index).

mod history;
mod runs;

use std::fs::File;
use std::path::{Path, PathBuf};

use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::error::{Result, WandbError};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Random seed; the same options give byte-identical files.
    pub seed: u64,
    /// Runs to write.
    pub runs: usize,
    /// Index of the first run (runs `first_run .. first_run + runs`).
    pub first_run: usize,
    /// Logged steps per run.
    pub steps: usize,
    /// Runs per history file.
    pub runs_per_file: usize,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            seed: 1,
            runs: 2_000,
            first_run: 0,
            steps: 10_000,
            runs_per_file: 100,
        }
    }
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct GenerateSummary {
    /// The runs file.
    pub runs_file: PathBuf,
    /// Runs written, SFT and DPO.
    pub runs: usize,
    /// SFT runs.
    pub sft_runs: usize,
    /// DPO runs.
    pub dpo_runs: usize,
    /// History files.
    pub history_files: Vec<PathBuf>,
    /// History rows written.
    pub history_rows: u64,
}

/// Writes the export into `out` (created).
pub fn generate(out: &Path, opts: &GenerateOptions) -> Result<GenerateSummary> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| WandbError::Io { path, source }
    };
    std::fs::create_dir_all(out.join("history")).map_err(io(out))?;
    let ids: Vec<usize> = (opts.first_run..opts.first_run + opts.runs).collect();
    let specs: Vec<runs::RunSpec> = ids.iter().map(|&i| runs::spec(opts.seed, i)).collect();
    let mut summary = GenerateSummary {
        runs_file: out.join("wandb_runs.parquet"),
        runs: specs.len(),
        sft_runs: specs.iter().filter(|s| !s.dpo).count(),
        dpo_runs: specs.iter().filter(|s| s.dpo).count(),
        ..GenerateSummary::default()
    };
    runs::write(&summary.runs_file, &specs, opts.steps)?;
    for (n, chunk) in specs.chunks(opts.runs_per_file.max(1)).enumerate() {
        let path = out.join(format!("history/part-{n:05}.parquet"));
        summary.history_rows += history::write(&path, chunk, opts.steps)?;
        summary.history_files.push(path);
    }
    Ok(summary)
}

fn writer(path: &Path, schema: arrow::datatypes::SchemaRef) -> Result<ArrowWriter<File>> {
    let file = File::create(path).map_err(|source| WandbError::Io {
        path: path.to_owned(),
        source,
    })?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_created_by("runlake generate".into())
        // Readers hold a row group's column chunks: small groups keep a streaming reader small.
        .set_max_row_group_row_count(Some(1 << 16))
        .build();
    ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| parquet_err(path, &e))
}

fn parquet_err(path: &Path, e: &dyn std::error::Error) -> WandbError {
    WandbError::Parquet {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

/// splitmix64: tiny, fast, and good enough for synthetic values.
#[derive(Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next();
        r
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        #[allow(
            clippy::cast_precision_loss,
            reason = "53 random bits fit an f64 exactly"
        )]
        let v = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        v
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_options_give_identical_files_and_later_runs_extend_earlier_ones() {
        let dir = tempfile::tempdir().expect("tmp");
        let opts = GenerateOptions {
            runs: 4,
            steps: 30,
            runs_per_file: 3,
            ..GenerateOptions::default()
        };
        let a = generate(&dir.path().join("a"), &opts).expect("a");
        let b = generate(&dir.path().join("b"), &opts).expect("b");
        assert_eq!(a.history_rows, 120);
        assert_eq!(a.history_files.len(), 2);
        for (x, y) in a.history_files.iter().zip(&b.history_files) {
            assert_eq!(std::fs::read(x).expect("x"), std::fs::read(y).expect("y"));
        }
        assert_eq!(
            std::fs::read(&a.runs_file).expect("a"),
            std::fs::read(&b.runs_file).expect("b")
        );
    }
}
