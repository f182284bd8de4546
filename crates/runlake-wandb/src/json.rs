//! A lenient, lossless JSON model for exports as they really are.
//!
//! Python's `json.dumps` writes bare `NaN`, `Infinity` and `-Infinity`; WandB configs carry
//! integers beyond `i64`; numbers arrive as strings. `serde_json` rejects the first and rounds
//! the second, so this module keeps every number as the exact token text it was written with
//! and projects it to `i64`/`f64` on demand. Writing a value back reproduces each number token
//! byte for byte; non-finite numbers are written as the bare tokens Python reads back.

use crate::escape_scan::{Escapes, Piece, pieces};
use std::fmt::Write as _;

/// A JSON number kept as its source token (`12`, `5e-06`, `168631869269606400000`, `NaN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number(Box<str>);

impl Number {
    /// The exact token text.
    pub fn raw(&self) -> &str {
        &self.0
    }

    /// The number from a float, written in Rust's shortest round-trip form.
    pub fn from_f64(v: f64) -> Number {
        if v.is_nan() {
            Number("NaN".into())
        } else if v.is_infinite() {
            Number(if v > 0.0 { "Infinity" } else { "-Infinity" }.into())
        } else {
            Number(format!("{v:?}").into())
        }
    }

    /// The number from an integer.
    pub fn from_i64(v: i64) -> Number {
        Number(v.to_string().into())
    }

    /// True when the token is an integer literal (no fraction, no exponent).
    pub fn is_integer_token(&self) -> bool {
        let s = self.0.strip_prefix('-').unwrap_or(&self.0);
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
    }

    /// The value as `f64`; integers beyond `i64` get the nearest float.
    pub fn as_f64(&self) -> f64 {
        match &*self.0 {
            "NaN" | "-NaN" => f64::NAN,
            "Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            // The tokenizer only admits valid number grammar, which `f64` always parses.
            s => s.parse::<f64>().unwrap_or(f64::NAN),
        }
    }

    /// The value as `i64` when the token is an integer literal that fits.
    pub fn as_i64_exact(&self) -> Option<i64> {
        if self.is_integer_token() {
            self.0.parse::<i64>().ok()
        } else {
            None
        }
    }

    /// The value as `i64` when it is integral and fits, whatever its spelling (`1250.0`).
    pub fn as_i64_lenient(&self) -> Option<i64> {
        if let Some(v) = self.as_i64_exact() {
            return Some(v);
        }
        let f = self.as_f64();
        // 2^63 is exactly representable; anything at or above it does not fit.
        if f.is_finite()
            && f.fract() == 0.0
            && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f)
        {
            Some(f as i64)
        } else {
            None
        }
    }

    /// An integer literal too large for `i64`, kept exactly.
    pub fn is_big_integer(&self) -> bool {
        self.is_integer_token() && self.as_i64_exact().is_none()
    }
}

/// A JSON value. Objects keep their keys in source order, duplicates included.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// Any number token, including `NaN` and `±Infinity`.
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, in source order.
    Object(Object),
}

/// An object's entries in source order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object(pub Vec<(String, Json)>);

impl Object {
    /// The value of `key`; with duplicate keys the last one wins, as in most JSON readers.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Entries in source order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True without entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds an entry at the end.
    pub fn push(&mut self, key: impl Into<String>, value: Json) {
        self.0.push((key.into(), value));
    }

    /// Removes every entry named `key`, returning the last removed value.
    pub fn remove(&mut self, key: &str) -> Option<Json> {
        let mut last = None;
        self.0.retain_mut(|(k, v)| {
            if k == key {
                last = Some(std::mem::replace(v, Json::Null));
                false
            } else {
                true
            }
        });
        last
    }
}

impl Json {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(o) => o.get(key),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Json::Number(n) => Some(n),
            _ => None,
        }
    }

    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// Compact JSON text. Keys keep their order; numbers keep their source tokens.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, false);
        out
    }

    /// JSON text with object keys sorted recursively: equal for values that differ only in key
    /// order, so it identifies a payload.
    pub fn to_canonical_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, true);
        out
    }

    /// Writes compact JSON; `sorted` orders object keys (the canonical form), otherwise they
    /// keep their source order.
    fn write(&self, out: &mut String, sorted: bool) {
        match self {
            Json::Object(o) => {
                let mut entries: Vec<_> = o.0.iter().collect();
                if sorted {
                    entries.sort_by(|a, b| a.0.cmp(&b.0));
                }
                out.push('{');
                for (i, (k, v)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(out, k);
                    out.push(':');
                    v.write(out, sorted);
                }
                out.push('}');
            }
            Json::Array(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out, sorted);
                }
                out.push(']');
            }
            other => other.write_scalar(out),
        }
    }

    fn write_scalar(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n.raw()),
            Json::String(s) => write_string(out, s),
            Json::Object(_) | Json::Array(_) => {}
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for piece in pieces(s, Escapes::Json) {
        match piece {
            Piece::Plain(text) => out.push_str(text),
            Piece::Escape(b'"') => out.push_str("\\\""),
            Piece::Escape(b'\\') => out.push_str("\\\\"),
            Piece::Escape(b'\n') => out.push_str("\\n"),
            Piece::Escape(b'\r') => out.push_str("\\r"),
            Piece::Escape(b'\t') => out.push_str("\\t"),
            Piece::Escape(b) => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", b);
            }
        }
    }
    out.push('"');
}

