//! Parser for the flat metric dicts of the DataDecide exports.
//!
//! The HF train split stores `metrics` as a Python dict repr (`{'acc_raw': 0.23, 'x': nan}`),
//! the macro_avg split as JSON (`{"acc_raw": 0.23}`), and other writers add bare `NaN` or
//! `Infinity` tokens. One small parser accepts all of them: keys in single or double quotes;
//! values that are numbers, `nan`/`NaN`/`inf`/`Infinity` (any sign), `None`/`null` (a missing
//! value), `True`/`False`/`true`/`false` (1 and 0). Nested dicts are flattened with `.`
//! (`extra_metrics.no_answer`), at most [`MAX_DEPTH`] levels deep. Anything else is an error
//! naming the offset, never a guess.

/// One parsed `key: value` pair; `None` is an explicit `None`/`null`.
pub type MetricPair = (String, Option<f64>);

/// Why a metrics string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid metrics dict at byte {offset}: {reason}")]
pub struct ReprError {
    pub offset: usize,
    pub reason: &'static str,
}

/// Parses a metrics dict, appending its pairs to `out` in source order.
pub fn parse_metrics_into(text: &str, out: &mut Vec<MetricPair>) -> Result<(), ReprError> {
    parse_metrics_each(text, |key, value| out.push((key.to_owned(), value)))
}

/// Parses a metrics dict into a new vector.
pub fn parse_metrics(text: &str) -> Result<Vec<MetricPair>, ReprError> {
    let mut out = Vec::with_capacity(40);
    parse_metrics_into(text, &mut out)?;
    Ok(out)
}

/// Parses a metrics dict and hands each pair to `emit` in source order, without allocating:
/// keys are slices of `text` (or, under a nested dict, of one reused buffer) and numbers are
/// read where they stand. On an error, the pairs before it have been emitted already.
pub fn parse_metrics_each(
    text: &str,
    mut emit: impl FnMut(&str, Option<f64>),
) -> Result<(), ReprError> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: 0,
        path: String::new(),
    };
    p.ws();
    p.dict(1, &mut emit)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.err("trailing characters after the dict"));
    }
    Ok(())
}

/// How deeply dicts may nest. Real exports nest two levels; the bound keeps hostile input
/// from exhausting the stack.
pub const MAX_DEPTH: usize = 32;

/// The bytes that end a value: `,`, `}` and whitespace. One table load a byte instead of six
/// comparisons, on the loop every number of every row goes through.
static ENDS_VALUE: [bool; 256] = {
    let mut ends = [false; 256];
    let mut i = 0;
    while i < 6 {
        ends[[b',', b'}', b' ', b'\t', b'\n', b'\r'][i] as usize] = true;
        i += 1;
    }
    ends
};

