//! The DataDecide vocabulary lineage needs: recipe spellings to HF slugs, sizes with their
//! final pretraining steps, and seed spellings.
//!
//! Kept small and local: only what post-training lineage resolves against.

/// `(HF repo slug, other spellings)` for the 25 recipes. Spellings are compared after
/// lower-casing; the run-name short forms come from the collaborator launcher.
const RECIPES: &[(&str, &[&str])] = &[
    ("dolma1_7", &["dolma1.7", "dolma17", "d17", "baseline"]),
    (
        "dolma1_7-no-code",
        &[
            "dolma1.7 (no code)",
            "no_code",
            "dolma1.7-no-code",
            "dolma17_no_code",
        ],
    ),
    (
        "dolma1_7-no-math-code",
        &[
            "dolma1.7 (no math, code)",
            "dolma1.7 (no math code)",
            "no_math_no_code",
            "dolma1.7-no-math-no-code",
            "dolma17_no_math_code",
        ],
    ),
    (
        "dolma1_7-no-reddit",
        &[
            "dolma1.7 (no reddit)",
            "no_reddit",
            "dolma1.7-no-reddit",
            "dolma17_no_reddit",
        ],
    ),
    (
        "dolma1_7-no-flan",
        &[
            "dolma1.7 (no flan)",
            "no_flan",
            "dolma1.7-no-flan",
            "dolma17_no_flan",
        ],
    ),
    (
        "dolma1_6plus",
        &["dolma1.6++", "dolma-v1-6-and-sources-baseline", "dolma16"],
    ),
    ("c4", &[]),
    ("fineweb-pro", &["prox_fineweb_pro", "fineweb_pro"]),
    ("fineweb-edu", &["fineweb_edu_dedup", "fineweb_edu"]),
    ("falcon", &[]),
    (
        "falcon-and-cc",
        &["falcon+cc", "falcon_and_cc", "falcon-with-cc", "falcon_cc"],
    ),
    (
        "falcon-and-cc-qc-10p",
        &[
            "falcon+cc (qc 10%)",
            "falcon_and_cc_eli5_oh_top10p",
            "falcon-with-cc-top-10p",
            "falcon_cc_qc_10",
        ],
    ),
    (
        "falcon-and-cc-qc-20p",
        &[
            "falcon+cc (qc 20%)",
            "falcon_and_cc_eli5_oh_top20p",
            "falcon-with-cc-top-20p",
            "falcon_cc_qc_20",
        ],
    ),
    (
        "falcon-and-cc-qc-orig-10p",
        &[
            "falcon+cc (qc orig 10%)",
            "falcon_and_cc_og_eli5_oh_top10p",
            "falcon-with-cc-top-orig-10p",
            "falcon_cc_qc_orig_10",
        ],
    ),
    (
        "falcon-and-cc-qc-tulu-10p",
        &[
            "falcon+cc (qc tulu 10%)",
            "falcon_and_cc_tulu_qc_top10",
            "falcon-with-cc-top-tulu-10p",
            "falcon_cc_qc_tulu_10",
        ],
    ),
    ("dclm-baseline", &["dclm", "dclm_baseline"]),
    (
        "dclm-baseline-qc-7p-fw2",
        &[
            "dclm-baseline (qc 7%, fw2)",
            "dclm_ft7percentile_fw2",
            "dclm_qc7fw2",
            "dclm-baseline-top-fw2-7p",
            "dclm_baseline_qc_7_fw2",
        ],
    ),
    (
        "dclm-baseline-qc-7p-fw3",
        &[
            "dclm-baseline (qc 7%, fw3)",
            "dclm_ft7percentile_fw3",
            "dclm_qc7fw3",
            "dclm-baseline-top-fw3-7p",
            "dclm_baseline_qc_7_fw3",
        ],
    ),
    (
        "dclm-baseline-qc-fw-3p",
        &[
            "dclm-baseline (qc fw 3%)",
            "dclm_fw_top3",
            "dclm_qcfw3p",
            "dclm-baseline-top-fw-3p",
            "dclm_baseline_qc_fw_3",
        ],
    ),
    (
        "dclm-baseline-qc-fw-10p",
        &[
            "dclm-baseline (qc fw 10%)",
            "dclm_fw_top10",
            "dclm_qcfw10p",
            "dclm-baseline-top-fw-10p",
            "dclm_baseline_qc_fw_10",
        ],
    ),
    (
        "dclm-baseline-qc-10p",
        &[
            "dclm-baseline (qc 10%)",
            "dclm_qc10p",
            "dclm-baseline-top-10p",
            "dclm_baseline_qc_10",
        ],
    ),
    (
        "dclm-baseline-qc-20p",
        &[
            "dclm-baseline (qc 20%)",
            "dclm_qc20p",
            "dclm-baseline-top-20p",
            "dclm_baseline_qc_20",
        ],
    ),
    (
        "dclm-baseline-25p-dolma1.7-75p",
        &[
            "dclm-baseline 25% / dolma 75%",
            "dolma17-75p-dclm-baseline-25p",
            "dclm_25_d17_75",
            "dclm_baseline_25_dolma_75",
        ],
    ),
    (
        "dclm-baseline-50p-dolma1.7-50p",
        &[
            "dclm-baseline 50% / dolma 50%",
            "dolma17-50p-dclm-baseline-50p",
            "dclm_50_d17_50",
            "dclm_baseline_50_dolma_50",
        ],
    ),
    (
        "dclm-baseline-75p-dolma1.7-25p",
        &[
            "dclm-baseline 75% / dolma 25%",
            "dolma17-25p-dclm-baseline-75p",
            "dclm_75_d17_25",
            "dclm_baseline_75_dolma_25",
        ],
    ),
];

