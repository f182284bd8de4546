//! The one error of this crate.

/// A value that is not a known spelling of any entry of a vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown {vocabulary} `{value}`{}",
    crate::names::unknown_hint(vocabulary, value)
)]
pub struct UnknownSpelling {
    /// Which vocabulary was searched: `recipe`, `size`, `seed`, `seed value`, ...
    pub vocabulary: &'static str,
    /// The value as given.
    pub value: String,
}

impl UnknownSpelling {
    pub(crate) fn new(vocabulary: &'static str, value: impl Into<String>) -> Self {
        Self {
            vocabulary,
            value: value.into(),
        }
    }
}
