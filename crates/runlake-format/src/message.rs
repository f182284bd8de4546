//! Error text of the Parquet and Arrow decoders, made fit to show a user.
//!
//! A damaged file makes the decoders report errors wrapped several times over (`Arrow: Parquet
//! argument error: External: Data corruption detected`), sometimes ending in a debug dump of a
//! nested error value. Every crate that reads Parquet shows them through this one function, so
//! the same damage reads the same everywhere.

/// Longest detail kept, in characters.
const MAX_CHARS: usize = 200;

/// Wrapper prefixes the decoders put before the message that says what is wrong.
const WRAPPERS: &[&str] = &[
    "Arrow: ",
    "Parquet argument error: ",
    "Parquet error: ",
    "External: ",
    "External error: ",
    "EOF: ",
];

/// The decoder's message as one line: wrapper prefixes dropped, any debug dump of a nested
/// value (`Utf8Error { .. }`) cut off, at most 200 characters.
pub fn decoder_detail(text: &str) -> String {
    let mut detail = text.lines().next().unwrap_or_default().trim();
    while let Some(rest) = WRAPPERS.iter().find_map(|w| detail.strip_prefix(w)) {
        detail = rest;
    }
    if let Some(brace) = detail.find(" {") {
        // The dump starts with the value's type name: cut before it.
        let before = &detail[..brace];
        let name_start = before.rfind(' ').map_or(0, |i| i + 1);
        let cut = before[..name_start].trim_end_matches([' ', ':', ',']);
        detail = if cut.is_empty() { before } else { cut };
    }
    let mut out: String = detail.chars().take(MAX_CHARS).collect();
    if detail.chars().count() > MAX_CHARS {
        out.push('…');
    }
    if out.is_empty() {
        out.push_str("the decoder gave no reason");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrappers_and_debug_dumps_are_dropped() {
        assert_eq!(
            decoder_detail("Arrow: Parquet argument error: External: Data corruption detected"),
            "Data corruption detected"
        );
        assert_eq!(decoder_detail("EOF: Unexpected EOF"), "Unexpected EOF");
        assert_eq!(
            decoder_detail(
                "Arrow: Unable to get root as message stored in ARROW:schema: Utf8Error { \
                 error: Utf8Error { valid_up_to: 2, error_len: Some(1) }, range: 4..9 }"
            ),
            "Unable to get root as message stored in ARROW:schema"
        );
        assert_eq!(
            decoder_detail("Parquet error: Unexpected struct field type 3\nmore"),
            "Unexpected struct field type 3"
        );
        assert_eq!(decoder_detail("Utf8Error { valid_up_to: 2 }"), "Utf8Error");
        assert_eq!(decoder_detail(""), "the decoder gave no reason");
        let long = "x".repeat(500);
        assert_eq!(decoder_detail(&long).chars().count(), MAX_CHARS + 1);
    }
}
