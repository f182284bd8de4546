//! The converter's row model: what one parsed source row becomes before it is written.

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::OnceLock;

use runlake_format::tables::KNOWN_METRICS;
use runlake_vocab::{RECIPES, Recipe, SEEDS, SIZES, Seed, Size, UnknownSpelling};
use smallvec::SmallVec;

/// Number of metrics with their own `evals` column.
pub const N_KNOWN: usize = KNOWN_METRICS.len();

// A row's hash says which known metrics are present in one word, beside the derived flag.
const _: () = assert!(N_KNOWN < 63);

/// The `source` value of each input kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Source {
    /// HF `DataDecide-eval-results`, train split.
    HfTrain,
    /// HF `DataDecide-eval-results`, macro_avg split.
    HfMacroAvg,
    /// HF `DataDecide-ppl-results`.
    HfPpl,
    /// datadec's wide `full_eval` table.
    FullEval,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::HfTrain => "dd_hf_train",
            Source::HfMacroAvg => "dd_hf_macro_avg",
            Source::HfPpl => "dd_hf_ppl",
            Source::FullEval => "datadec_full_eval",
        }
    }
}

/// A pretraining run, as indexes into the vocabulary tables (cheap to hash and copy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunKey {
    pub recipe: u8,
    pub size: u8,
    pub seed: u8,
}

fn position<T>(table: &'static [T], entry: &'static T) -> u8 {
    let i = table
        .iter()
        .position(|e| std::ptr::eq(e, entry))
        .unwrap_or(0);
    u8::try_from(i).unwrap_or(u8::MAX)
}

impl RunKey {
    pub fn new(recipe: &'static Recipe, size: &'static Size, seed: &'static Seed) -> Self {
        Self {
            recipe: position(&RECIPES, recipe),
            size: position(&SIZES, size),
            seed: position(&SEEDS, seed),
        }
    }

    /// Parses the three spellings of a source row.
    pub fn parse(
        recipe: &str,
        size: &str,
        seed: &str,
    ) -> Result<Self, (&'static str, UnknownSpelling)> {
        let recipe = Recipe::parse(recipe).map_err(|e| ("data", e))?;
        let size = Size::parse(size).map_err(|e| ("params", e))?;
        let seed = Seed::parse(seed).map_err(|e| ("seed", e))?;
        Ok(Self::new(recipe, size, seed))
    }

    pub fn recipe(self) -> &'static Recipe {
        &RECIPES[usize::from(self.recipe)]
    }
    pub fn size(self) -> &'static Size {
        &SIZES[usize::from(self.size)]
    }
    pub fn seed(self) -> &'static Seed {
        &SEEDS[usize::from(self.seed)]
    }
    pub fn uid(self) -> String {
        runlake_vocab::pretrain_run_uid(self.recipe(), self.size(), self.seed())
    }
}

/// Where a metric goes: its own `evals` column, or `extra_metrics` under an interned name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Known(usize),
    Extra(&'static str),
}

/// Metric names outside the known columns that recur in every row; interned so that they
/// cost no allocation.
const COMMON_EXTRAS: &[&str] = &[
    "predicted_index_raw",
    "predicted_index_per_token",
    "predicted_index_per_char",
    "predicted_index_per_byte",
    "predicted_index_uncond",
    "correct_logit_per_byte",
    "correct_logit",
    "correct_logit_per_token",
    "correct_logit_per_char",
];

/// The slot table: a fast non-cryptographic hash (names are not adversarial, and the table is
/// fixed), keyed by the table's own `'static` names.
fn slot_entry(name: &str) -> Option<(&'static str, Slot)> {
    static INDEX: OnceLock<foldhash::HashMap<&'static str, Slot>> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            let mut map = foldhash::HashMap::default();
            for (i, m) in KNOWN_METRICS.iter().enumerate() {
                map.entry(*m).or_insert(Slot::Known(i));
            }
            for m in COMMON_EXTRAS {
                map.entry(*m).or_insert(Slot::Extra(m));
            }
            map
        })
        .get_key_value(name)
        .map(|(k, v)| (*k, *v))
}

fn slot(name: &str) -> Option<Slot> {
    slot_entry(name).map(|(_, s)| s)
}

