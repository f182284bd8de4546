//! Dataset features datadec attaches to every row of `full_eval` (its
//! `src/datadec/data/dataset_features.csv`, drothermel/datadec at 6207b06), keyed by recipe.
//!
//! datadec's file spells two recipes without their comma (`Dolma1.7 (no math code)`,
//! `DCLM-Baseline (QC 7% FW2)`) and fixes them when it loads the file; the table here uses the
//! display names it ends up with.

use crate::recipes::Recipe;

/// One recipe's row of datadec's dataset features, as datadec states them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DatasetFeatures {
    /// datadec `dataset`, with its comma fixes: the recipe's display name.
    pub dataset: &'static str,
    pub total_tokens_billions: f64,
    pub pct_code: f64,
    pub pct_common_crawl: f64,
    pub pct_social_media: f64,
    pub mean_doc_length_tokens: i64,
    pub duplicate_rate_pct: f64,
    pub quality_filter_strength: i64,
    /// datadec writes 0/1.
    pub is_mixed_dataset: bool,
    pub num_sources_mixed: i64,
    pub educational_content_score: i64,
}

macro_rules! features {
    ($d:literal, $tok:expr, $code:expr, $cc:expr, $social:expr, $len:expr, $dup:expr, $qf:expr,
     $mixed:expr, $n:expr, $edu:expr) => {
        DatasetFeatures {
            dataset: $d,
            total_tokens_billions: $tok,
            pct_code: $code,
            pct_common_crawl: $cc,
            pct_social_media: $social,
            mean_doc_length_tokens: $len,
            duplicate_rate_pct: $dup,
            quality_filter_strength: $qf,
            is_mixed_dataset: $mixed,
            num_sources_mixed: $n,
            educational_content_score: $edu,
        }
    };
}

/// The table, in datadec's row order.
pub static DATASET_FEATURES: [DatasetFeatures; 25] = [
    features!(
        "Dolma1.7", 2300.0, 11.4, 52.0, 3.5, 800, 15.0, 0, false, 1, 50
    ),
    features!(
        "Dolma1.7 (no code)",
        2200.0,
        0.0,
        52.0,
        3.5,
        750,
        15.0,
        0,
        false,
        1,
        50
    ),
    features!(
        "Dolma1.7 (no math, code)",
        2100.0,
        0.0,
        52.0,
        3.5,
        700,
        15.0,
        0,
        false,
        1,
        50
    ),
    features!(
        "Dolma1.7 (no Reddit)",
        2220.0,
        11.4,
        52.0,
        0.0,
        800,
        15.0,
        0,
        false,
        1,
        60
    ),
    features!(
        "Dolma1.7 (no Flan)",
        2280.0,
        11.4,
        52.0,
        3.5,
        800,
        15.0,
        0,
        false,
        1,
        80
    ),
    features!(
        "Dolma1.6++",
        2400.0,
        15.0,
        50.0,
        3.3,
        850,
        18.0,
        0,
        false,
        1,
        50
    ),
    features!("C4", 156.0, 0.5, 100.0, 0.1, 500, 3.0, 0, false, 1, 50),
    features!(
        "FineWeb-Pro",
        1000.0,
        1.0,
        100.0,
        0.1,
        600,
        10.0,
        0,
        false,
        1,
        50
    ),
    features!(
        "FineWeb-Edu",
        1300.0,
        0.5,
        100.0,
        0.1,
        800,
        10.0,
        0,
        false,
        1,
        90
    ),
    features!("Falcon", 600.0, 0.5, 100.0, 0.1, 550, 12.0, 0, false, 1, 50),
    features!(
        "Falcon+CC",
        800.0,
        0.5,
        100.0,
        0.1,
        525,
        20.0,
        0,
        false,
        1,
        50
    ),
    features!(
        "Falcon+CC (QC 10%)",
        80.0,
        0.5,
        100.0,
        0.1,
        600,
        20.0,
        90,
        true,
        2,
        50
    ),
    features!(
        "Falcon+CC (QC 20%)",
        160.0,
        0.5,
        100.0,
        0.1,
        650,
        20.0,
        80,
        true,
        2,
        50
    ),
    features!(
        "Falcon+CC (QC Orig 10%)",
        80.0,
        0.5,
        100.0,
        0.1,
        600,
        20.0,
        90,
        true,
        2,
        50
    ),
    features!(
        "Falcon+CC (QC Tulu 10%)",
        80.0,
        0.5,
        100.0,
        0.1,
        600,
        20.0,
        90,
        true,
        2,
        50
    ),
    features!(
        "DCLM-Baseline",
        2600.0,
        1.0,
        100.0,
        0.1,
        700,
        8.0,
        0,
        false,
        1,
        50
    ),
    features!(
        "DCLM-Baseline (QC 7%, FW2)",
        182.0,
        1.0,
        100.0,
        0.1,
        800,
        8.0,
        93,
        true,
        2,
        50
    ),
    features!(
        "DCLM-Baseline (QC 7%, FW3)",
        182.0,
        1.0,
        100.0,
        0.1,
        850,
        8.0,
        93,
        true,
        2,
        50
    ),
    features!(
        "DCLM-Baseline (QC FW 3%)",
        78.0,
        1.0,
        100.0,
        0.1,
        900,
        8.0,
        97,
        true,
        2,
        50
    ),
    features!(
        "DCLM-Baseline (QC FW 10%)",
        260.0,
        1.0,
        100.0,
        0.1,
        850,
        8.0,
        90,
        true,
        2,
        50
    ),
    features!(
        "DCLM-Baseline (QC 10%)",
        260.0,
        1.0,
        100.0,
        0.1,
        750,
        8.0,
        90,
        true,
        2,
        50
    ),
    features!(
        "DCLM-Baseline (QC 20%)",
        520.0,
        1.0,
        100.0,
        0.1,
        725,
        8.0,
        80,
        true,
        2,
        50
    ),
    features!(
        "DCLM-Baseline 25% / Dolma 75%",
        2375.0,
        8.9,
        64.0,
        2.7,
        775,
        13.0,
        0,
        true,
        2,
        50
    ),
    features!(
        "DCLM-Baseline 50% / Dolma 50%",
        2450.0,
        6.2,
        76.0,
        1.8,
        750,
        11.5,
        0,
        true,
        2,
        50
    ),
    features!(
        "DCLM-Baseline 75% / Dolma 25%",
        2525.0,
        3.6,
        88.0,
        0.9,
        725,
        10.0,
        0,
        true,
        2,
        50
    ),
];

impl Recipe {
    /// datadec's dataset features of this recipe.
    pub fn dataset_features(&self) -> Option<&'static DatasetFeatures> {
        DATASET_FEATURES.iter().find(|f| f.dataset == self.display)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recipe_has_its_features() {
        for r in Recipe::all() {
            assert!(r.dataset_features().is_some(), "{}", r.display);
        }
        let f = Recipe::parse("Dolma1.7 (no math, code)")
            .expect("recipe")
            .dataset_features()
            .expect("features");
        assert_eq!((f.total_tokens_billions, f.pct_code), (2100.0, 0.0));
        let f = Recipe::parse("DCLM-Baseline (QC 7%, FW2)")
            .expect("recipe")
            .dataset_features()
            .expect("features");
        assert_eq!((f.quality_filter_strength, f.is_mixed_dataset), (93, true));
    }
}
