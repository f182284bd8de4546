//! Personal data: email addresses, user names, real names, host names and home-directory
//! paths.
//!
//! By default the fields that hold them (`email`, `username`, `host`, `user`, ...) are dropped
//! from run metadata and attributes, and every value they held is replaced by `<redacted>`
//! wherever else it appears (paths in the config, argv, tokenizer reprs), as a whole word: a
//! match must not touch a letter or digit on either side. Segments after `/home/` and
//! `/Users/` are redacted too. Values are collected over every run of a conversion, so a user
//! name seen in one run is scrubbed from all of them.

use std::borrow::Cow;

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

/// Scrubs personal data, or does nothing when personal data is kept.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    enabled: bool,
    // Longest first, so `user1@example.invalid` goes before `user1`.
    tokens: Vec<String>,
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
            collect(&run.metadata, &mut tokens);
            for (_, v) in run.attrs.iter() {
                collect(v, &mut tokens);
            }
        }
        // One- and two-letter values would destroy unrelated text; they are dropped as fields
        // but not searched for.
        tokens.retain(|t| t.chars().count() >= 3);
        tokens.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        tokens.dedup();
        Redactor {
            enabled: true,
            tokens,
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
        for t in &self.tokens {
            if out.contains(t.as_str()) {
                out = Cow::Owned(replace_word(&out, t));
            }
        }
        for prefix in ["/home/", "/Users/"] {
            if out.contains(prefix) {
                out = Cow::Owned(redact_after(&out, prefix));
            }
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

fn replace_word(s: &str, token: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut prev: Option<char> = None;
    while let Some(pos) = rest.find(token) {
        let before = rest[..pos]
            .chars()
            .next_back()
            .or(if pos == 0 { prev } else { None });
        let after = rest[pos + token.len()..].chars().next();
        let bounded =
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric);
        out.push_str(&rest[..pos]);
        if bounded {
            out.push_str(REDACTED);
        } else {
            out.push_str(token);
        }
        prev = token.chars().next_back();
        rest = &rest[pos + token.len()..];
    }
    out.push_str(rest);
    out
}

fn redact_after(s: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find(prefix) {
        out.push_str(&rest[..pos + prefix.len()]);
        let tail = &rest[pos + prefix.len()..];
        let end = tail
            .find(|c: char| c == '/' || c == '\'' || c == '"' || c.is_whitespace())
            .unwrap_or(tail.len());
        if end > 0 {
            out.push_str(REDACTED);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn redactor(tokens: &[&str]) -> Redactor {
        let mut r = Redactor {
            enabled: true,
            tokens: tokens.iter().map(|t| (*t).to_owned()).collect(),
        };
        r.tokens.sort_by_key(|t| std::cmp::Reverse(t.len()));
        r
    }

    #[test]
    fn whole_words_only() {
        let r = redactor(&["user1@example.invalid", "user1", "Example User"]);
        assert_eq!(
            r.text("/gscratch/lab1/user1/.cache and user1@example.invalid by Example User"),
            "/gscratch/lab1/<redacted>/.cache and <redacted> by <redacted>"
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
    fn metadata_drops_fields_and_collects_values() {
        let meta = parse(r#"{"email":"a.person@example.invalid","username":"aperson","host":"g3112","program":"/x/aperson/run.py","git":{"remote":"r"}}"#).expect("json");
        let attrs = parse(r#"{"user":{"name":"A Person","username":"aperson"}}"#).expect("json");
        let run = crate::model::RunRecord {
            run_id: "r".into(),
            name: None,
            entity: None,
            project: None,
            state: None,
            created_at: Json::Null,
            updated_at: Json::Null,
            tags: vec![],
            config: Object::default(),
            summary: Object::default(),
            metadata: meta.clone(),
            attrs: Object(vec![("system_attrs".into(), attrs)]),
            exported_at: Json::Null,
            source: crate::model::RunSource::WandbV3,
            origin: crate::model::Origin {
                path: "f".into(),
                line: 1,
            },
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
