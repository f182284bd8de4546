//! The names of each vocabulary, for listing them and for suggesting the closest to a
//! misspelling.

use runlake_format::suggest::{closest, closest_by};
use runlake_format::tables::KNOWN_METRICS;

use crate::datadec::RECIPE_GROUPS;
use crate::recipes::RECIPES;
use crate::seeds::SEEDS;
use crate::sizes::SIZES;
use crate::tasks::{CORE_TASKS, MMLU_AVERAGE, MMLU_SUBJECTS, PPL_SETS};

/// The vocabularies that can be listed, as a user names them.
pub const VOCABULARIES: [&str; 6] = ["recipe", "size", "seed", "task", "metric", "recipe group"];

/// The canonical names of a vocabulary (`recipe`: display names; `size`: labels; `seed`: HF
/// names; `task`: canonical task names; `metric`: metric columns and `primary_score`), in the
/// vocabulary's order; `None` for a vocabulary this crate does not hold.
pub fn names(vocabulary: &str) -> Option<Vec<&'static str>> {
    Some(match vocabulary {
        "recipe" => RECIPES.iter().map(|r| r.display).collect(),
        "size" => SIZES.iter().map(|s| s.label).collect(),
        "seed" => SEEDS.iter().map(|s| s.name).collect(),
        "task" => tasks().collect(),
        "metric" => std::iter::once("primary_score")
            .chain(KNOWN_METRICS.iter().copied())
            .collect(),
        "recipe group" => RECIPE_GROUPS.iter().map(|(g, _)| *g).collect(),
        _ => return None,
    })
}

/// Up to three canonical names of `vocabulary` closest to `value` in any of their spellings.
pub fn suggestions(vocabulary: &str, value: &str) -> Vec<&'static str> {
    match vocabulary {
        "recipe" => closest_by(
            value,
            RECIPES
                .iter()
                .flat_map(|r| r.spellings().into_iter().map(move |s| (s, r.display))),
        ),
        "seed" => closest_by(
            value,
            SEEDS
                .iter()
                .flat_map(|s| s.spellings().into_iter().map(move |x| (x, s.name))),
        ),
        "task" => {
            // OLMES aliases (`arc_challenge:rc::olmes:full`) are suggested by their base name.
            let base = value.split(':').next().unwrap_or(value);
            closest(base, tasks())
        }
        other => names(other).map_or_else(Vec::new, |n| closest(value, n)),
    }
}

/// How the message of an unknown `vocabulary` name ends: the closest names, then where to
/// find them all. Empty for a vocabulary this crate does not hold.
pub fn unknown_hint(vocabulary: &str, value: &str) -> String {
    if names(vocabulary).is_none() {
        return String::new();
    }
    let list = match vocabulary {
        "recipe group" => "`runlake names recipe-group`".to_owned(),
        v => format!("`runlake names {v}`"),
    };
    format!(
        "{} ({list} lists them all)",
        runlake_format::suggest::phrase(&suggestions(vocabulary, value))
    )
}

fn tasks() -> impl Iterator<Item = &'static str> {
    CORE_TASKS
        .iter()
        .map(|(t, _)| *t)
        .chain(MMLU_SUBJECTS)
        .chain([MMLU_AVERAGE, "mmlu", "olmes_10_macro_avg"])
        .chain(PPL_SETS.iter().map(|p| p.task))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_name_suggests_the_canonical_names_near_it() {
        assert_eq!(suggestions("recipe", "dclm baseline"), ["DCLM-Baseline"]);
        assert_eq!(suggestions("size", "150"), ["150M"]);
        assert_eq!(suggestions("seed", "small-aux2"), ["small aux 2"]);
        assert_eq!(
            suggestions("seed", "small aux"),
            ["small aux 2", "small aux 3"]
        );
        assert_eq!(
            suggestions("task", "arc_chalenge:rc::olmes"),
            ["arc_challenge"]
        );
        assert_eq!(suggestions("metric", "acc_per_chr"), ["acc_per_char"]);
        assert!(suggestions("colour", "red").is_empty());
    }

    #[test]
    fn every_listed_name_is_a_known_spelling() {
        for r in names("recipe").into_iter().flatten() {
            assert!(crate::Recipe::parse(r).is_ok(), "{r}");
        }
        for s in names("seed").into_iter().flatten() {
            assert!(crate::Seed::parse(s).is_ok(), "{s}");
        }
        for t in names("task").into_iter().flatten() {
            assert_eq!(crate::canonical_task(t), Ok(t));
        }
        for v in VOCABULARIES {
            assert!(names(v).is_some_and(|n| !n.is_empty()), "{v}");
        }
    }

    #[test]
    fn the_hint_names_the_closest_and_the_listing_command() {
        assert_eq!(
            unknown_hint("recipe", "DCLM-Basline"),
            "; did you mean `DCLM-Baseline`? (`runlake names recipe` lists them all)"
        );
        assert_eq!(unknown_hint("colour", "red"), "");
    }
}
