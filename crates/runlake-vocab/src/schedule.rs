//! What datadec derives from a model size: its shape, batch, token budget and learning-rate
//! schedule (datadec `constants.py` and `model_utils.py`, drothermel/datadec at 6207b06).
//!
//! datadec computes these from formulas rather than reading them from the runs, and its
//! `full_eval` table carries the results (`total_steps`, `warmup_steps`, `lr_max`,
//! `batch_size`, `lr_at_step`, `cumulative_lr`). They are reproduced here so a lake built from
//! the HF exports alone has the same values.

use crate::sizes::{SEQUENCE_LENGTH, Size};

/// datadec `MODEL_SIZE_NORM_VALUE`: the size the batch and learning-rate laws are normalised to.
pub const MODEL_SIZE_NORM_VALUE: f64 = 108_000_000.0;
/// datadec `LR_MAX_BASE`: peak learning rate at the normalising size.
pub const LR_MAX_BASE: f64 = 0.0047;
/// datadec `LR_EXPONENT`: peak learning rate scales as size^(-1/3).
pub const LR_EXPONENT: f64 = -1.0 / 3.0;
/// datadec `LR_FINAL_RATIO`: the cosine decays to 1% of the peak.
pub const LR_FINAL_RATIO: f64 = 0.01;
/// datadec `MODEL_CONFIG_BASE["lr_warmup_start"]`: warmup starts from zero.
pub const LR_WARMUP_START: f64 = 0.0;
/// datadec `BS_COEFFICIENT`: batch (sequences) at the normalising size.
pub const BS_COEFFICIENT: f64 = 160.0;
/// datadec `BS_EXPONENT`: batch scales as size^(2/3).
pub const BS_EXPONENT: f64 = 2.0 / 3.0;
/// datadec `GPUS_PER_NODE * MICROBATCH_SIZE` (8 * 4): batches are rounded to a multiple of it.
pub const BATCH_ROUNDING: u64 = 8 * 4;
/// datadec `MODEL_CONFIG_BASE["length_str"]` (`5xC`) times `TOKEN_LEN_XC_MULTIPLIER` (20):
/// every size trains on 100 tokens per parameter.
pub const TOKENS_PER_PARAM: u64 = 5 * 20;

/// A size's model shape and training schedule as datadec's `create_model_config` derives them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelConfig {
    /// datadec `MODEL_SHAPES`.
    pub d_model: u32,
    pub n_heads: u32,
    pub n_layers: u32,
    pub mlp_ratio: u32,
    /// datadec `HARDCODED_SIZE_MAPPING`: the count every formula below starts from.
    pub true_model_size: u64,
    /// Sequences per batch.
    pub batch_size: u64,
    pub total_tokens: u64,
    /// datadec's `total_steps` (`ceil(total_tokens / tokens per step)`); the runs themselves
    /// stopped at [`Size::final_step`], which can differ by a few steps.
    pub total_steps: u64,
    pub warmup_tokens: u64,
    pub warmup_steps: u64,
    pub lr_max: f64,
    pub lr_final: f64,
    pub lr_decay_steps: u64,
}

/// (label, d_model, n_heads, n_layers, mlp_ratio): datadec `MODEL_SHAPES`.
const SHAPES: [(&str, u32, u32, u32, u32); 14] = [
    ("4M", 64, 8, 8, 8),
    ("6M", 96, 8, 8, 8),
    ("8M", 128, 8, 8, 8),
    ("10M", 144, 8, 8, 8),
    ("14M", 192, 8, 8, 8),
    ("16M", 208, 8, 8, 8),
    ("20M", 192, 8, 16, 8),
    ("60M", 384, 12, 16, 8),
    ("90M", 528, 12, 16, 8),
    ("150M", 768, 12, 12, 8),
    ("300M", 1024, 16, 16, 8),
    ("530M", 1344, 16, 16, 8),
    ("750M", 1536, 16, 16, 8),
    ("1B", 2048, 16, 16, 8),
];

/// `ceil(a / b)` for positive integers.
fn div_ceil(a: u64, b: u64) -> u64 {
    a.div_ceil(b.max(1))
}

