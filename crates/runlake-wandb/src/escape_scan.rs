//! Where the next byte that quoting escapes is, eight bytes at a time.
//!
//! JSON output and the debug text a run's hash is taken over both copy text in stretches
//! between the few bytes that need escaping; the stretches are long (paths, names, JSON texts
//! held as strings), so they are found a word at a time rather than byte by byte.

/// The bytes a quoting escapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escapes {
    /// `"`, `\` and control bytes below 0x20: JSON output.
    Json,
    /// `"`, `\`, control bytes below 0x20 and DEL (0x7f): Rust's `{:?}` of ASCII text.
    Debug,
}

impl Escapes {
    fn escapes(self, b: u8) -> bool {
        match self {
            Escapes::Json => b == b'"' || b == b'\\' || b < 0x20,
            Escapes::Debug => b == b'"' || b == b'\\' || b < 0x20 || b == 0x7f,
        }
    }

    /// Nonzero when some byte of `w` is one this quoting escapes. The tests are exact about
    /// whether any byte matches: a borrow only ever runs upwards from a byte that does.
    fn word_escapes(self, w: u64) -> bool {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGHS: u64 = 0x8080_8080_8080_8080;
        let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
        let equal = |b: u8| zero_byte(w ^ (ONES * u64::from(b)));
        let quote_or_backslash = equal(b'"') | equal(b'\\');
        let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
        let hit = match self {
            Escapes::Json => quote_or_backslash | below_space,
            Escapes::Debug => quote_or_backslash | below_space | equal(0x7f),
        };
        hit != 0
    }
}

/// The length of the stretch at the start of `s` with no byte `escapes` escapes: `s.len()` when
/// there is none.
fn plain_prefix(s: &[u8], escapes: Escapes) -> usize {
    let mut at = 0;
    for word in s.chunks_exact(8) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        if escapes.word_escapes(u64::from_le_bytes(bytes)) {
            break;
        }
        at += 8;
    }
    at + s[at..]
        .iter()
        .position(|&b| escapes.escapes(b))
        .unwrap_or(s.len() - at)
}

/// A part of a text being quoted: a stretch to copy as it is, or a byte to escape.
pub(crate) enum Piece<'a> {
    Plain(&'a str),
    Escape(u8),
}

/// The stretches of `s` that `escapes` leaves alone and the bytes between them, in order.
/// Every escaped byte is ASCII, so each stretch ends on a character boundary.
pub(crate) fn pieces(s: &str, escapes: Escapes) -> Pieces<'_> {
    Pieces {
        s,
        escapes,
        from: 0,
        escape: None,
    }
}

/// See [`pieces`].
pub(crate) struct Pieces<'a> {
    s: &'a str,
    escapes: Escapes,
    /// Where the next stretch starts; past the end once the last stretch is out.
    from: usize,
    /// The escaped byte that ends the stretch just handed out.
    escape: Option<u8>,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    #[inline]
    fn next(&mut self) -> Option<Piece<'a>> {
        if let Some(b) = self.escape.take() {
            return Some(Piece::Escape(b));
        }
        let bytes = self.s.as_bytes();
        let from = self.from;
        if from > bytes.len() {
            return None;
        }
        let end = from + plain_prefix(&bytes[from..], self.escapes);
        self.escape = bytes.get(end).copied();
        self.from = end + 1;
        Some(Piece::Plain(&self.s[from..end]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_a_byte_by_byte_scan_finds_for_every_byte_at_every_position() {
        for escapes in [Escapes::Json, Escapes::Debug] {
            for len in 0..20 {
                for at in 0..len {
                    for b in 0..=255u8 {
                        // A plain background, and one of every byte value that borrows or
                        // carries differently (0x00, 0x80, 0xff) around the probe.
                        for fill in [b'a', 0x80, 0xff, 0x21, 0x7e] {
                            let mut s = vec![fill; len];
                            s[at] = b;
                            let expected =
                                s.iter().position(|&c| escapes.escapes(c)).unwrap_or(len);
                            assert_eq!(plain_prefix(&s, escapes), expected, "{escapes:?} {s:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn each_quoting_escapes_its_own_bytes() {
        assert_eq!(plain_prefix(b"abc\x7fdef", Escapes::Json), 7);
        assert_eq!(plain_prefix(b"abc\x7fdef", Escapes::Debug), 3);
        assert_eq!(plain_prefix(b"abcdefgh\nx", Escapes::Json), 8);
        assert_eq!(plain_prefix("caf\u{e9} \"".as_bytes(), Escapes::Json), 6);
    }
}
