//! The 25 DataDecide pretraining data recipes and their spellings.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::error::UnknownSpelling;
use crate::lookup;

/// One data recipe. `slug` is the canonical key (the one in `run_uid`s).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Recipe {
    /// HF checkpoint repo slug, as in `allenai/DataDecide-<slug>-<size>`; the canonical key.
    pub slug: &'static str,
    /// Display name, as in the `data` column of the HF eval and ppl datasets.
    pub display: &'static str,
    /// Recipe family (datadec `DATA_RECIPE_FAMILIES`).
    pub family: &'static str,
    /// Internal training names (weka checkpoint paths, AI2 WandB runs, signal-and-noise); the
    /// first is the main one.
    pub internal: &'static [&'static str],
    /// Short name used in post-training run names (`DD-d17-530M-...`), where one exists.
    pub run_name_short: Option<&'static str>,
    /// Folder name in the eval-instances archives.
    pub archive: &'static str,
    /// dr_ingest's normalized key.
    pub normalized: &'static str,
    /// Other spellings seen in the wild (comma-less csv names, inverted-order mix aliases).
    pub aliases: &'static [&'static str],
}

impl Recipe {
    /// Every spelling that names this recipe.
    pub fn spellings(&self) -> Vec<&'static str> {
        let mut out = vec![self.slug, self.display, self.archive, self.normalized];
        out.extend(self.internal);
        out.extend(self.run_name_short);
        out.extend(self.aliases);
        out
    }

    /// Looks a recipe up by any of its spellings (exact match).
    pub fn parse(spelling: &str) -> Result<&'static Recipe, UnknownSpelling> {
        static INDEX: OnceLock<HashMap<&'static str, usize>> = OnceLock::new();
        let index = INDEX.get_or_init(|| lookup::index(&RECIPES, Recipe::spellings));
        index
            .get(spelling)
            .map(|&i| &RECIPES[i])
            .ok_or_else(|| UnknownSpelling::new("recipe", spelling))
    }

    /// Looks a recipe up by any of its spellings in any case (`d17`, `DCLM-Baseline (QC 7%,
    /// FW2)`, `Dolma17-75p-DCLM-baseline-25p`), as run names and launcher configs write them.
    /// No two recipes share a spelling even ignoring case, so this is never ambiguous.
    pub fn parse_any_case(spelling: &str) -> Result<&'static Recipe, UnknownSpelling> {
        static INDEX: OnceLock<HashMap<String, usize>> = OnceLock::new();
        let index = INDEX.get_or_init(|| {
            let mut map = HashMap::new();
            for (i, r) in RECIPES.iter().enumerate() {
                for s in r.spellings() {
                    map.entry(s.to_ascii_lowercase()).or_insert(i);
                }
            }
            map
        });
        index
            .get(&spelling.trim().to_ascii_lowercase())
            .map(|&i| &RECIPES[i])
            .ok_or_else(|| UnknownSpelling::new("recipe", spelling))
    }

    /// Every recipe, in the order of datadec's families.
    pub fn all() -> &'static [Recipe] {
        &RECIPES
    }
}

macro_rules! recipe {
    ($slug:literal, $display:literal, $family:literal, [$($internal:literal),+], $short:expr,
     $archive:literal, $normalized:literal, [$($alias:literal),*]) => {
        Recipe {
            slug: $slug,
            display: $display,
            family: $family,
            internal: &[$($internal),+],
            run_name_short: $short,
            archive: $archive,
            normalized: $normalized,
            aliases: &[$($alias),*],
        }
    };
}