#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "parameter and token counts are far below 2^53, and the rounded values positive"
)]
impl Size {
    /// The parameter count in the HF eval-results export's `compute` column
    /// (`6 * N * tokens`): the exact count where the export shows it (every size up to 90M as
    /// in datadec's `HARDCODED_SIZE_MAPPING`; 150M and 530M read off the export's own
    /// compute/tokens), the training count (within 0.1% of it) for the rest.
    pub fn compute_params(&self) -> u64 {
        match self.label {
            "150M" => 151_898_880,
            "530M" => 530_074_944,
            _ => self.params_exact.unwrap_or(self.params_training),
        }
    }

    /// Training FLOPs after `tokens` tokens as the HF eval-results export states them; datadec
    /// scales the export's compute per step the same way for checkpoints it does not list.
    pub fn compute_at(&self, tokens: u64) -> f64 {
        6.0 * self.compute_params() as f64 * tokens as f64
    }

    /// datadec's model config for this size.
    pub fn model_config(&self) -> ModelConfig {
        // HARDCODED_SIZE_MAPPING: exact counts up to 90M, nominal above.
        let n = self.params_exact.unwrap_or(self.params_nominal);
        let nf = n as f64;
        let raw_batch = BS_COEFFICIENT * (nf / MODEL_SIZE_NORM_VALUE).powf(BS_EXPONENT);
        let batch_size = ((raw_batch / BATCH_ROUNDING as f64).round() as u64) * BATCH_ROUNDING;
        let tokens_per_step = batch_size * SEQUENCE_LENGTH;
        let total_tokens = TOKENS_PER_PARAM * n;
        let warmup_tokens = (nf / (batch_size as f64 / SEQUENCE_LENGTH as f64)).round() as u64;
        let total_steps = div_ceil(total_tokens, tokens_per_step);
        let warmup_steps = div_ceil(warmup_tokens, tokens_per_step);
        let lr_max = LR_MAX_BASE * (nf / MODEL_SIZE_NORM_VALUE).powf(LR_EXPONENT);
        let shape = SHAPES
            .iter()
            .find(|s| s.0 == self.label)
            .copied()
            .unwrap_or(("", 0, 0, 0, 0));
        ModelConfig {
            d_model: shape.1,
            n_heads: shape.2,
            n_layers: shape.3,
            mlp_ratio: shape.4,
            true_model_size: n,
            batch_size,
            total_tokens,
            total_steps,
            warmup_tokens,
            warmup_steps,
            lr_max,
            lr_final: LR_FINAL_RATIO * lr_max,
            lr_decay_steps: total_steps.saturating_sub(warmup_steps),
        }
    }
}

#[allow(clippy::cast_precision_loss, reason = "step counts are far below 2^53")]
impl ModelConfig {
    /// datadec `get_lr_at_step`: linear warmup from zero, then a cosine from `lr_max` to
    /// `lr_final` over `lr_decay_steps`, flat after.
    pub fn lr_at_step(&self, step: u64) -> f64 {
        if step <= self.warmup_steps {
            let w = self.warmup_steps.max(1) as f64;
            return LR_WARMUP_START + (self.lr_max - LR_WARMUP_START) * step as f64 / w;
        }
        let decay = (step - self.warmup_steps).min(self.lr_decay_steps);
        if decay >= self.lr_decay_steps {
            return self.lr_final;
        }
        self.cosine(decay as f64)
    }

    fn cosine(&self, t: f64) -> f64 {
        let d = self.lr_decay_steps.max(1) as f64;
        self.lr_final
            + 0.5 * (self.lr_max - self.lr_final) * (1.0 + (std::f64::consts::PI * t / d).cos())
    }

    /// datadec `calculate_cumulative_lr`: the area under the schedule up to `step`, the warmup
    /// exactly and the cosine part by the trapezoid rule on whole steps (as datadec's
    /// `numerical_cosine_integral`), here in closed form so it costs O(1) per checkpoint.
    pub fn cumulative_lr(&self, step: u64) -> f64 {
        if step == 0 {
            return 0.0;
        }
        let w = self.warmup_steps.max(1) as f64;
        let ramp =
            |t: f64| LR_WARMUP_START * t + (self.lr_max - LR_WARMUP_START) * t * t / (2.0 * w);
        if step <= self.warmup_steps {
            return ramp(step as f64);
        }
        let warm = ramp(self.warmup_steps as f64);
        let decay = (step - self.warmup_steps).min(self.lr_decay_steps);
        if decay == 0 {
            return warm;
        }
        warm + self.cosine_trapezoid(decay)
    }