/// `(size, final pretraining step)`.
const SIZES: &[(&str, i64)] = &[
    ("4M", 5725),
    ("6M", 9182),
    ("8M", 13039),
    ("10M", 15117),
    ("14M", 21953),
    ("16M", 24432),
    ("20M", 14584),
    ("60M", 29042),
    ("90M", 29901),
    ("150M", 38157),
    ("300M", 45787),
    ("530M", 57786),
    ("750M", 63589),
    ("1B", 69369),
];

/// `(HF branch slug, seed value)` in the launcher's ordinal order (`DD_MODEL_SEEDS`).
const SEEDS: &[(&str, i64)] = &[
    ("default", 6198),
    ("small-aux-2", 14),
    ("small-aux-3", 15),
    ("large-aux-2", 4),
    ("large-aux-3", 5),
];

/// The HF slug of a recipe spelled any known way.
pub fn recipe_slug(raw: &str) -> Option<&'static str> {
    let key = raw.trim().to_ascii_lowercase();
    RECIPES
        .iter()
        .find(|(slug, aliases)| *slug == key || aliases.contains(&key.as_str()))
        .map(|(slug, _)| *slug)
}

/// The canonical spelling of a size (`530m` → `530M`), if it is a DataDecide size.
pub fn size(raw: &str) -> Option<&'static str> {
    SIZES
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(raw.trim()))
        .map(|(s, _)| *s)
}

/// The final pretraining step of a size (the `main` revision).
pub fn final_step(size: &str) -> Option<i64> {
    SIZES.iter().find(|(s, _)| *s == size).map(|(_, n)| *n)
}

/// The seed slug for a launcher ordinal (`0` → `default`, `2` → `small-aux-3`).
pub fn seed_from_ordinal(ordinal: i64) -> Option<&'static str> {
    usize::try_from(ordinal)
        .ok()
        .and_then(|i| SEEDS.get(i))
        .map(|(s, _)| *s)
}

/// The seed slug of a seed spelled as a slug, words (`small aux 3`) or underscores.
pub fn seed_slug(raw: &str) -> Option<&'static str> {
    let key = raw.trim().to_ascii_lowercase().replace([' ', '_'], "-");
    SEEDS.iter().find(|(s, _)| *s == key).map(|(s, _)| *s)
}

/// The seed value (e.g. 6198 for `default`).
pub fn seed_value(slug: &str) -> Option<i64> {
    SEEDS.iter().find(|(s, _)| *s == slug).map(|(_, v)| *v)
}

/// The pretraining run id of a recipe, size and seed: `dd/<recipe>/<size>/<seed>`.
pub fn pretrain_run_uid(recipe: &str, size: &str, seed: &str) -> String {
    runlake_format::run_uid::datadecide(recipe, size, seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_resolve() {
        assert_eq!(recipe_slug("d17"), Some("dolma1_7"));
        assert_eq!(recipe_slug("Dolma1.7"), Some("dolma1_7"));
        assert_eq!(recipe_slug("dclm-baseline"), Some("dclm-baseline"));
        assert_eq!(
            recipe_slug("DCLM-Baseline (QC 7%, FW2)"),
            Some("dclm-baseline-qc-7p-fw2")
        );
        assert_eq!(
            recipe_slug("dolma17-75p-DCLM-baseline-25p"),
            Some("dclm-baseline-25p-dolma1.7-75p")
        );
        assert_eq!(recipe_slug("nonsense"), None);
        assert_eq!(size("530m"), Some("530M"));
        assert_eq!(final_step("150M"), Some(38157));
        assert_eq!(seed_from_ordinal(2), Some("small-aux-3"));
        assert_eq!(seed_from_ordinal(5), None);
        assert_eq!(seed_slug("small aux 3"), Some("small-aux-3"));
        assert_eq!(seed_value("default"), Some(6198));
    }
}
