//! Deterministic full-scale DataDecide-shaped raw exports, for benchmarks and tests.
//!
//! `generate(out, seed, 1.0)` writes what the HF datasets hold: the eval-results train split
//! (1,410,750 rows: checkpoints of the real recipes, sizes, seeds and step schedule, times the
//! 66 tasks, `metrics` as Python dict reprs) in four Parquet files, the macro_avg split, and
//! ppl-results (22,709 rows). The same seed gives byte-identical files. Values are plausible,
//! not real.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use rayon::prelude::*;
use runlake_vocab::{
    CORE_TASKS, MMLU_SUBJECTS, PPL_SETS, RECIPES, SIZES, Seed, Size, primary_policy,
};

use crate::error::ConvertError;

/// Row counts of the real exports.
pub const TRAIN_ROWS: u64 = 1_410_750;
pub const PPL_ROWS: u64 = 22_709;
const TRAIN_TASKS: usize = 66;
const FILES: usize = 4;
const BATCH: usize = 65_536;

/// What `generate` wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct GenerateSummary {
    pub train_files: Vec<PathBuf>,
    pub train_rows: u64,
    pub macro_avg_file: PathBuf,
    pub macro_avg_rows: u64,
    pub ppl_file: PathBuf,
    pub ppl_rows: u64,
}

/// splitmix64: tiny, fast and good enough for synthetic values.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        #[allow(
            clippy::cast_precision_loss,
            reason = "53 random bits fit an f64 exactly"
        )]
        let v = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        v
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[derive(Clone, Copy)]
struct Ckpt {
    recipe: usize,
    size: usize,
    seed: &'static Seed,
    step: u64,
}

/// Every checkpoint of the real grid: regular steps plus the final one, per run.
fn grid() -> Vec<Ckpt> {
    let mut out = Vec::new();
    for recipe in 0..RECIPES.len() {
        for (size, s) in SIZES.iter().enumerate() {
            for seed in Seed::for_size(s) {
                let sched = s.schedule();
                let mut step = 0;
                while step <= sched.final_step {
                    out.push(Ckpt {
                        recipe,
                        size,
                        seed,
                        step,
                    });
                    step += sched.checkpoint_interval;
                }
                if sched.final_step % sched.checkpoint_interval != 0 {
                    out.push(Ckpt {
                        recipe,
                        size,
                        seed,
                        step: sched.final_step,
                    });
                }
            }
        }
    }
    out
}

/// A deterministic subset of `n` checkpoints, in grid order.
fn pick(grid: &[Ckpt], n: usize, rng: &mut Rng) -> Vec<Ckpt> {
    let mut idx: Vec<usize> = (0..grid.len()).collect();
    for i in (1..idx.len()).rev() {
        let j = usize::try_from(rng.below(i as u64 + 1)).unwrap_or(0);
        idx.swap(i, j);
    }
    idx.truncate(n.min(grid.len()));
    idx.sort_unstable();
    idx.into_iter().map(|i| grid[i]).collect()
}

/// Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16.
pub fn py_float(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let a = v.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        let s = format!("{v:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        return format!("{mant}e{sign}{digits:0>2}");
    }
    let s = format!("{v}");
    if s.contains('.') { s } else { format!("{s}.0") }
}

fn tokens(size: &Size, step: u64) -> f64 {
    #[allow(
        clippy::cast_precision_loss,
        reason = "token counts are far below 2^53"
    )]
    let t = size.schedule().tokens_at(step) as f64;
    t
}

