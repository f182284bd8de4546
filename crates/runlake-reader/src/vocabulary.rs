//! Turning the names users type into the canonical names the lake stores.

/// Turns user spellings into canonical names. Each method returns `None` for a spelling it
/// does not know.
pub trait Vocabulary: Send + Sync + std::fmt::Debug {
    /// A data recipe (`Dolma1.7`, `dolma17`, ...).
    fn recipe(&self, raw: &str) -> Option<String>;
    /// A model size (`150M`, `150m`, ...).
    fn size(&self, raw: &str) -> Option<String>;
    /// A seed (`default`, `small aux 2`, `small_aux_2`, datadec's ordinal `1`, ...).
    fn seed(&self, raw: &str) -> Option<String>;
    /// A task (`arc_challenge:rc::olmes:full`, `arc_challenge`, ...).
    fn task(&self, raw: &str) -> Option<String>;
}

/// The project's vocabulary (`runlake-vocab`): every spelling seen in the wild maps to the
/// canonical recipe slug, size label, seed slug and task name the lake stores. Sizes match in
/// any case (`530m`); an integer seed is datadec's ordinal (0 = default ... 4 = large aux 3).
#[derive(Debug, Clone, Copy, Default)]
pub struct KnownSpellings;

impl Vocabulary for KnownSpellings {
    fn recipe(&self, raw: &str) -> Option<String> {
        runlake_vocab::Recipe::parse(raw)
            .ok()
            .map(|r| r.slug.to_owned())
    }
    fn size(&self, raw: &str) -> Option<String> {
        runlake_vocab::Size::parse_any_case(raw)
            .ok()
            .map(|s| s.label.to_owned())
    }
    fn seed(&self, raw: &str) -> Option<String> {
        let raw = raw.trim();
        // An integer is datadec's seed column: the 0..=4 ordinal of its `SEED_MAP`.
        let seed = match raw.parse::<i64>() {
            Ok(ordinal) => runlake_vocab::Seed::from_ordinal(ordinal),
            Err(_) => runlake_vocab::Seed::parse(raw),
        };
        seed.ok().map(|s| s.slug.to_owned())
    }
    fn task(&self, raw: &str) -> Option<String> {
        runlake_vocab::canonical_task(raw).ok().map(str::to_owned)
    }
}

/// Accepts every name as already canonical.
#[derive(Debug, Clone, Copy, Default)]
pub struct CanonicalNames;

impl Vocabulary for CanonicalNames {
    fn recipe(&self, raw: &str) -> Option<String> {
        Some(raw.to_owned())
    }
    fn size(&self, raw: &str) -> Option<String> {
        Some(raw.to_owned())
    }
    fn seed(&self, raw: &str) -> Option<String> {
        Some(raw.to_owned())
    }
    fn task(&self, raw: &str) -> Option<String> {
        Some(raw.to_owned())
    }
}
