//! The ft-scaling run-name grammar: what a post-training run's name says about its starting
//! checkpoint and hyperparameters.
//!
//! Forms seen (leading timestamp `YYMMDD-HHMMSS_` or `YYYY_MM_DD-HH_MM_SS_`):
//! - `..._DD-<recipe>-<size>-<step>-<seed ordinal>` (an intermediate checkpoint);
//! - `..._DD-<recipe>-<size>_main_...` (the final checkpoint) and `..._DD-<recipe>-<size>_Ft_...`
//!   (a full fine-tune; the checkpoint step is not stated);
//! - DPO: `..._dpo_..._dd__<recipe>-<size>__main__<N>Mt_lr=<parent lr>_<seed>_--learning_rate=<lr>`;
//! - the oldest: `..._allenai--DataDecide-<recipe>-<size>_main_default`;
//! - matched runs: `<ts>_match_<size>_<metric>_finetune_...`.
//!
//! Recipes keep their dashes (`dclm-baseline`): a size (`\d+[MB]`) ends the recipe. Token
//! counts such as `100Mt` are `100 × 10^6` tokens (an earlier parser read them as 10^14).

use std::sync::LazyLock;

use regex::Regex;

/// What a run name states.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunName {
    /// The leading timestamp, as written.
    pub timestamp: Option<String>,
    /// The experiment name between the timestamp and the checkpoint block.
    pub exp_name: Option<String>,
    /// dr_ingest's run types: `simple_ft`, `simple_ft_vary_tokens`, `matched`, `dpo`, `old`.
    pub run_type: Option<&'static str>,
    /// Which grammar form matched: `dd_full`, `dd_main`, `dd_ft`, `dd_dpo`, `datadecide_repo`.
    pub form: Option<&'static str>,
    /// The recipe as spelled in the name.
    pub recipe: Option<String>,
    /// The size as spelled.
    pub size: Option<String>,
    /// `main` or a step number, as spelled; `None` when not stated (`_Ft_`).
    pub step: Option<String>,
    /// The seed as spelled: an ordinal (`2`) or a word (`default`).
    pub seed: Option<String>,
    /// Fine-tuning tokens per epoch (`100Mtx1` → 1e8).
    pub finetune_tokens_per_epoch: Option<f64>,
    /// Fine-tuning epochs (`100Mtx1` → 1).
    pub finetune_epochs: Option<i64>,
    /// Total fine-tuning tokens (`100Mt`, `100M_toks` → 1e8).
    pub finetune_tokens: Option<f64>,
    /// This run's learning rate, as spelled.
    pub lr: Option<String>,
    /// The parent run's learning rate carried in a DPO name (`lr=5e-06`), as spelled.
    pub parent_lr: Option<String>,
    /// Matched runs: the size compared against.
    pub comparison_size: Option<String>,
    /// Matched runs: the metric compared on.
    pub comparison_metric: Option<String>,
    /// The name mentions DPO.
    pub is_dpo: bool,
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("static regex")
}

static TIMESTAMP: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(\d{6}-\d{6}|\d{4}_\d{2}_\d{2}-\d{2}_\d{2}_\d{2})_"));
static DD_FULL: LazyLock<Regex> = LazyLock::new(|| re(r"DD-(.+?)-(\d+[MB])-(\d+)-(\d+)(?:_|$)"));
static DD_WORD: LazyLock<Regex> =
    LazyLock::new(|| re(r"DD-(.+?)-(\d+[MB])(?:_(main|Ft)(?:_|$)|$)"));
static DD_DPO: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"dd__(.+?)-(\d+[MB])__(main|\d+)__(?:(\d+(?:\.\d+)?)([KMB])t_)?(?:lr=([0-9.eE+-]+?)_)?(?:(default|small_aux_\d|large_aux_\d|\d)(?:_|$))?",
    )
});
static DD_REPO: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"allenai--DataDecide-(.+?)-(\d+[MB])(?:_(main|step\d+))?(?:_(default|small-aux-\d|large-aux-\d))?(?:_|$)",
    )
});
static TOKENS_EPOCHS: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:^|_)(\d+(?:\.\d+)?)([KMB])tx(\d+)(?:_|$)"));
static TOKENS_WORD: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:^|_)(\d+(?:\.\d+)?)([KMB])_toks(?:_|$)"));
static LR_FLAG: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:^|_)-{0,2}learning_rate=([0-9.]+(?:[eE][+-]?\d+)?)"));
static MATCHED: LazyLock<Regex> =
    LazyLock::new(|| re(r"^match_(\d+[MB])_([A-Za-z0-9]+(?:_[A-Za-z0-9]+)*?)_finetune(?:_|$)"));