/// The metrics repr of one (checkpoint, task): accuracies are k/n fractions, probabilities
/// random; boolq and winogrande have no unconditional metrics, as in the real data.
fn metrics(task: &str, quality: f64, rng: &mut Rng) -> String {
    let n = 1000 + rng.below(2000);
    let acc = |rng: &mut Rng| {
        #[allow(clippy::cast_precision_loss, reason = "small counts")]
        let k = ((quality + 0.1 * rng.unit()).min(1.0) * n as f64).floor();
        #[allow(clippy::cast_precision_loss, reason = "small counts")]
        let v = k / n as f64;
        v
    };
    let no_uncond = matches!(task, "boolq" | "winogrande");
    let mut pairs: Vec<(&str, f64)> = Vec::with_capacity(36);
    for m in [
        "acc_raw",
        "acc_per_token",
        "acc_per_char",
        "acc_per_byte",
        "acc_uncond",
    ] {
        if !(no_uncond && m == "acc_uncond") {
            pairs.push((m, acc(rng)));
        }
    }
    pairs.push(("no_answer", 0.0));
    #[allow(clippy::cast_precision_loss, reason = "small counts")]
    pairs.push(("correct_choice", rng.below(4) as f64 + rng.unit()));
    for m in [
        "sum_logits_corr",
        "logits_per_token_corr",
        "logits_per_char_corr",
        "logits_per_byte_corr",
    ] {
        pairs.push((m, -(rng.unit() * 30.0)));
    }
    pairs.push(("bits_per_byte_corr", 0.5 + rng.unit() * 3.0));
    for m in [
        "correct_prob",
        "correct_prob_per_token",
        "correct_prob_per_char",
        "margin",
        "margin_per_token",
        "margin_per_char",
        "total_prob",
        "total_prob_per_token",
        "total_prob_per_char",
        "norm_correct_prob",
        "norm_correct_prob_per_token",
        "norm_correct_prob_per_char",
    ] {
        pairs.push((
            m,
            rng.unit() * 0.5 * 10f64.powi(-i32::try_from(rng.below(7)).unwrap_or(0)),
        ));
    }
    if !no_uncond {
        for m in [
            "uncond_correct_prob",
            "uncond_correct_prob_per_token",
            "uncond_correct_prob_per_char",
            "uncond_total_prob",
        ] {
            pairs.push((m, rng.unit() * 0.3));
        }
    }
    for m in [
        "predicted_index_raw",
        "predicted_index_per_token",
        "predicted_index_per_char",
        "predicted_index_per_byte",
        "predicted_index_uncond",
    ] {
        if !(no_uncond && m == "predicted_index_uncond") {
            pairs.push((m, rng.unit() * 3.0));
        }
    }
    let primary = primary_policy(task).ok().map(|p| p.metric);
    let pv = pairs
        .iter()
        .find(|(k, _)| Some(*k) == primary)
        .map_or(f64::NAN, |(_, v)| *v);
    let mut s = String::with_capacity(1200);
    s.push_str("{'primary_metric': ");
    s.push_str(&py_float(pv));
    for (k, v) in pairs {
        s.push_str(", '");
        s.push_str(k);
        s.push_str("': ");
        s.push_str(&py_float(v));
    }
    s.push('}');
    s
}

fn quality(c: &Ckpt) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "small numbers")]
    let q =
        0.2 + 0.02 * c.size as f64 + 0.2 * (c.step as f64 / SIZES[c.size].final_step.max(1) as f64);
    q.min(0.9)
}

fn writer(path: &Path, schema: Arc<Schema>) -> Result<ArrowWriter<File>, ConvertError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| ConvertError::Io {
            path: dir.to_owned(),
            source,
        })?;
    }
    let file = File::create(path).map_err(|source| ConvertError::Io {
        path: path.to_owned(),
        source,
    })?;
    // HF datasets write snappy Parquet.
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    ArrowWriter::try_new(file, schema, Some(props)).map_err(|source| ConvertError::Parquet {
        path: path.to_owned(),
        source,
    })
}

fn write(w: &mut ArrowWriter<File>, path: &Path, batch: &RecordBatch) -> Result<(), ConvertError> {
    w.write(batch).map_err(|source| ConvertError::Parquet {
        path: path.to_owned(),
        source,
    })
}

fn close(w: ArrowWriter<File>, path: &Path) -> Result<(), ConvertError> {
    w.close()
        .map(|_| ())
        .map_err(|source| ConvertError::Parquet {
            path: path.to_owned(),
            source,
        })
}

