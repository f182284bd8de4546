//! The 14 model sizes, their parameter counts and checkpoint schedules.

use crate::error::UnknownSpelling;

/// Tokens per sequence; every size trains on `batch * 2048` tokens per step.
pub const SEQUENCE_LENGTH: u64 = 2048;

/// One model size. `label` is the canonical key.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Size {
    /// `4M` ... `1B`, as in the HF datasets and repo names.
    pub label: &'static str,
    /// The count the label stands for (4M -> 4,000,000).
    pub params_nominal: u64,
    /// The count used for training and in the DataDecide paper table (150M -> 151.9M); also
    /// what post-training configs record as `model_size`.
    pub params_training: u64,
    /// The exact count, where the public sources give one (datadec `HARDCODED_SIZE_MAPPING`
    /// holds exact counts up to 90M and nominal values above).
    pub params_exact: Option<u64>,
    /// Sequences per batch.
    pub batch_size: u64,
    /// The last training step.
    pub final_step: u64,
    /// The last step with full eval coverage (datadec `constants.py` `MAX_STEP_TO_USE`):
    /// datadec's final checkpoint of the size.
    pub max_step_to_use: u64,
    /// Steps between regular checkpoints.
    pub checkpoint_interval: u64,
}

/// A size's checkpoint schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub batch_size: u64,
    pub final_step: u64,
    /// `batch_size * 2048`.
    pub tokens_per_step: u64,
    pub checkpoint_interval: u64,
}

impl Schedule {
    /// Tokens seen after `step` steps.
    pub fn tokens_at(&self, step: u64) -> u64 {
        step * self.tokens_per_step
    }
}

impl Size {
    /// Looks a size up by its label (`150M`, `1B`).
    pub fn parse(label: &str) -> Result<&'static Size, UnknownSpelling> {
        SIZES
            .iter()
            .find(|s| s.label == label)
            .ok_or_else(|| UnknownSpelling::new("size", label))
    }

    /// Looks a size up by its label in any case (`150m`, `1b`), as people type them; the
    /// labels differ in more than case, so this is never ambiguous.
    pub fn parse_any_case(label: &str) -> Result<&'static Size, UnknownSpelling> {
        SIZES
            .iter()
            .find(|s| s.label.eq_ignore_ascii_case(label.trim()))
            .ok_or_else(|| UnknownSpelling::new("size", label))
    }

    /// Every size, smallest first.
    pub fn all() -> &'static [Size] {
        &SIZES
    }

    pub fn schedule(&self) -> Schedule {
        Schedule {
            batch_size: self.batch_size,
            final_step: self.final_step,
            tokens_per_step: self.batch_size * SEQUENCE_LENGTH,
            checkpoint_interval: self.checkpoint_interval,
        }
    }

    /// Whether this size was trained with the large auxiliary seeds (only 1B).
    pub fn has_large_seeds(&self) -> bool {
        self.label == "1B"
    }
}

macro_rules! size {
    ($label:literal, $nominal:expr, $training:expr, $exact:expr, $batch:expr, $final:expr,
     $max:expr, $interval:expr) => {
        Size {
            label: $label,
            params_nominal: $nominal,
            params_training: $training,
            params_exact: $exact,
            batch_size: $batch,
            final_step: $final,
            max_step_to_use: $max,
            checkpoint_interval: $interval,
        }
    };
}

/// The table. Columns: label, nominal, training and exact parameter counts, batch, final step,
/// max step to use, checkpoint interval.
pub static SIZES: [Size; 14] = [
    size!(
        "4M",
        4_000_000,
        3_700_000,
        Some(3_744_832),
        32,
        5725,
        5725,
        1250
    ),
    size!(
        "6M",
        6_000_000,
        6_000_000,
        Some(6_010_464),
        32,
        9182,
        9182,
        1250
    ),
    size!(
        "8M",
        8_000_000,
        8_500_000,
        Some(8_538_240),
        32,
        13039,
        13039,
        1250
    ),
    size!(
        "10M",
        10_000_000,
        9_900_000,
        Some(9_900_432),
        32,
        15117,
        15117,
        1250
    ),
    size!(
        "14M",
        14_000_000,
        14_400_000,
        Some(14_380_224),
        32,
        21953,
        21953,
        1250
    ),
    size!(
        "16M",
        16_000_000,
        16_000_000,
        Some(16_004_560),
        32,
        24432,
        24432,
        1250
    ),
    size!(
        "20M",
        20_000_000,
        19_100_000,
        Some(19_101_888),
        64,
        14584,
        14584,
        1250
    ),
    size!(
        "60M",
        60_000_000,
        57_100_000,
        Some(57_078_144),
        96,
        29042,
        29042,
        1250
    ),
    size!(
        "90M",
        90_000_000,
        97_900_000,
        Some(97_946_640),
        160,
        29901,
        29901,
        1250
    ),
    size!(
        "150M",
        150_000_000,
        151_900_000,
        None,
        192,
        38157,
        37500,
        1250
    ),
    size!(
        "300M",
        300_000_000,
        320_000_000,
        None,
        320,
        45787,
        45000,
        1250
    ),
    size!(
        "530M",
        530_000_000,
        530_100_000,
        None,
        448,
        57786,
        51250,
        1250
    ),
    size!(
        "750M",
        750_000_000,
        681_300_000,
        None,
        576,
        63589,
        62500,
        1250
    ),
    size!(
        "1B",
        1_000_000_000,
        1_176_800_000,
        None,
        704,
        69369,
        67500,
        2500
    ),
];
