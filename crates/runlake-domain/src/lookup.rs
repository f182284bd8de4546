//! Which run a user means: a full uid, a run id (the uid's last component), or a run name.
//! `runlake lineage`, `runlake curve` and the plots all resolve runs here.

use runlake_format::run_uid;

/// Why a name does not pick one run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RunLookupError {
    /// No run has that uid, run id or name; `hint` names the closest ones.
    #[error(
        "unknown run `{name}`{hint} (`runlake query LAKE --table metadata --select \
         run_uid,run_name` lists them all)"
    )]
    Unknown {
        /// What was asked for.
        name: String,
        /// `"; did you mean `a`?"` or empty.
        hint: String,
    },
    /// Several runs answer to it.
    #[error("`{name}` matches several runs: {}", candidates.join(", "))]
    Ambiguous {
        /// What was asked for.
        name: String,
        /// Every run it could mean.
        candidates: Vec<String>,
    },
}

/// The uid `name` means among `runs` (`(uid, run name)` pairs): an exact uid first, else the
/// one run whose uid ends in `/name` (a run id, as written or escaped the way uids escape it)
/// or whose run name is `name`.
pub fn resolve_run<'a>(
    runs: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    name: &str,
) -> Result<String, RunLookupError> {
    let suffix = format!("/{name}");
    let escaped = format!("/{}", run_uid::escape(name));
    let mut hits: Vec<&str> = Vec::new();
    let mut known: Vec<&str> = Vec::new();
    for (uid, run_name) in runs {
        if uid == name {
            return Ok(uid.to_owned());
        }
        known.push(uid.rsplit('/').next().unwrap_or(uid));
        known.extend(run_name);
        if uid.ends_with(&suffix) || uid.ends_with(&escaped) || run_name == Some(name) {
            hits.push(uid);
        }
    }
    hits.sort_unstable();
    hits.dedup();
    match hits.as_slice() {
        [] => Err(RunLookupError::Unknown {
            name: name.to_owned(),
            hint: runlake_format::suggest::did_you_mean(name, known),
        }),
        [one] => Ok((*one).to_owned()),
        many => Err(RunLookupError::Ambiguous {
            name: name.to_owned(),
            candidates: many.iter().map(|s| (*s).to_owned()).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_answers_to_its_uid_id_and_name() {
        let runs = [
            ("wandb/e/p/abc", Some("sft a/b 100%")),
            ("wandb/e/p/x%2Fy", Some("other")),
            ("wandb/e/q/abc", None),
            ("dd/c4/4M/default", None),
        ];
        let find = |n: &str| resolve_run(runs.iter().copied(), n);
        assert_eq!(find("wandb/e/q/abc").as_deref(), Ok("wandb/e/q/abc"));
        assert_eq!(find("sft a/b 100%").as_deref(), Ok("wandb/e/p/abc"));
        assert_eq!(find("x/y").as_deref(), Ok("wandb/e/p/x%2Fy"));
        assert_eq!(find("p/abc").as_deref(), Ok("wandb/e/p/abc"));
        assert_eq!(
            find("abc"),
            Err(RunLookupError::Ambiguous {
                name: "abc".into(),
                candidates: vec!["wandb/e/p/abc".into(), "wandb/e/q/abc".into()]
            })
        );
        assert_eq!(
            find("nope"),
            Err(RunLookupError::Unknown {
                name: "nope".into(),
                hint: String::new()
            })
        );
        assert_eq!(
            find("othr"),
            Err(RunLookupError::Unknown {
                name: "othr".into(),
                hint: "; did you mean `other`?".into()
            })
        );
        assert_eq!(
            find("nope").map_err(|e| e.to_string()),
            Err(
                "unknown run `nope` (`runlake query LAKE --table metadata --select \
                 run_uid,run_name` lists them all)"
                    .into()
            )
        );
    }
}