fn eval_schema(with_train_columns: bool) -> Arc<Schema> {
    let mut f = vec![
        Field::new("params", DataType::Utf8, true),
        Field::new("data", DataType::Utf8, true),
        Field::new("seed", DataType::Utf8, true),
        Field::new("step", DataType::Float64, true),
        Field::new("task", DataType::Utf8, true),
    ];
    if with_train_columns {
        f.push(Field::new("chinchilla", DataType::Utf8, true));
        f.push(Field::new("tokens", DataType::Float64, true));
        f.push(Field::new("compute", DataType::Float64, true));
    }
    f.push(Field::new("metrics", DataType::Utf8, true));
    Arc::new(Schema::new(f))
}

/// One row of an eval-results split: (checkpoint, task, metrics text).
type EvalRowOut = (Ckpt, &'static str, String);

fn eval_batch(
    rows: &[EvalRowOut],
    schema: &Arc<Schema>,
    train: bool,
) -> Result<RecordBatch, ConvertError> {
    let s = |f: &dyn Fn(&EvalRowOut) -> String| -> ArrayRef {
        Arc::new(rows.iter().map(|r| Some(f(r))).collect::<StringArray>())
    };
    #[allow(clippy::cast_precision_loss, reason = "steps are far below 2^53")]
    let step: ArrayRef = Arc::new(
        rows.iter()
            .map(|r| r.0.step as f64)
            .collect::<Float64Array>(),
    );
    let mut cols = vec![
        s(&|r| SIZES[r.0.size].label.to_owned()),
        s(&|r| RECIPES[r.0.recipe].display.to_owned()),
        s(&|r| r.0.seed.name.to_owned()),
        step,
        s(&|r| r.1.to_owned()),
    ];
    if train {
        cols.push(s(&|_| "5xC".to_owned()));
        cols.push(Arc::new(
            rows.iter()
                .map(|r| tokens(&SIZES[r.0.size], r.0.step))
                .collect::<Float64Array>(),
        ));
        #[allow(clippy::cast_precision_loss, reason = "compute is a float by nature")]
        cols.push(Arc::new(
            rows.iter()
                .map(|r| {
                    6.0 * SIZES[r.0.size].params_training as f64
                        * tokens(&SIZES[r.0.size], r.0.step)
                })
                .collect::<Float64Array>(),
        ));
    }
    cols.push(Arc::new(
        rows.iter()
            .map(|r| Some(r.2.as_str()))
            .collect::<StringArray>(),
    ));
    Ok(RecordBatch::try_new(Arc::clone(schema), cols)?)
}

/// Writes the three exports under `out` and returns their paths and row counts.
pub fn generate(out: &Path, seed: u64, scale: f64) -> Result<GenerateSummary, ConvertError> {
    let grid = grid();
    let mut rng = Rng(seed);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "scaled row counts are small and positive"
    )]
    let n_ckpts = ((TRAIN_ROWS as f64 / TRAIN_TASKS as f64) * scale)
        .round()
        .max(1.0) as usize;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "scaled row counts are small and positive"
    )]
    let n_ppl = ((PPL_ROWS as f64) * scale).round().max(1.0) as usize;
    let ckpts = pick(&grid, n_ckpts, &mut rng);
    let ppl_ckpts = pick(&grid, n_ppl, &mut rng);
    let tasks: Vec<&'static str> = CORE_TASKS
        .iter()
        .map(|(t, _)| *t)
        .chain(MMLU_SUBJECTS)
        .collect();
    let mut summary = GenerateSummary::default();

    // Train split: checkpoint-major, 66 tasks each, split over four files like the HF export.
    let schema = eval_schema(true);
    let per_file = ckpts.len().div_ceil(FILES);
    for (fi, part) in ckpts.chunks(per_file.max(1)).enumerate() {
        let path = out.join(format!(
            "eval-results/data/train-{fi:05}-of-{FILES:05}.parquet"
        ));
        let mut w = writer(&path, Arc::clone(&schema))?;
        let per_batch = (BATCH / TRAIN_TASKS).max(1);
        for (bi, group) in part.chunks(per_batch).enumerate() {
            let base = seed ^ ((fi as u64) << 40) ^ ((bi as u64) << 20);
            let rows: Vec<EvalRowOut> = group
                .par_iter()
                .enumerate()
                .flat_map_iter(|(ci, c)| {
                    let mut r = Rng(base
                        .wrapping_add(ci as u64)
                        .wrapping_mul(0x2545_F491_4F6C_DD1D));
                    let q = quality(c);
                    tasks
                        .iter()
                        .map(move |t| (*c, *t, metrics(t, q, &mut r)))
                        .collect::<Vec<_>>()
                })
                .collect();
            summary.train_rows += rows.len() as u64;
            write(&mut w, &path, &eval_batch(&rows, &schema, true)?)?;
        }
        close(w, &path)?;
        summary.train_files.push(path);
    }

    // macro_avg: the same checkpoints, core tasks plus `mmlu` and `olmes_10_macro_avg`, JSON.
    let path = out.join("eval-results/data/macro_avg-00000-of-00001.parquet");
    let schema = eval_schema(false);
    let mut w = writer(&path, Arc::clone(&schema))?;
    let macro_tasks: Vec<&'static str> = CORE_TASKS
        .iter()
        .map(|(t, _)| *t)
        .chain(["mmlu", "olmes_10_macro_avg"])
        .collect();
    for group in ckpts.chunks(BATCH / macro_tasks.len()) {
        let mut rows = Vec::with_capacity(group.len() * macro_tasks.len());
        for c in group {
            for t in &macro_tasks {
                let a = rng.unit() * 0.3 + quality(c);
                let text = format!(
                    "{{\"acc_raw\": {}, \"primary_metric\": {}, \"correct_prob_per_byte\": {}, \"predicted_index_per_byte\": {}}}",
                    py_float(a),
                    py_float(a),
                    py_float(rng.unit()),
                    py_float(rng.unit() * 3.0)
                );
                rows.push((*c, *t, text));
            }
        }
        summary.macro_avg_rows += rows.len() as u64;
        write(&mut w, &path, &eval_batch(&rows, &schema, false)?)?;
    }
    close(w, &path)?;
    summary.macro_avg_file = path;

    // ppl-results: wide, NaN at step 0 and often at the first checkpoint.
    let path = out.join("ppl-results/data/train-00000-of-00001.parquet");
    let mut fields = vec![
        Field::new("params", DataType::Utf8, true),
        Field::new("data", DataType::Utf8, true),
        Field::new("seed", DataType::Utf8, true),
        Field::new("step", DataType::Float64, true),
    ];
    fields.extend(
        PPL_SETS
            .iter()
            .map(|p| Field::new(p.hf_column, DataType::Float64, true)),
    );
    fields.push(Field::new("__index_level_0__", DataType::Int64, true));
    let schema = Arc::new(Schema::new(fields));
    let mut w = writer(&path, Arc::clone(&schema))?;
    for (bi, group) in ppl_ckpts.chunks(BATCH).enumerate() {
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(
                group
                    .iter()
                    .map(|c| Some(SIZES[c.size].label))
                    .collect::<StringArray>(),
            ),
            Arc::new(
                group
                    .iter()
                    .map(|c| Some(RECIPES[c.recipe].display))
                    .collect::<StringArray>(),
            ),
            Arc::new(
                group
                    .iter()
                    .map(|c| Some(c.seed.name))
                    .collect::<StringArray>(),
            ),
            #[allow(clippy::cast_precision_loss, reason = "steps are far below 2^53")]
            Arc::new(
                group
                    .iter()
                    .map(|c| c.step as f64)
                    .collect::<Float64Array>(),
            ),
        ];
        for _ in PPL_SETS.iter() {
            let vals: Float64Array = group
                .iter()
                .map(|c| {
                    let early = c.step == 0 || (c.step <= 1250 && rng.below(2) == 0);
                    if early {
                        f64::NAN
                    } else {
                        5.0 + 100.0 * (1.0 - quality(c)) * (0.5 + rng.unit())
                    }
                })
                .collect();
            cols.push(Arc::new(vals));
        }
        let start = (bi * BATCH) as i64;
        cols.push(Arc::new(
            (0..group.len())
                .map(|i| start + i as i64)
                .collect::<Int64Array>(),
        ));
        summary.ppl_rows += group.len() as u64;
        write(
            &mut w,
            &path,
            &RecordBatch::try_new(Arc::clone(&schema), cols)?,
        )?;
    }
    close(w, &path)?;
    summary.ppl_file = path;
    Ok(summary)
}