fn scale(unit: &str) -> f64 {
    match unit {
        "K" => 1e3,
        "M" => 1e6,
        _ => 1e9,
    }
}

fn tokens(count: &str, unit: &str) -> Option<f64> {
    count.parse::<f64>().ok().map(|c| c * scale(unit))
}

/// Parses a run name; fields the name does not state stay `None`.
pub fn parse(name: &str) -> RunName {
    let mut out = RunName::default();
    let rest = match TIMESTAMP.captures(name) {
        Some(c) => {
            out.timestamp = c.get(1).map(|m| m.as_str().to_owned());
            &name[c.get(0).map_or(0, |m| m.end())..]
        }
        None => name,
    };
    out.is_dpo = rest.to_ascii_lowercase().contains("dpo");
    let text = |c: &regex::Captures<'_>, i: usize| c.get(i).map(|m| m.as_str().to_owned());

    let block_start;
    if let Some(c) = DD_DPO.captures(rest) {
        out.form = Some("dd_dpo");
        out.recipe = text(&c, 1);
        out.size = text(&c, 2);
        out.step = text(&c, 3);
        if let (Some(n), Some(u)) = (c.get(4), c.get(5)) {
            out.finetune_tokens = tokens(n.as_str(), u.as_str());
        }
        out.parent_lr = text(&c, 6);
        out.seed = text(&c, 7);
        block_start = c.get(0).map_or(0, |m| m.start());
    } else if let Some(c) = DD_FULL.captures(rest) {
        out.form = Some("dd_full");
        out.recipe = text(&c, 1);
        out.size = text(&c, 2);
        out.step = text(&c, 3);
        out.seed = text(&c, 4);
        block_start = c.get(0).map_or(0, |m| m.start());
    } else if let Some(c) = DD_WORD.captures(rest) {
        out.recipe = text(&c, 1);
        out.size = text(&c, 2);
        match c.get(3).map(|m| m.as_str()) {
            Some("main") => {
                out.form = Some("dd_main");
                out.step = Some("main".into());
            }
            _ => out.form = Some("dd_ft"),
        }
        block_start = c.get(0).map_or(0, |m| m.start());
    } else if let Some(c) = DD_REPO.captures(rest) {
        out.form = Some("datadecide_repo");
        out.recipe = text(&c, 1);
        out.size = text(&c, 2);
        out.step = text(&c, 3);
        out.seed = text(&c, 4);
        block_start = c.get(0).map_or(0, |m| m.start());
    } else {
        block_start = rest.len();
    }
    let exp = rest[..block_start].trim_end_matches('_');
    if !exp.is_empty() {
        out.exp_name = Some(exp.to_owned());
    }

    if let Some(c) = TOKENS_EPOCHS.captures(rest) {
        if let (Some(n), Some(u)) = (c.get(1), c.get(2)) {
            out.finetune_tokens_per_epoch = tokens(n.as_str(), u.as_str());
        }
        out.finetune_epochs = c.get(3).and_then(|m| m.as_str().parse().ok());
    } else if out.finetune_tokens.is_none()
        && let Some(c) = TOKENS_WORD.captures(rest)
        && let (Some(n), Some(u)) = (c.get(1), c.get(2))
    {
        out.finetune_tokens = tokens(n.as_str(), u.as_str());
    }
    out.lr = LR_FLAG
        .captures_iter(rest)
        .last()
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_owned());
    if let Some(c) = MATCHED.captures(rest) {
        out.exp_name = Some("match".into());
        out.comparison_size = text(&c, 1);
        out.comparison_metric = text(&c, 2);
    }

    out.run_type = if out.is_dpo {
        Some("dpo")
    } else if out.form == Some("datadecide_repo") {
        Some("old")
    } else if out.comparison_size.is_some() {
        Some("matched")
    } else if out.form.is_some()
        && (out.finetune_tokens_per_epoch.is_some() || out.finetune_tokens.is_some())
    {
        Some("simple_ft_vary_tokens")
    } else if out.form.is_some() {
        Some("simple_ft")
    } else {
        None
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_six_real_name_forms() {
        let a = parse("250912-172812_match_150M_c4_finetune_100Mtx1_DD-d17-530M-6250-2");
        assert_eq!(a.run_type, Some("matched"));
        assert_eq!(a.timestamp.as_deref(), Some("250912-172812"));
        assert_eq!(a.exp_name.as_deref(), Some("match"));
        assert_eq!(a.comparison_size.as_deref(), Some("150M"));
        assert_eq!(a.comparison_metric.as_deref(), Some("c4"));
        assert_eq!(a.finetune_tokens_per_epoch, Some(1e8));
        assert_eq!(a.finetune_epochs, Some(1));
        assert_eq!(
            (
                a.recipe.as_deref(),
                a.size.as_deref(),
                a.step.as_deref(),
                a.seed.as_deref()
            ),
            (Some("d17"), Some("530M"), Some("6250"), Some("2"))
        );

        let dpo = parse(
            "2025_08_27-07_52_26_test_dpo_tune_cache_dd__dolma1_7-4M__main__100Mt_lr=5e-06_default_--learning_rate=2e-07",
        );
        assert_eq!(dpo.run_type, Some("dpo"));
        assert_eq!(dpo.exp_name.as_deref(), Some("test_dpo_tune_cache"));
        assert_eq!(dpo.recipe.as_deref(), Some("dolma1_7"));
        assert_eq!(dpo.size.as_deref(), Some("4M"));
        assert_eq!(dpo.step.as_deref(), Some("main"));
        assert_eq!(dpo.seed.as_deref(), Some("default"));
        // 100 million tokens, not 1e14.
        assert_eq!(dpo.finetune_tokens, Some(1e8));
        assert_eq!(dpo.parent_lr.as_deref(), Some("5e-06"));
        assert_eq!(dpo.lr.as_deref(), Some("2e-07"));

        let ft1 = parse(
            "2025_08_21-08_24_43_test_finetune_DD-dolma1_7-4M_main_1Mtx1_--learning_rate=5e-07",
        );
        assert_eq!(ft1.run_type, Some("simple_ft_vary_tokens"));
        assert_eq!(ft1.step.as_deref(), Some("main"));
        assert_eq!(ft1.finetune_tokens_per_epoch, Some(1e6));
        assert_eq!(ft1.lr.as_deref(), Some("5e-07"));

        let ft4 =
            parse("2025_08_30-16_54_48_test_finetune_DD-dolma1_7-4M_Ft_--learning_rate=5e-05");
        assert_eq!(ft4.run_type, Some("simple_ft"));
        assert_eq!(ft4.form, Some("dd_ft"));
        assert_eq!(ft4.step, None);
        assert_eq!(ft4.lr.as_deref(), Some("5e-05"));

        let ft5 = parse("250901-155734_test_finetune_DD-dclm-baseline-150M_Ft_learning_rate=5e-05");
        assert_eq!(ft5.recipe.as_deref(), Some("dclm-baseline"));
        assert_eq!(ft5.size.as_deref(), Some("150M"));
        assert_eq!(ft5.lr.as_deref(), Some("5e-05"));

        let old = parse("2025_08_18-22_30_05_allenai--DataDecide-dolma1_7-4M_main_default");
        assert_eq!(old.run_type, Some("old"));
        assert_eq!(old.recipe.as_deref(), Some("dolma1_7"));
        assert_eq!(old.step.as_deref(), Some("main"));
        assert_eq!(old.seed.as_deref(), Some("default"));
    }

    #[test]
    fn mix_recipes_keep_their_dashes_and_unknown_names_state_nothing() {
        let n = parse("250101-000000_x_DD-dclm-baseline-25p-dolma1.7-75p-1B-2500-3");
        assert_eq!(n.recipe.as_deref(), Some("dclm-baseline-25p-dolma1.7-75p"));
        assert_eq!(n.size.as_deref(), Some("1B"));
        assert_eq!(n.step.as_deref(), Some("2500"));
        let c = parse(
            "2025_08_21-15_03_00_test_finetune_DD-dolma1_7-4M_main_100M_toks_--learning_rate=5e-06",
        );
        assert_eq!(c.finetune_tokens, Some(1e8));
        assert_eq!(c.step.as_deref(), Some("main"));
        let plain = parse("sweet-sun-12");
        assert_eq!(
            (plain.run_type, plain.form, plain.recipe),
            (None, None, None)
        );
        assert_eq!(plain.exp_name.as_deref(), Some("sweet-sun-12"));
    }
}
