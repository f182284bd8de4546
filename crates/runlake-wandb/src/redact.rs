//! Personal data: email addresses, user names, real names, host names and home-directory
//! paths.
//!
//! By default the fields that hold them (`email`, `username`, `host`, `user`, ...) are dropped
//! from run metadata and attributes, and every value they held is replaced by `<redacted>`
//! wherever else it appears (paths in the config, argv, tokenizer reprs, metric and config
//! keys), as a whole word and whatever its letter case: a match must not touch a letter or
//! digit on either side. Values are collected over every run of a conversion, so a user name
//! seen in one run is scrubbed from all of them.
//!
//! Home-like paths are redacted even when no field named their owner: the folder after
//! `/home/`, `/Users/` (also `/mmfs1/users/`) and `~`, and the group and user folders after
//! `/gscratch/` (up to two, stopping at a hidden folder such as `.cache`). These roots match
//! in any letter case.

use std::borrow::Cow;

use aho_corasick::AhoCorasick;

use crate::json::{Json, Object};
use crate::model::RunRecord;

/// What replaces personal values.
pub const REDACTED: &str = "<redacted>";

/// Fields dropped from metadata and attributes (at any depth).
const PERSONAL_FIELDS: &[&str] = &[
    "email",
    "username",
    "host",
    "hostname",
    "user",
    "userName",
    "entityName",
];

/// Path roots whose next folders name a person, lower case, with how many folders follow.
const HOME_ROOTS: &[(&str, usize)] = &[("/home/", 1), ("/users/", 1), ("/gscratch/", 2)];

/// Scrubs personal data, or does nothing when personal data is kept.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    enabled: bool,
    // Longest first, so `user1@example.invalid` goes before `user1`.
    tokens: Vec<String>,
    // The tokens in lower case, for a quick test before the exact search.
    lower: Vec<String>,
    // Finds whether an ASCII text holds any token (in any case) in one pass, whatever the
    // number of tokens: a sweep brings a host name per node, and every key and value of every
    // run is searched.
    any: Option<AhoCorasick>,
}

impl Redactor {
    /// A redactor that keeps everything.
    pub fn keep_all() -> Redactor {
        Redactor::default()
    }

    /// Collects the personal values of `runs`.
    pub fn from_runs<'a>(runs: impl IntoIterator<Item = &'a RunRecord>) -> Redactor {
        let mut tokens = Vec::new();
        for run in runs {
            match run.personal_values() {
                Some(values) => tokens.extend(values.iter().cloned()),
                None => personal_values(&run.metadata, &run.attrs, &mut tokens),
            }
        }
        Redactor::with_tokens(tokens)
    }

    fn with_tokens(mut tokens: Vec<String>) -> Redactor {
        // One- and two-letter values would destroy unrelated text; they are dropped as fields
        // but not searched for.
        tokens.retain(|t| t.chars().count() >= 3);
        tokens.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        tokens.dedup();
        // Spellings differing only in case are one token; the search ignores case anyway.
        let mut lower: Vec<String> = Vec::with_capacity(tokens.len());
        tokens.retain(|t| {
            let l = t.to_lowercase();
            let new = !lower.contains(&l);
            if new {
                lower.push(l);
            }
            new
        });
        // Building fails only past the automaton's size limits; the texts are then searched
        // token by token.
        let any = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&lower)
            .ok();
        Redactor {
            enabled: true,
            tokens,
            lower,
            any,
        }
    }

    /// The values searched for.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// True when personal data is being removed.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// A string with personal values replaced.
    pub fn text<'a>(&self, s: &'a str) -> Cow<'a, str> {
        if !self.enabled {
            return Cow::Borrowed(s);
        }
        let mut out = Cow::Borrowed(s);
        // Every logged key and value passes here; most hold no token and no path. ASCII text
        // (nearly all of it) is searched as it is, ignoring case, rather than lower-cased
        // into a new string first; a replacement is ASCII too.
        let ascii = s.is_ascii();
        if ascii && self.any.as_ref().is_none_or(|any| any.is_match(s)) {
            for (t, l) in self.tokens.iter().zip(&self.lower) {
                if contains_ignoring_ascii_case(out.as_bytes(), l.as_bytes())
                    && let Some(replaced) = replace_word(&out, t)
                {
                    out = Cow::Owned(replaced);
                }
            }
        } else if !ascii && !self.tokens.is_empty() {
            let mut lower = s.to_lowercase();
            for (t, l) in self.tokens.iter().zip(&self.lower) {
                if lower.contains(l.as_str())
                    && let Some(replaced) = replace_word(&out, t)
                {
                    lower = replaced.to_lowercase();
                    out = Cow::Owned(replaced);
                }
            }
        }
        if let Some(replaced) = redact_homes(&out) {
            out = Cow::Owned(replaced);
        }
        out
    }

    /// A value with every string (keys included) scrubbed.
    pub fn json(&self, v: &Json) -> Json {
        if !self.enabled {
            return v.clone();
        }
        match v {
            Json::String(s) => Json::String(self.text(s).into_owned()),
            Json::Array(items) => Json::Array(items.iter().map(|i| self.json(i)).collect()),
            Json::Object(o) => Json::Object(self.object(o)),
            other => other.clone(),
        }
    }

    /// An object with every string scrubbed.
    pub fn object(&self, o: &Object) -> Object {
        Object(
            o.0.iter()
                .map(|(k, v)| (self.text(k).into_owned(), self.json(v)))
                .collect(),
        )
    }

    /// Metadata or attributes: personal fields dropped, the rest scrubbed.
    pub fn metadata(&self, v: &Json) -> Json {
        if !self.enabled {
            return v.clone();
        }
        self.json(&drop_fields(v))
    }
}