/// The slot of each metric position in the rows one parsing job saw last. Rows of one task
/// list their metrics in one order, so a name usually costs one comparison with the name
/// the row before had there, not a hash lookup.
#[derive(Debug, Default)]
pub struct SlotCache {
    last: Vec<Option<(&'static str, Slot)>>,
}

impl SlotCache {
    #[inline]
    fn slot(&mut self, position: usize, name: &str) -> Option<Slot> {
        if let Some(Some((seen, slot))) = self.last.get(position)
            && *seen == name
        {
            return Some(*slot);
        }
        let found = slot_entry(name);
        if self.last.len() <= position {
            self.last.resize(position + 1, None);
        }
        self.last[position] = found;
        found.map(|(_, s)| s)
    }
}

/// The `evals` column index of a known metric name.
pub fn known_slot(name: &str) -> Option<usize> {
    match slot(name) {
        Some(Slot::Known(i)) => Some(i),
        _ => None,
    }
}

/// One `evals` row before it becomes Arrow.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalRow {
    pub run: RunKey,
    pub step: i64,
    /// Canonical task name.
    pub task: &'static str,
    /// The task as the source spelled it, when that differs from `task` or names a column.
    pub task_alias: Option<String>,
    pub source: Source,
    pub derived: bool,
    pub known: [Option<f64>; N_KNOWN],
    /// Metrics outside the known columns, in source order. Rows mostly carry the common ones
    /// only: held inline, they cost no allocation on the parsing thread and no free on the
    /// converter's, where the row ends.
    pub extra: SmallVec<[(Cow<'static, str>, Option<f64>); COMMON_EXTRAS.len()]>,
    pub details_json: Option<String>,
}

impl EvalRow {
    pub fn new(run: RunKey, step: i64, task: &'static str, source: Source) -> Self {
        Self {
            run,
            step,
            task,
            task_alias: None,
            source,
            derived: false,
            known: [None; N_KNOWN],
            extra: SmallVec::new(),
            details_json: None,
        }
    }

    /// Sets a metric by name: its own column when known, `extra_metrics` otherwise.
    pub fn set_metric(&mut self, name: &str, value: Option<f64>) {
        self.set_slot(slot(name), name, value);
    }

    /// Sets the metric at `position` of its row's metrics, its slot looked up through `cache`.
    #[inline]
    pub fn set_metric_at(
        &mut self,
        cache: &mut SlotCache,
        position: usize,
        name: &str,
        value: Option<f64>,
    ) {
        self.set_slot(cache.slot(position, name), name, value);
    }

    #[inline]
    fn set_slot(&mut self, slot: Option<Slot>, name: &str, value: Option<f64>) {
        match slot {
            Some(Slot::Known(i)) => self.known[i] = value,
            Some(Slot::Extra(c)) => self.push_extra(Cow::Borrowed(c), value),
            None => self.push_extra(Cow::Owned(name.to_owned()), value),
        }
    }

    fn push_extra(&mut self, name: Cow<'static, str>, value: Option<f64>) {
        self.extra.push((name, value));
    }

    pub fn metric(&self, name: &str) -> Option<f64> {
        match known_slot(name) {
            Some(i) => self.known[i],
            None => self
                .extra
                .iter()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| *v),
        }
    }

    /// True when no metric has a value (every one absent, null or NaN).
    pub fn is_empty(&self) -> bool {
        self.known
            .iter()
            .chain(self.extra.iter().map(|(_, v)| v))
            .all(|v| v.is_none_or(f64::is_nan))
    }

    /// Hashes the row's values (not its key), bit-exact, for duplicate detection.
    pub fn hash_values<H: Hasher>(&self, h: &mut H) {
        // The known metrics go in as one write of their bits and a word saying which are
        // present (and whether the row is derived), rather than two writes per metric: every
        // row is hashed, and each write is a round of the hasher.
        let mut bytes = [0u8; 8 * (N_KNOWN + 1)];
        let mut present = u64::from(self.derived) << 63;
        for (i, (v, out)) in self.known.iter().zip(bytes.chunks_exact_mut(8)).enumerate() {
            if let Some(v) = v {
                present |= 1 << i;
                out.copy_from_slice(&v.to_bits().to_le_bytes());
            }
        }
        bytes[8 * N_KNOWN..].copy_from_slice(&present.to_le_bytes());
        h.write(&bytes);
        self.task_alias.hash(h);
        for (k, v) in &self.extra {
            k.hash(h);
            v.map(f64::to_bits).hash(h);
        }
        self.details_json.hash(h);
    }
}

/// What a source row says about its checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CkptFacts {
    pub tokens: Option<f64>,
    pub compute: Option<f64>,
    pub learning_rate: Option<f64>,
    pub cumulative_lr: Option<f64>,
}

impl CkptFacts {
    pub fn hash_values<H: Hasher>(&self, h: &mut H) {
        for v in [
            self.tokens,
            self.compute,
            self.learning_rate,
            self.cumulative_lr,
        ] {
            v.map(f64::to_bits).hash(h);
        }
    }
}

/// Where a row came from: the file and its 0-based row (Parquet) or 1-based line (JSONL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowRef {
    pub file: PathBuf,
    pub row: u64,
    pub is_line: bool,
}

impl fmt::Display for RowRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.is_line { "line" } else { "row" };
        write!(f, "{} {what} {}", self.file.display(), self.row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row_through(cache: &mut SlotCache, pairs: &[(&str, f64)]) -> EvalRow {
        let run = RunKey::new(&RECIPES[0], &SIZES[0], &SEEDS[0]);
        let mut row = EvalRow::new(run, 0, "arc_easy", Source::HfTrain);
        for (position, (name, value)) in pairs.iter().enumerate() {
            row.set_metric_at(cache, position, name, Some(*value));
        }
        row
    }

    fn row_by_name(pairs: &[(&str, f64)]) -> EvalRow {
        let run = RunKey::new(&RECIPES[0], &SIZES[0], &SEEDS[0]);
        let mut row = EvalRow::new(run, 0, "arc_easy", Source::HfTrain);
        for (name, value) in pairs {
            row.set_metric(name, Some(*value));
        }
        row
    }

    #[test]
    fn cached_slots_follow_names_that_move_between_rows() {
        let rows: [&[(&str, f64)]; 4] = [
            &[("acc_raw", 1.0), ("predicted_index_raw", 2.0), ("odd", 3.0)],
            // Every name one position later, and a name the table lacks where one it has was.
            &[("odd", 4.0), ("acc_raw", 5.0), ("predicted_index_raw", 6.0)],
            &[("acc_per_char", 7.0), ("acc_raw", 8.0)],
            &[
                ("acc_raw", 9.0),
                ("predicted_index_raw", 10.0),
                ("odd", 11.0),
            ],
        ];
        let mut cache = SlotCache::default();
        for pairs in rows {
            assert_eq!(
                row_through(&mut cache, pairs),
                row_by_name(pairs),
                "{pairs:?}"
            );
        }
    }
}