/// The length of the value `rest` starts with: up to the first byte of [`ENDS_VALUE`]. Values
/// are mostly runs of digits, which are skipped eight bytes at a time.
#[inline]
fn value_len(rest: &[u8]) -> usize {
    let mut i = 0;
    loop {
        while let Some(eight) = rest.get(i..).and_then(<[u8]>::first_chunk::<8>) {
            let not_digits = not_digits(u64::from_le_bytes(*eight));
            if not_digits != 0 {
                i += (not_digits.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        match rest.get(i) {
            Some(&b) if !ENDS_VALUE[usize::from(b)] => i += 1,
            _ => return i,
        }
    }
}

/// The high bit of the first byte of `word` (little-endian) that is not an ASCII digit, and of
/// no byte before it; zero when all eight are digits. Bytes after the first flagged one may be
/// flagged wrongly (borrows and carries cross into them), so only the lowest flag counts.
fn not_digits(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // A byte below `0` wraps when `0` is taken off; a byte above `9` reaches 0x80 when 0x46 is
    // added.
    (word.wrapping_sub(ONES * 0x30) | word.wrapping_add(ONES * 0x46)) & (ONES * 0x80)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    /// The keys of the enclosing dicts, each followed by `.`; empty at the top level.
    path: String,
}

impl<'a> Parser<'a> {
    fn err(&self, reason: &'static str) -> ReprError {
        ReprError {
            offset: self.i,
            reason,
        }
    }

    #[inline]
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    #[inline]
    fn eat(&mut self, b: u8) -> bool {
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn dict<F: FnMut(&str, Option<f64>)>(
        &mut self,
        depth: usize,
        emit: &mut F,
    ) -> Result<(), ReprError> {
        if depth > MAX_DEPTH {
            return Err(self.err("dicts nested more than 32 levels deep"));
        }
        if !self.eat(b'{') {
            return Err(self.err("expected `{`"));
        }
        self.ws();
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            self.ws();
            let key = self.key()?;
            self.ws();
            if !self.eat(b':') {
                return Err(self.err("expected `:` after a key"));
            }
            self.ws();
            let outer = self.path.len();
            if self.s.get(self.i) == Some(&b'{') {
                self.path.push_str(key);
                self.path.push('.');
                self.dict(depth + 1, emit)?;
                self.path.truncate(outer);
            } else {
                let value = self.value()?;
                if outer == 0 {
                    emit(key, value);
                } else {
                    self.path.push_str(key);
                    emit(&self.path, value);
                    self.path.truncate(outer);
                }
            }
            self.ws();
            if self.eat(b',') {
                self.ws();
                // Python and JSON5 allow a trailing comma.
                if self.eat(b'}') {
                    return Ok(());
                }
                continue;
            }
            if self.eat(b'}') {
                return Ok(());
            }
            return Err(self.err("expected `,` or `}`"));
        }
    }

    #[inline]
    fn key(&mut self) -> Result<&'a str, ReprError> {
        let quote = match self.s.get(self.i) {
            Some(&q @ (b'\'' | b'"')) => q,
            _ => return Err(self.err("expected a quoted key")),
        };
        self.i += 1;
        let start = self.i;
        let rest = self.s.get(start..).unwrap_or_default();
        match memchr::memchr2(quote, b'\\', rest) {
            Some(n) if rest[n] == quote => {
                self.i = start + n + 1;
                let text: &'a str = self.text;
                // The quote is ASCII, so both ends are character boundaries.
                Ok(&text[start..start + n])
            }
            Some(n) => {
                self.i = start + n;
                Err(self.err("escapes in keys are not supported"))
            }
            None => {
                self.i = self.s.len();
                Err(self.err("unterminated key"))
            }
        }
    }

    #[inline]
    fn value(&mut self) -> Result<Option<f64>, ReprError> {
        let start = self.i;
        self.i = start + value_len(self.s.get(start..).unwrap_or_default());
        let token = &self.text[start..self.i];
        match token {
            "None" | "null" => Ok(None),
            "True" | "true" => Ok(Some(1.0)),
            "False" | "false" => Ok(Some(0.0)),
            // Rust's float syntax also accepts nan/NaN/inf/infinity in any case, with a sign.
            _ => token.parse::<f64>().map(Some).map_err(|_| ReprError {
                offset: start,
                reason: "expected a number, nan, inf, None, True or False",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_repr_with_nan_none_and_bools() {
        let got = parse_metrics("{'primary_metric': nan, 'acc_raw': 0.232081905, 'x': None, 'ok': True, 'no': False, 'p': 2.1525e-06, 'n': -inf}").expect("parse");
        assert_eq!(got[0].0, "primary_metric");
        assert!(got[0].1.expect("nan").is_nan());
        assert_eq!(got[1], ("acc_raw".into(), Some(0.232081905)));
        assert_eq!(got[2], ("x".into(), None));
        assert_eq!(got[3], ("ok".into(), Some(1.0)));
        assert_eq!(got[4], ("no".into(), Some(0.0)));
        assert_eq!(got[5], ("p".into(), Some(2.1525e-06)));
        assert_eq!(got[6], ("n".into(), Some(f64::NEG_INFINITY)));
    }

    #[test]
    fn json_with_tokens_and_nesting() {
        let got = parse_metrics(
            r#"{"acc_raw": 0.4305, "b": NaN, "c": Infinity, "extra_metrics": {"no_answer": 0}}"#,
        )
        .expect("parse");
        assert_eq!(got[0], ("acc_raw".into(), Some(0.4305)));
        assert!(got[1].1.expect("nan").is_nan());
        assert_eq!(got[2].1, Some(f64::INFINITY));
        assert_eq!(got[3], ("extra_metrics.no_answer".into(), Some(0.0)));
        assert_eq!(parse_metrics("{}").expect("empty"), vec![]);
    }

    #[test]
    fn malformed_dicts_name_the_offset() {
        assert_eq!(
            parse_metrics("{'a': 0.1").expect_err("open").reason,
            "expected `,` or `}`"
        );
        let e = parse_metrics("{'a': 'x'}").expect_err("string");
        assert_eq!(e.offset, 6);
        assert!(parse_metrics("{'a': 1} x").is_err());
        assert!(parse_metrics("['a']").is_err());
        assert!(parse_metrics("{a: 1}").is_err());
    }

    /// The length the straightforward scan gives: up to the first delimiter.
    fn value_len_by_bytes(rest: &[u8]) -> usize {
        rest.iter()
            .position(|b| matches!(b, b',' | b'}' | b' ' | b'\t' | b'\n' | b'\r'))
            .unwrap_or(rest.len())
    }

    #[test]
    fn values_end_where_the_byte_by_byte_scan_ends_them() {
        // Every byte value at every position of a run of digits, on both sides of the
        // eight-byte steps, with more text after it or none.
        for len in 0..20 {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut text = vec![b'7'; len];
                    text[at] = byte;
                    for tail in [&b""[..], b", 'next': 1}"] {
                        let mut t = text.clone();
                        t.extend_from_slice(tail);
                        assert_eq!(value_len(&t), value_len_by_bytes(&t), "{t:?}");
                    }
                }
            }
        }
        for token in ["-1.5e-07", "nan", "-Infinity", "None", "0.2942430703624733"] {
            for end in [",", "}", " ", "\t", "\r\n", ""] {
                let text = format!("{token}{end}0");
                let want = if end.is_empty() {
                    text.len()
                } else {
                    token.len()
                };
                assert_eq!(value_len(text.as_bytes()), want, "{text:?}");
            }
        }
    }

    #[test]
    fn deep_nesting_is_an_error_naming_the_offset() {
        let text = "{'a': ".repeat(10_000) + "1" + &"}".repeat(10_000);
        let err = parse_metrics(&text).expect_err("too deep");
        assert_eq!(err.reason, "dicts nested more than 32 levels deep");
        assert_eq!(err.offset, 6 * MAX_DEPTH);
        let ok = "{'a': ".repeat(MAX_DEPTH) + "1" + &"}".repeat(MAX_DEPTH);
        let got = parse_metrics(&ok).expect("at the limit");
        assert_eq!(got, vec![(vec!["a"; MAX_DEPTH].join("."), Some(1.0))]);
    }
}
