//! Each run's content hash: equal hashes mean equal rows, so a re-import of unchanged rows
//! writes nothing.

use runlake_format::ContentHash;

use std::fmt::Write as _;

use super::RunOutput;
use super::cells::{Cell, Row};
use crate::escape_scan::{Escapes, Piece, pieces};

/// Text hashed as it is written, never held whole. It passes through a buffer because the
/// hasher is fastest on many kilobytes at a time, and formatting writes a few bytes at a time.
struct HashText {
    hasher: blake3::Hasher,
    buffer: String,
}

impl HashText {
    const BUFFER: usize = 64 << 10;

    fn new() -> Self {
        Self {
            hasher: blake3::Hasher::new(),
            buffer: String::with_capacity(Self::BUFFER),
        }
    }

    fn finish(mut self) -> ContentHash {
        self.hasher.update(self.buffer.as_bytes());
        ContentHash::from_hasher(&self.hasher)
    }
}

impl HashText {
    fn push(&mut self, s: &str) {
        // Writing into a hasher cannot fail.
        let _ = std::fmt::Write::write_str(self, s);
    }

    /// `s` as `{:?}` writes it. ASCII text (nearly every key and value, JSON texts included)
    /// is copied a stretch at a time between the few characters debug formatting escapes,
    /// rather than checked character by character through the formatter.
    fn quoted(&mut self, s: &str) {
        if !s.is_ascii() {
            let _ = write!(self, "{s:?}");
            return;
        }
        self.push("\"");
        for piece in pieces(s, Escapes::Debug) {
            match piece {
                Piece::Plain(text) => self.push(text),
                Piece::Escape(b'"') => self.push("\\\""),
                Piece::Escape(b'\\') => self.push("\\\\"),
                // Tabs, line ends, NUL and other control characters, as `char` escapes them.
                Piece::Escape(b) => {
                    let _ = write!(self, "{}", char::from(b).escape_debug());
                }
            }
        }
        self.push("\"");
    }

    /// `items` between `open` and `close`, separated as `{:?}` separates them.
    fn list<T>(&mut self, open: &str, items: &[T], close: &str, item: impl Fn(&mut Self, &T)) {
        self.push(open);
        for (i, it) in items.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            item(self, it);
        }
        self.push(close);
    }

    /// `rows` as `{:?}` writes them.
    fn rows(&mut self, rows: &[Row]) {
        self.list("[", rows, "]", Self::row);
    }

    /// `row` as `{:?}` writes it.
    fn row(&mut self, row: &Row) {
        self.list("Row({", row.cells(), "})", |t, (col, cell)| {
            t.quoted(col);
            t.push(": ");
            t.cell(cell);
        });
    }

    /// `cell` as `{:?}` writes it.
    fn cell(&mut self, cell: &Cell) {
        match cell {
            Cell::Str(s) => {
                self.push("Str(");
                self.quoted(s);
                self.push(")");
            }
            Cell::I64(v) => {
                let _ = write!(self, "I64({v})");
            }
            Cell::I32(v) => {
                let _ = write!(self, "I32({v})");
            }
            Cell::F64(v) => {
                let _ = write!(self, "F64({v:?})");
            }
            Cell::Bool(v) => {
                let _ = write!(self, "Bool({v})");
            }
            Cell::Ts(v) => {
                let _ = write!(self, "Ts({v})");
            }
            Cell::List(items) => self.list("List([", items, "])", |t, s| t.quoted(s)),
            Cell::MapF64(entries) => self.list("MapF64([", entries, "])", |t, (k, v)| {
                t.push("(");
                t.quoted(k);
                let _ = write!(t, ", {v:?})");
            }),
            Cell::MapStr(entries) => self.list("MapStr([", entries, "])", |t, (k, v)| {
                t.push("(");
                t.quoted(k);
                t.push(", ");
                t.quoted(v);
                t.push(")");
            }),
        }
    }
}

impl std::fmt::Write for HashText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.buffer.len() + s.len() > Self::BUFFER {
            self.hasher.update(self.buffer.as_bytes());
            self.buffer.clear();
        }
        if s.len() > Self::BUFFER {
            self.hasher.update(s.as_bytes());
        } else {
            self.buffer.push_str(s);
        }
        Ok(())
    }
}