/// Whether ASCII `haystack` holds `lower` (lower case) in any case: what `contains` finds in the
/// haystack lower-cased. A non-ASCII `lower` is never found in ASCII text.
fn contains_ignoring_ascii_case(haystack: &[u8], lower: &[u8]) -> bool {
    let Some(&first) = lower.first() else {
        return true;
    };
    haystack.len() >= lower.len()
        && haystack
            .windows(lower.len())
            .any(|w| w[0].to_ascii_lowercase() == first && w.eq_ignore_ascii_case(lower))
}

/// The personal values of a record's `wandb-metadata.json` and other fields, to be searched for
/// everywhere else.
pub(crate) fn personal_values(metadata: &Json, attrs: &Object, out: &mut Vec<String>) {
    collect(metadata, out);
    for (_, v) in attrs.iter() {
        collect(v, out);
    }
}

fn collect(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::Object(o) => {
            for (k, child) in o.iter() {
                if PERSONAL_FIELDS.contains(&k) {
                    strings(child, out);
                } else {
                    collect(child, out);
                }
            }
        }
        Json::Array(items) => items.iter().for_each(|i| collect(i, out)),
        _ => {}
    }
}

fn strings(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::String(s) if !s.trim().is_empty() => out.push(s.trim().to_owned()),
        Json::Object(o) => o.iter().for_each(|(_, c)| strings(c, out)),
        Json::Array(items) => items.iter().for_each(|i| strings(i, out)),
        _ => {}
    }
}

fn drop_fields(v: &Json) -> Json {
    match v {
        Json::Object(o) => Json::Object(Object(
            o.0.iter()
                .filter(|(k, _)| !PERSONAL_FIELDS.contains(&k.as_str()))
                .map(|(k, c)| (k.clone(), drop_fields(c)))
                .collect(),
        )),
        Json::Array(items) => Json::Array(items.iter().map(drop_fields).collect()),
        other => other.clone(),
    }
}

fn same_letter(a: char, b: char) -> bool {
    a == b || a.to_lowercase().eq(b.to_lowercase())
}

/// Length in bytes of `token` at the start of `s`, ignoring case.
fn match_len(s: &str, token: &str) -> Option<usize> {
    let mut chars = s.char_indices();
    for t in token.chars() {
        let (_, c) = chars.next()?;
        if !same_letter(c, t) {
            return None;
        }
    }
    Some(chars.next().map_or(s.len(), |(i, _)| i))
}

/// `s` with every whole-word occurrence of `token` (any case) replaced; `None` when there is
/// none.
fn replace_word(s: &str, token: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    let mut before: Option<char> = None;
    let mut rest = s.char_indices().peekable();
    while let Some((i, c)) = rest.next() {
        if let Some(len) = match_len(&s[i..], token) {
            let after = s[i + len..].chars().next();
            if !before.is_some_and(char::is_alphanumeric)
                && !after.is_some_and(char::is_alphanumeric)
            {
                out.push_str(&s[copied..i]);
                out.push_str(REDACTED);
                copied = i + len;
                while rest.peek().is_some_and(|(j, _)| *j < copied) {
                    rest.next();
                }
                before = s[..copied].chars().next_back();
                continue;
            }
        }
        before = Some(c);
    }
    (copied > 0).then(|| {
        out.push_str(&s[copied..]);
        out
    })
}

/// Whether a path folder name ends at `c`.
fn ends_folder(c: char) -> bool {
    matches!(
        c,
        '/' | '\\' | '\'' | '"' | ':' | ',' | ';' | ')' | ']' | '}'
    ) || c.is_whitespace()
}