/// The table. Columns: HF slug, display name, family, internal names, run-name short, archive
/// folder, dr_ingest key, other aliases.
pub static RECIPES: [Recipe; 25] = [
    recipe!(
        "dolma1_7",
        "Dolma1.7",
        "dolma17",
        ["dolma17", "baseline"],
        Some("d17"),
        "dolma1.7",
        "dolma17",
        []
    ),
    recipe!(
        "dolma1_7-no-code",
        "Dolma1.7 (no code)",
        "dolma17",
        ["no_code"],
        None,
        "dolma1.7-no-code",
        "dolma17_no_code",
        []
    ),
    recipe!(
        "dolma1_7-no-math-code",
        "Dolma1.7 (no math, code)",
        "dolma17",
        ["no_math_no_code"],
        None,
        "dolma1.7-no-math-no-code",
        "dolma17_no_math_code",
        ["Dolma1.7 (no math code)"]
    ),
    recipe!(
        "dolma1_7-no-reddit",
        "Dolma1.7 (no Reddit)",
        "dolma17",
        ["no_reddit"],
        None,
        "dolma1.7-no-reddit",
        "dolma17_no_reddit",
        []
    ),
    recipe!(
        "dolma1_7-no-flan",
        "Dolma1.7 (no Flan)",
        "dolma17",
        ["no_flan"],
        None,
        "dolma1.7-no-flan",
        "dolma17_no_flan",
        []
    ),
    recipe!(
        "dolma1_6plus",
        "Dolma1.6++",
        "dolma16pp",
        ["dolma-v1-6-and-sources-baseline"],
        None,
        "dolma1.6++",
        "dolma16",
        []
    ),
    recipe!("c4", "C4", "c4", ["c4"], None, "c4", "c4", []),
    recipe!(
        "fineweb-pro",
        "FineWeb-Pro",
        "fineweb",
        ["prox_fineweb_pro"],
        None,
        "fineweb-pro",
        "fineweb_pro",
        []
    ),
    recipe!(
        "fineweb-edu",
        "FineWeb-Edu",
        "fineweb",
        ["fineweb_edu_dedup"],
        None,
        "fineweb-edu",
        "fineweb_edu",
        []
    ),
    recipe!(
        "falcon",
        "Falcon",
        "falcon",
        ["falcon"],
        None,
        "falcon",
        "falcon",
        []
    ),
    recipe!(
        "falcon-and-cc",
        "Falcon+CC",
        "falcon_cc",
        ["falcon_and_cc"],
        None,
        "falcon-with-cc",
        "falcon_cc",
        []
    ),
    recipe!(
        "falcon-and-cc-qc-10p",
        "Falcon+CC (QC 10%)",
        "falcon_cc",
        ["falcon_and_cc_eli5_oh_top10p"],
        None,
        "falcon-with-cc-top-10p",
        "falcon_cc_qc_10",
        []
    ),
    recipe!(
        "falcon-and-cc-qc-20p",
        "Falcon+CC (QC 20%)",
        "falcon_cc",
        ["falcon_and_cc_eli5_oh_top20p"],
        None,
        "falcon-with-cc-top-20p",
        "falcon_cc_qc_20",
        []
    ),
    recipe!(
        "falcon-and-cc-qc-orig-10p",
        "Falcon+CC (QC Orig 10%)",
        "falcon_cc",
        ["falcon_and_cc_og_eli5_oh_top10p"],
        None,
        "falcon-with-cc-top-orig-10p",
        "falcon_cc_qc_orig_10",
        []
    ),
    recipe!(
        "falcon-and-cc-qc-tulu-10p",
        "Falcon+CC (QC Tulu 10%)",
        "falcon_cc",
        ["falcon_and_cc_tulu_qc_top10"],
        None,
        "falcon-with-cc-top-tulu-10p",
        "falcon_cc_qc_tulu_10",
        []
    ),
    recipe!(
        "dclm-baseline",
        "DCLM-Baseline",
        "dclm",
        ["DCLM-baseline"],
        Some("dclm"),
        "dclm-baseline",
        "dclm_baseline",
        []
    ),
    recipe!(
        "dclm-baseline-qc-10p",
        "DCLM-Baseline (QC 10%)",
        "dclm",
        ["pos_eli5_oh_neg_dclm_refinedweb_steps_2000_lr3e4_top10p"],
        Some("dclm_qc10p"),
        "dclm-baseline-top-10p",
        "dclm_baseline_qc_10",
        []
    ),
    recipe!(
        "dclm-baseline-qc-20p",
        "DCLM-Baseline (QC 20%)",
        "dclm",
        ["pos_eli5_oh_neg_dclm_refinedweb_steps_2000_lr3e4_top20p"],
        Some("dclm_qc20p"),
        "dclm-baseline-top-20p",
        "dclm_baseline_qc_20",
        []
    ),
    recipe!(
        "dclm-baseline-qc-7p-fw3",
        "DCLM-Baseline (QC 7%, FW3)",
        "dclm",
        ["dclm_ft7percentile_fw3"],
        Some("dclm_qc7fw3"),
        "dclm-baseline-top-fw3-7p",
        "dclm_baseline_qc_7_fw3",
        ["DCLM-Baseline (QC 7% FW3)"]
    ),
    recipe!(
        "dclm-baseline-qc-7p-fw2",
        "DCLM-Baseline (QC 7%, FW2)",
        "dclm",
        ["dclm_ft7percentile_fw2"],
        Some("dclm_qc7fw2"),
        "dclm-baseline-top-fw2-7p",
        "dclm_baseline_qc_7_fw2",
        ["DCLM-Baseline (QC 7% FW2)"]
    ),
    recipe!(
        "dclm-baseline-qc-fw-3p",
        "DCLM-Baseline (QC FW 3%)",
        "dclm",
        ["dclm_fw_top3"],
        Some("dclm_qcfw3p"),
        "dclm-baseline-top-fw-3p",
        "dclm_baseline_qc_fw_3",
        []
    ),
    recipe!(
        "dclm-baseline-qc-fw-10p",
        "DCLM-Baseline (QC FW 10%)",
        "dclm",
        ["dclm_fw_top10"],
        Some("dclm_qcfw10p"),
        "dclm-baseline-top-fw-10p",
        "dclm_baseline_qc_fw_10",
        []
    ),
    // The internal names list the Dolma share first, so the percentages read inverted.
    recipe!(
        "dclm-baseline-25p-dolma1.7-75p",
        "DCLM-Baseline 25% / Dolma 75%",
        "mix",
        ["dolma17-75p-DCLM-baseline-25p"],
        Some("dclm_25_d17_75"),
        "dclm-baseline-25p-dolma1.7-75p",
        "dclm_baseline_25_dolma_75",
        ["dolma17_75p_dclm_baseline_25p"]
    ),
    recipe!(
        "dclm-baseline-50p-dolma1.7-50p",
        "DCLM-Baseline 50% / Dolma 50%",
        "mix",
        ["dolma17-50p-DCLM-baseline-50p"],
        Some("dclm_50_d17_50"),
        "dclm-baseline-50p-dolma1.7-50p",
        "dclm_baseline_50_dolma_50",
        ["dolma17_50p_dclm_baseline_50p"]
    ),
    recipe!(
        "dclm-baseline-75p-dolma1.7-25p",
        "DCLM-Baseline 75% / Dolma 25%",
        "mix",
        ["dolma17-25p-DCLM-baseline-75p"],
        Some("dclm_75_d17_25"),
        "dclm-baseline-75p-dolma1.7-25p",
        "dclm_baseline_75_dolma_25",
        ["dolma17_25p_dclm_baseline_75p"]
    ),
];