/// Where and why a text is not (lenient) JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("byte {offset}: {reason}")]
pub struct JsonSyntaxError {
    /// Byte offset into the parsed text.
    pub offset: usize,
    /// What was expected.
    pub reason: String,
}

/// Parses one lenient JSON value; trailing whitespace is allowed, anything else is not.
pub fn parse(text: &str) -> Result<Json, JsonSyntaxError> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: 0,
        depth: 0,
    };
    p.skip_ws();
    let v = p.value()?;
    p.skip_ws();
    if p.i != p.s.len() {
        return Err(p.err("unexpected text after the value"));
    }
    Ok(v)
}

// Deep enough for any real export, shallow enough that hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 256;

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, reason: &str) -> JsonSyntaxError {
        JsonSyntaxError {
            offset: self.i,
            reason: reason.to_owned(),
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.s.get(self.i) {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn eat(&mut self, word: &str) -> bool {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Result<Json, JsonSyntaxError> {
        let Some(&b) = self.s.get(self.i) else {
            return Err(self.err("expected a value, found the end of the text"));
        };
        match b {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => Ok(Json::String(self.string()?)),
            b't' if self.eat("true") => Ok(Json::Bool(true)),
            b'f' if self.eat("false") => Ok(Json::Bool(false)),
            b'n' if self.eat("null") => Ok(Json::Null),
            b'N' if self.eat("NaN") => Ok(Json::Number(Number("NaN".into()))),
            b'I' if self.eat("Infinity") => Ok(Json::Number(Number("Infinity".into()))),
            b'-' if self.eat("-Infinity") => Ok(Json::Number(Number("-Infinity".into()))),
            b'-' if self.eat("-NaN") => Ok(Json::Number(Number("NaN".into()))),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(self.err("expected a value")),
        }
    }

    fn enter(&mut self) -> Result<(), JsonSyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("nesting deeper than 256 levels"));
        }
        Ok(())
    }

    fn object(&mut self) -> Result<Json, JsonSyntaxError> {
        self.enter()?;
        self.i += 1;
        let mut obj = Object::default();
        self.skip_ws();
        if self.s.get(self.i) == Some(&b'}') {
            self.i += 1;
            self.depth -= 1;
            return Ok(Json::Object(obj));
        }
        loop {
            self.skip_ws();
            if self.s.get(self.i) != Some(&b'"') {
                return Err(self.err("expected a string key"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.s.get(self.i) != Some(&b':') {
                return Err(self.err("expected `:` after a key"));
            }
            self.i += 1;
            self.skip_ws();
            let v = self.value()?;
            obj.0.push((key, v));
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(Json::Object(obj));
                }
                _ => return Err(self.err("expected `,` or `}` in an object")),
            }
        }
    }

    fn array(&mut self) -> Result<Json, JsonSyntaxError> {
        self.enter()?;
        self.i += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.s.get(self.i) == Some(&b']') {
            self.i += 1;
            self.depth -= 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value()?);
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.err("expected `,` or `]` in an array")),
            }
        }
    }

    fn number(&mut self) -> Result<Json, JsonSyntaxError> {
        let start = self.i;
        let digits = |p: &mut Self| {
            let from = p.i;
            while p.s.get(p.i).is_some_and(u8::is_ascii_digit) {
                p.i += 1;
            }
            p.i > from
        };
        if self.s.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        if !digits(self) {
            return Err(self.err("expected digits"));
        }
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            if !digits(self) {
                return Err(self.err("expected digits after `.`"));
            }
        }
        if matches!(self.s.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.s.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return Err(self.err("expected digits in the exponent"));
            }
        }
        Ok(Json::Number(Number(self.text[start..self.i].into())))
    }

    fn hex4(&mut self) -> Result<u32, JsonSyntaxError> {
        let h = self
            .text
            .get(self.i..self.i + 4)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| self.err("expected 4 hex digits after `\\u`"))?;
        self.i += 4;
        Ok(h)
    }

    fn string(&mut self) -> Result<String, JsonSyntaxError> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            self.i = memchr::memchr2(b'"', b'\\', &self.s[start..])
                .map_or(self.s.len(), |at| start + at);
            out.push_str(&self.text[start..self.i]);
            match self.s.get(self.i) {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(_) => {
                    self.i += 1;
                    let Some(&esc) = self.s.get(self.i) else {
                        return Err(self.err("unterminated escape"));
                    };
                    self.i += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi)
                                && self.s[self.i..].starts_with(b"\\u")
                            {
                                let save = self.i;
                                self.i += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                                } else {
                                    self.i = save;
                                    hi
                                }
                            } else {
                                hi
                            };
                            // A lone surrogate (Python writes them) has no `char`; it becomes
                            // U+FFFD rather than failing the whole record.
                            out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                        }
                        _ => {
                            self.i -= 1;
                            return Err(self.err("invalid escape"));
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_texts::{ESCAPE_PARTS, joined};
    use runlake_lake::testkit::Rng;

    #[test]
    fn bare_non_finite_tokens_parse_and_round_trip() {
        let v = parse(r#"{"a":NaN,"b":Infinity,"c":-Infinity,"d":"NaN"}"#).expect("parse");
        assert!(
            v.get("a")
                .and_then(Json::as_number)
                .expect("a")
                .as_f64()
                .is_nan()
        );
        assert_eq!(
            v.get("b").and_then(Json::as_number).expect("b").as_f64(),
            f64::INFINITY
        );
        assert_eq!(
            v.get("c").and_then(Json::as_number).expect("c").as_f64(),
            f64::NEG_INFINITY
        );
        assert_eq!(v.get("d"), Some(&Json::String("NaN".into())));
        assert_eq!(
            v.to_text(),
            r#"{"a":NaN,"b":Infinity,"c":-Infinity,"d":"NaN"}"#
        );
    }

    #[test]
    fn big_integers_keep_their_exact_text() {
        let v = parse("[168631869269606400000, 5e-06, 1250.0, -3]").expect("parse");
        let Json::Array(items) = &v else {
            panic!("array")
        };
        let big = items[0].as_number().expect("number");
        assert!(big.is_big_integer());
        assert_eq!(big.raw(), "168631869269606400000");
        assert_eq!(big.as_f64(), 1.686318692696064e20);
        assert_eq!(big.as_i64_lenient(), None);
        assert_eq!(items[1].as_number().expect("n").as_f64(), 5e-06);
        assert_eq!(items[2].as_number().expect("n").as_i64_exact(), None);
        assert_eq!(
            items[2].as_number().expect("n").as_i64_lenient(),
            Some(1250)
        );
        assert_eq!(items[3].as_number().expect("n").as_i64_exact(), Some(-3));
        assert_eq!(v.to_text(), "[168631869269606400000,5e-06,1250.0,-3]");
    }

    #[test]
    fn generated_strings_are_written_as_escaped_character_by_character() {
        let reference = |s: &str| {
            let mut out = String::from('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        };
        let parts: Vec<&str> = ESCAPE_PARTS
            .into_iter()
            .chain(["caf\u{e9}", "\u{1f680}", "/"])
            .collect();
        let mut rng = Rng::new(2);
        for _ in 0..20_000 {
            let s = joined(&mut rng, &parts, 11);
            let mut out = String::new();
            write_string(&mut out, &s);
            assert_eq!(out, reference(&s));
            assert_eq!(parse(&out), Ok(Json::String(s)));
        }
    }

    #[test]
    fn strings_decode_escapes_and_surrogates() {
        let v = parse(r#""a\"b\\c\n\u00e9\ud83d\ude00\ud800x""#).expect("parse");
        assert_eq!(v, Json::String("a\"b\\c\né😀\u{FFFD}x".into()));
        assert_eq!(parse(&v.to_text()).expect("reparse"), v);
    }

    #[test]
    fn canonical_text_ignores_key_order() {
        let a = parse(r#"{"b":1,"a":{"y":2,"x":[1,{"q":1,"p":2}]}}"#).expect("a");
        let b = parse(r#"{"a":{"x":[1,{"p":2,"q":1}],"y":2},"b":1}"#).expect("b");
        assert_ne!(a.to_text(), b.to_text());
        assert_eq!(a.to_canonical_text(), b.to_canonical_text());
    }

    #[test]
    fn errors_name_the_offset() {
        let e = parse(r#"{"a": nope}"#).expect_err("invalid");
        assert_eq!(e.offset, 6);
        assert!(parse("[1,]").is_err());
        assert!(parse("1 2").is_err());
        assert!(parse(r#""open"#).is_err());
        assert!(parse("01.").is_err());
        let deep = "[".repeat(300) + &"]".repeat(300);
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn nesting_ten_thousand_deep_is_an_error_at_the_limit() {
        for open in ["[", "{\"a\":"] {
            let text = open.repeat(10_000);
            let err = parse(&text).expect_err("too deep");
            assert_eq!(err.reason, "nesting deeper than 256 levels");
            assert_eq!(err.offset, open.len() * MAX_DEPTH);
        }
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn duplicate_keys_last_wins_but_are_kept() {
        let v = parse(r#"{"k":1,"k":2}"#).expect("parse");
        assert_eq!(
            v.get("k").and_then(Json::as_number).map(Number::raw),
            Some("2")
        );
        assert_eq!(v.to_text(), r#"{"k":1,"k":2}"#);
    }
}