/// Hashes the run's rows as their debug text, in a format stored hashes depend on.
pub(super) fn finish_hash(run: &mut RunOutput) {
    let mut text = HashText::new();
    // The text `{:?}{:?}{:?}{:?}` of the four, written without the formatting machinery.
    match &run.metadata {
        Some(row) => {
            text.push("Some(");
            text.row(row);
            text.push(")");
        }
        None => text.push("None"),
    }
    text.rows(&run.steps);
    text.rows(&run.evals);
    text.rows(&run.lineage);
    // Streamed steps are not held: their values enter through the digest of what was read,
    // with where each key goes.
    if let Some(s) = &run.stream {
        // Writing into a hasher cannot fail.
        let _ = write!(
            text,
            "stream {} {} {} {:?}",
            s.training_type.as_str(),
            s.rows,
            s.digest,
            s.targets
        );
    }
    let hash = text.finish().to_hex();
    for row in run
        .metadata
        .iter_mut()
        .chain(&mut run.steps)
        .chain(&mut run.evals)
        .chain(&mut run.lineage)
    {
        row.shrink();
    }
    if let Some(meta) = &mut run.metadata
        && let Some(Cell::Str(extra)) = meta.get_mut("extra_json")
        && extra.ends_with('}')
    {
        extra.pop();
        let sep = if extra.ends_with('{') { "" } else { "," };
        extra.push_str(&format!("{sep}\"content_hash\":\"{hash}\"}}"));
    }
    run.content_hash = hash;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_texts::{ESCAPE_PARTS, joined};
    use runlake_lake::testkit::Rng;

    fn text(write: impl FnOnce(&mut HashText)) -> String {
        let mut t = HashText::new();
        write(&mut t);
        t.buffer
    }

    #[test]
    fn rows_are_written_as_their_debug_text() {
        let texts = [
            "plain",
            "",
            "quote \" and \\ backslash",
            "tab\tnew\nline\r\u{0}\u{7f}",
            "naïve café 日本 🚀",
            "\u{301}combining first, then e\u{301}",
            "\u{200b}zero width \u{feff}",
            r#"{"config":{"lr":1e-5,"path":"C:\\runs\\a","note":"it's \"quoted\""},"x":[1,2]}"#,
            "\u{1b}[31mred\u{1b}[0m \u{1}\u{1f}",
        ];
        let mut rows = Vec::new();
        for (i, s) in texts.iter().enumerate() {
            let mut row = Row::default();
            row.str("run_uid", *s);
            row.set("i64", Cell::I64(-(i as i64) * 1_000_000_007));
            row.set("i32", Cell::I32(i as i32 - 3));
            row.set("ts", Cell::Ts(1_700_000_000_000_000 + i as i64));
            row.set("bool", Cell::Bool(i % 2 == 0));
            row.set(
                "f64",
                Cell::F64(
                    [
                        0.1,
                        -0.0,
                        1e-7,
                        1e300,
                        f64::NAN,
                        f64::INFINITY,
                        3.0,
                        5e-324,
                        2.0,
                    ][i],
                ),
            );
            row.set(
                "list",
                Cell::List(texts[..i].iter().map(|t| t.to_string()).collect()),
            );
            row.set(
                "map_f64",
                Cell::MapF64(vec![(s.to_string(), 2.5), ("x".into(), f64::NEG_INFINITY)]),
            );
            row.set(
                "map_str",
                Cell::MapStr(vec![(
                    s.to_string(),
                    texts[texts.len() - 1 - i].to_string(),
                )]),
            );
            rows.push(row);
        }
        rows.push(Row::default());
        assert_eq!(text(|t| t.rows(&rows)), format!("{rows:?}"));

        // A run's hash is the hash of its rows' debug text, as stored hashes were taken.
        let mut run = RunOutput {
            run_uid: "r".into(),
            full: true,
            training_type: "sft".into(),
            content_hash: String::new(),
            metadata: Some(rows[4].clone()),
            steps: rows[..3].to_vec(),
            evals: Vec::new(),
            lineage: rows[5..].to_vec(),
            stream: None,
            position: 0,
        };
        let debug = format!(
            "{:?}{:?}{:?}{:?}",
            run.metadata, run.steps, run.evals, run.lineage
        );
        finish_hash(&mut run);
        assert_eq!(run.content_hash, ContentHash::of(debug.as_bytes()).to_hex());
        assert_eq!(text(|t| t.rows(&[])), format!("{:?}", Vec::<Row>::new()));
        for row in &rows {
            assert_eq!(text(|t| t.row(row)), format!("{row:?}"));
        }
    }

    #[test]
    fn texts_longer_than_the_buffer_hash_as_their_debug_text() {
        // Short texts that fill the buffer, then texts too long to fit it whole.
        let texts: Vec<String> = [10, 900, 11_000, 70_000, 5, 200_000]
            .iter()
            .map(|&n| {
                (0..n)
                    .map(|i| match i % 97 {
                        0 => '"',
                        1 => '\\',
                        2 => '\u{1}',
                        _ => char::from(b'a' + (i % 26) as u8),
                    })
                    .collect()
            })
            .collect();
        let mut t = HashText::new();
        let mut expected = String::new();
        for _ in 0..3 {
            for s in &texts {
                t.quoted(s);
                expected.push_str(&format!("{s:?}"));
            }
        }
        assert_eq!(t.finish(), ContentHash::of(expected.as_bytes()));
    }

    #[test]
    fn generated_texts_are_quoted_as_debug_quotes_them() {
        // Stretches longer and shorter than a word, with every escaped byte between them.
        let parts: Vec<&str> = ESCAPE_PARTS
            .into_iter()
            .chain(["~", "}", "{\"k\":1}"])
            .collect();
        let mut rng = Rng::new(1);
        for _ in 0..20_000 {
            let s = joined(&mut rng, &parts, 11);
            assert_eq!(text(|t| t.quoted(&s)), format!("{s:?}"));
        }
    }
}