    /// Trapezoid sum of the cosine part over t = 0..=k: the plain sum of f(0..=k) minus half of
    /// each end point. The cosine sum is `sin((k+1)a/2) cos(k a/2) / sin(a/2)` with
    /// `a = pi / lr_decay_steps`.
    fn cosine_trapezoid(&self, k: u64) -> f64 {
        let d = self.lr_decay_steps.max(1) as f64;
        let a = std::f64::consts::PI / d;
        let kf = k as f64;
        let cos_sum = ((kf + 1.0) * a / 2.0).sin() * (kf * a / 2.0).cos() / (a / 2.0).sin();
        let amp = 0.5 * (self.lr_max - self.lr_final);
        let plain = (kf + 1.0) * (self.lr_final + amp) + amp * cos_sum;
        plain - 0.5 * (self.cosine(0.0) + self.cosine(kf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SIZES;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn batch_law_reproduces_every_trained_batch() {
        for s in &SIZES {
            assert_eq!(s.model_config().batch_size, s.batch_size, "{}", s.label);
        }
    }

    /// Values from datadec's `full_eval` as its pipeline wrote them (the dr_ingest fixture).
    #[test]
    fn matches_datadec_full_eval() {
        let cases = [
            ("150M", 38147, 4070, 0.004213, 1250, 0.001294, 0.808607),
            ("150M", 38147, 4070, 0.004213, 3750, 0.003881, 7.277465),
            ("4M", 5715, 3658, 0.014413, 3750, 0.014343, 27.685679),
            ("530M", 57766, 2641, 0.002766, 3750, 0.002763, 6.718393),
        ];
        for (label, total, warmup, lr_max, step, lr, cum) in cases {
            let c = Size::parse(label).expect("size").model_config();
            assert_eq!(c.total_steps, total, "{label}");
            assert_eq!(c.warmup_steps, warmup, "{label}");
            assert!(close(c.lr_max, lr_max, 1e-3), "{label}: {}", c.lr_max);
            assert!(close(c.lr_at_step(step), lr, 1e-3), "{label} {step}");
            assert!(close(c.cumulative_lr(step), cum, 1e-6), "{label} {step}");
        }
    }

    #[test]
    fn closed_form_equals_the_trapezoid_loop() {
        for s in &SIZES {
            let c = s.model_config();
            for k in [1, 2, 17, c.lr_decay_steps / 2, c.lr_decay_steps] {
                let mut sum = 0.0;
                for t in 0..k {
                    sum += 0.5 * (c.cosine(t as f64) + c.cosine((t + 1) as f64));
                }
                assert!(close(c.cosine_trapezoid(k), sum, 1e-10), "{} {k}", s.label);
            }
        }
    }

    #[test]
    fn schedule_ends_flat_at_the_final_rate() {
        let c = Size::parse("1B").expect("size").model_config();
        assert_eq!(c.lr_at_step(0), 0.0);
        assert!(close(c.lr_at_step(c.warmup_steps), c.lr_max, 1e-12));
        assert_eq!(c.lr_at_step(c.total_steps + 500), c.lr_final);
        assert_eq!(
            c.cumulative_lr(c.total_steps),
            c.cumulative_lr(c.total_steps + 500)
        );
        assert_eq!((c.d_model, c.n_heads, c.n_layers), (2048, 16, 16));
    }

    #[test]
    fn compute_is_six_training_params_per_token() {
        // Step 1250 in the HF export (the dr_ingest fixture), exact to the FLOP.
        for (label, flops) in [
            ("4M", 1_840_659_824_640_000.0),
            ("150M", 4.479680249856e17),
            ("530M", 3.64759411064832e18),
        ] {
            let s = Size::parse(label).expect("size");
            assert_eq!(s.compute_at(s.schedule().tokens_at(1250)), flops, "{label}");
        }
    }
}