/// Whether `s` has a tilde or a home-like root (any case): nearly no key or value has either,
/// though many have a `/` (`train/loss`), and telling so needs no lower-cased copy.
fn may_hold_home(s: &[u8]) -> bool {
    let root_at = |i: usize| {
        HOME_ROOTS.iter().any(|(root, _)| {
            s.get(i..i + root.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(root.as_bytes()))
        })
    };
    memchr::memchr(b'~', s).is_some() || memchr::memchr_iter(b'/', s).any(root_at)
}

/// `s` with the personal folders of home-like paths replaced; `None` when it has none.
fn redact_homes(s: &str) -> Option<String> {
    if !may_hold_home(s.as_bytes()) {
        return None;
    }
    replace_homes(s)
}

/// [`redact_homes`] without the quick test first.
fn replace_homes(s: &str) -> Option<String> {
    // Lower-casing ASCII keeps byte offsets, so positions found in `lower` index `s`.
    let lower = s.to_ascii_lowercase();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for (root, folders) in HOME_ROOTS {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(root) {
            let mut at = from + pos + root.len();
            for _ in 0..*folders {
                let tail = &s[at..];
                if tail.starts_with('.') {
                    break;
                }
                let end = tail.find(ends_folder).unwrap_or(tail.len());
                if end > 0 {
                    spans.push((at, at + end));
                }
                at += end;
                if !s[at..].starts_with('/') {
                    break;
                }
                at += 1;
            }
            from = at.max(from + pos + 1);
        }
    }
    // `~user`: a tilde starting a word, then a name starting with a letter and ending the
    // text or a folder (`~5 GB` and `x~y` are not paths).
    for (i, _) in s.match_indices('~') {
        let starts_word = s[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric() && c != '~');
        let tail = &s[i + 1..];
        let end = tail.find(ends_folder).unwrap_or(tail.len());
        let named = tail.starts_with(|c: char| c.is_alphabetic() || c == '_');
        let ends_path = tail[end..]
            .chars()
            .next()
            .is_none_or(|c| matches!(c, '/' | '\\' | '\'' | '"'));
        if starts_word && named && ends_path {
            spans.push((i + 1, i + 1 + end));
        }
    }
    spans.retain(|&(a, b)| &s[a..b] != REDACTED);
    if spans.is_empty() {
        return None;
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    for (a, b) in spans {
        if a < copied {
            continue;
        }
        out.push_str(&s[copied..a]);
        out.push_str(REDACTED);
        copied = b;
    }
    out.push_str(&s[copied..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;
    use crate::test_texts::joined;
    use runlake_lake::testkit::Rng;

    fn redactor(tokens: &[&str]) -> Redactor {
        Redactor::with_tokens(tokens.iter().map(|t| (*t).to_owned()).collect())
    }

    #[test]
    fn ascii_text_is_searched_as_its_lower_cased_copy_would_be() {
        let r = redactor(&[
            "aperson",
            "A.Person@Example.Invalid",
            "NODE042",
            "J\u{fc}rgen",
            "\u{212a}elvin",
            "xy",
        ]);
        // How text was searched before: a lower-cased copy, made again after each replacement.
        let reference = |s: &str| {
            let mut out = s.to_owned();
            let mut lower = s.to_lowercase();
            for (t, l) in r.tokens.iter().zip(&r.lower) {
                if lower.contains(l.as_str())
                    && let Some(replaced) = replace_word(&out, t)
                {
                    lower = replaced.to_lowercase();
                    out = replaced;
                }
            }
            replace_homes(&out).unwrap_or(out)
        };
        for s in [
            "APERSON/loss",
            "x_aPeRsOn_y",
            "a.person@example.invalid_acc and aperson",
            "node042:8080",
            "kelvin KELVIN",
            "Jurgen",
            "aperso",
            "",
            "/home/aperson/x ~aperson",
            "apersonaperson aperson",
        ] {
            assert_eq!(r.text(s), reference(s), "{s:?}");
        }
        // Generated texts: tokens and home roots in any case, glued to letters or not, among
        // slashes, tildes and non-ASCII letters.
        let parts = [
            "aperson",
            "APERSON",
            "aPerson",
            "a.person@example.INVALID",
            "node042",
            "Node042",
            "/home/",
            "/HOME/",
            "/Users/",
            "/gscratch/",
            "/gScratch/",
            ".cache",
            "~",
            "/",
            "_",
            "x",
            "9",
            " ",
            "-",
            "J\u{fc}rgen",
            "\u{212a}elvin",
            "train/loss",
            "<redacted>",
            ":",
        ];
        let mut rng = Rng::new(3);
        for _ in 0..20_000 {
            let s = joined(&mut rng, &parts, 8);
            assert_eq!(r.text(&s), reference(&s), "{s:?}");
        }
        assert!(contains_ignoring_ascii_case(b"ABC", b""));
        assert!(!contains_ignoring_ascii_case(b"ab", b"abc"));
    }

    #[test]
    fn whole_words_only() {
        let r = redactor(&["user1@example.invalid", "user1", "Example User"]);
        assert_eq!(
            r.text("/data/lab1/user1/.cache and user1@example.invalid by Example User"),
            "/data/lab1/<redacted>/.cache and <redacted> by <redacted>"
        );
        // Letters and digits extend a word; `_` does not, so `user1_x` still names the user.
        assert_eq!(
            r.text("user10 superuser1 user1_x"),
            "user10 superuser1 <redacted>_x"
        );
        assert_eq!(
            r.text("/home/alice/x '/Users/bob'"),
            "/home/<redacted>/x '/Users/<redacted>'"
        );
        assert_eq!(Redactor::keep_all().text("/home/alice"), "/home/alice");
    }

    #[test]
    fn values_match_in_any_case() {
        let r = redactor(&["a.person@example.invalid", "aperson", "g3112", "A Person"]);
        assert_eq!(
            r.text("A.Person@Example.INVALID ran as APerson on G3112, signed a person"),
            "<redacted> ran as <redacted> on <redacted>, signed <redacted>"
        );
        // Case-insensitive, still whole words.
        assert_eq!(r.text("APersonal"), "APersonal");
        // Spellings differing only in case are searched once.
        assert_eq!(redactor(&["Alice", "alice", "ALICE"]).tokens().len(), 1);
    }

    #[test]
    fn any_path_segment_naming_a_user() {
        let r = redactor(&["aperson"]);
        assert_eq!(
            r.text("/data/APerson/runs/out and s3://bucket/aperson/x"),
            "/data/<redacted>/runs/out and s3://bucket/<redacted>/x"
        );
    }

    #[test]
    fn home_like_paths_of_unknown_users() {
        let r = redactor(&[]);
        for (raw, want) in [
            ("/home/alice/x", "/home/<redacted>/x"),
            ("/HOME/Alice", "/HOME/<redacted>"),
            ("/Users/bob/Downloads", "/Users/<redacted>/Downloads"),
            ("/mmfs1/users/carol/ckpt", "/mmfs1/users/<redacted>/ckpt"),
            ("/mmfs1/home/dave/ckpt", "/mmfs1/home/<redacted>/ckpt"),
            (
                "/gscratch/zlab/erin/out/run",
                "/gscratch/<redacted>/<redacted>/out/run",
            ),
            (
                "/mmfs1/gscratch/zlab/erin/out",
                "/mmfs1/gscratch/<redacted>/<redacted>/out",
            ),
            (
                "/gscratch/u/.cache/huggingface/hub/models--allenai--DataDecide-c4-150M",
                "/gscratch/<redacted>/.cache/huggingface/hub/models--allenai--DataDecide-c4-150M",
            ),
            ("~frank/out", "~<redacted>/out"),
            ("--output_dir=~frank", "--output_dir=~<redacted>"),
            ("['~frank/x', '~/y']", "['~<redacted>/x', '~/y']"),
            // Not paths.
            ("about ~5 GB", "about ~5 GB"),
            ("a~b and ~/x", "a~b and ~/x"),
            ("~approximately done", "~approximately done"),
        ] {
            assert_eq!(r.text(raw), want, "{raw}");
        }
    }

    #[test]
    fn keys_are_scrubbed_like_values() {
        let r = redactor(&["aperson"]);
        let o = parse(r#"{"APerson/loss":1,"eval":{"/home/x/data":"aperson"}}"#).expect("json");
        let Json::Object(o) = o else { panic!("object") };
        assert_eq!(
            Json::Object(r.object(&o)).to_text(),
            r#"{"<redacted>/loss":1,"eval":{"/home/<redacted>/data":"<redacted>"}}"#
        );
    }

    #[test]
    fn metadata_drops_fields_and_collects_values() {
        let meta = parse(r#"{"email":"a.person@example.invalid","username":"aperson","host":"g3112","program":"/x/aperson/run.py","git":{"remote":"r"}}"#).expect("json");
        let attrs = parse(r#"{"user":{"name":"A Person","username":"aperson"}}"#).expect("json");
        let run = crate::model::RunRecord {
            metadata: meta.clone(),
            attrs: Object(vec![("system_attrs".into(), attrs)]),
            ..crate::model::RunRecord::bare("r", "f", 1)
        };
        let r = Redactor::from_runs([&run]);
        assert_eq!(
            r.tokens(),
            ["a.person@example.invalid", "A Person", "aperson", "g3112"]
        );
        assert_eq!(
            r.metadata(&meta).to_text(),
            r#"{"program":"/x/<redacted>/run.py","git":{"remote":"r"}}"#
        );
    }
}
