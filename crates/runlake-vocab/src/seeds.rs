//! The 5 pretraining seeds and their spellings.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::error::UnknownSpelling;
use crate::lookup;
use crate::sizes::Size;

/// One seed. `slug` is the canonical key.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Seed {
    /// HF branch spelling, as in `step1250-seed-small-aux-2`; the canonical key.
    pub slug: &'static str,
    /// Name in the HF datasets: `default`, `small aux 2`, ...
    pub name: &'static str,
    /// dr_ingest's underscored spelling: `small_aux_2`.
    pub underscored: &'static str,
    /// The training seed value (weka paths, run names `<train>-<size>-5xC-<value>`).
    pub value: i64,
    /// Index in old datadec's `SEED_MAP` and in post-training run names (`...-6250-2`).
    pub ordinal: u8,
    /// The value in the eval-instances archive folders (`seed-<n>`), where the default seed
    /// appears as 2.
    pub archive_value: i64,
}

impl Seed {
    /// Every textual spelling of this seed (name, branch slug, underscored).
    pub fn spellings(&self) -> Vec<&'static str> {
        vec![self.slug, self.name, self.underscored]
    }

    /// Looks a seed up by a textual spelling: name, branch slug or underscored form. Integers
    /// are ambiguous (4 is a seed value and an ordinal), so they have their own lookups.
    pub fn parse(spelling: &str) -> Result<&'static Seed, UnknownSpelling> {
        static INDEX: OnceLock<HashMap<&'static str, usize>> = OnceLock::new();
        let index = INDEX.get_or_init(|| lookup::index(&SEEDS, Seed::spellings));
        index
            .get(spelling)
            .map(|&i| &SEEDS[i])
            .ok_or_else(|| UnknownSpelling::new("seed", spelling))
    }

    /// Looks a seed up by a textual spelling in any case, with spaces, underscores or hyphens
    /// between the words (`Small Aux 3`, `small_aux_3`), as run names and configs write them.
    pub fn parse_any_case(spelling: &str) -> Result<&'static Seed, UnknownSpelling> {
        let slug = spelling
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '_'], "-");
        Seed::parse(&slug).map_err(|_| UnknownSpelling::new("seed", spelling))
    }

    /// Looks a seed up by its training value (6198, 14, 15, 4, 5).
    pub fn from_value(value: i64) -> Result<&'static Seed, UnknownSpelling> {
        SEEDS
            .iter()
            .find(|s| s.value == value)
            .ok_or_else(|| UnknownSpelling::new("seed value", value.to_string()))
    }

    /// Looks a seed up by the 0..=4 ordinal of old datadec and of post-training run names.
    pub fn from_ordinal(ordinal: i64) -> Result<&'static Seed, UnknownSpelling> {
        SEEDS
            .iter()
            .find(|s| i64::from(s.ordinal) == ordinal)
            .ok_or_else(|| UnknownSpelling::new("seed ordinal", ordinal.to_string()))
    }

    /// Looks a seed up by the per-size ordinal of the newer datadec: 0 = default, 1 and 2 =
    /// the auxiliary seeds, which are the large ones for 1B and the small ones otherwise.
    pub fn from_size_ordinal(size: &Size, ordinal: i64) -> Result<&'static Seed, UnknownSpelling> {
        let slug = match (ordinal, size.has_large_seeds()) {
            (0, _) => "default",
            (1, false) => "small-aux-2",
            (2, false) => "small-aux-3",
            (1, true) => "large-aux-2",
            (2, true) => "large-aux-3",
            _ => {
                return Err(UnknownSpelling::new(
                    "per-size seed ordinal",
                    format!("{ordinal} (size {})", size.label),
                ));
            }
        };
        Seed::parse(slug)
    }

    /// Looks a seed up by the value of an eval-instances archive folder (`seed-2` = default).
    pub fn from_archive_value(value: i64) -> Result<&'static Seed, UnknownSpelling> {
        SEEDS
            .iter()
            .find(|s| s.archive_value == value)
            .ok_or_else(|| UnknownSpelling::new("archive seed value", value.to_string()))
    }

    /// Every seed, by ordinal.
    pub fn all() -> &'static [Seed] {
        &SEEDS
    }

    /// The seeds a size was trained with: three for every size, five for 1B.
    pub fn for_size(size: &Size) -> &'static [Seed] {
        if size.has_large_seeds() {
            &SEEDS
        } else {
            &SEEDS[..3]
        }
    }
}

/// The table. Columns: slug, name, underscored, value, ordinal, archive value.
pub static SEEDS: [Seed; 5] = [
    Seed {
        slug: "default",
        name: "default",
        underscored: "default",
        value: 6198,
        ordinal: 0,
        archive_value: 2,
    },
    Seed {
        slug: "small-aux-2",
        name: "small aux 2",
        underscored: "small_aux_2",
        value: 14,
        ordinal: 1,
        archive_value: 14,
    },
    Seed {
        slug: "small-aux-3",
        name: "small aux 3",
        underscored: "small_aux_3",
        value: 15,
        ordinal: 2,
        archive_value: 15,
    },
    Seed {
        slug: "large-aux-2",
        name: "large aux 2",
        underscored: "large_aux_2",
        value: 4,
        ordinal: 3,
        archive_value: 4,
    },
    Seed {
        slug: "large-aux-3",
        name: "large aux 3",
        underscored: "large_aux_3",
        value: 5,
        ordinal: 4,
        archive_value: 5,
    },
];
