//! `run_uid`: the stable id of a run, built from the ids its source gives it.
//!
//! A uid is a kind prefix followed by a fixed number of components, joined by `/`:
//! `dd/<recipe>/<size>/<seed>` for DataDecide pretraining runs and
//! `wandb/<entity>/<project>/<run id>` for WandB runs. Source ids may themselves hold `/` (a
//! project `x/y`) or `%`, so each component is escaped before joining: `%` becomes `%25` and
//! `/` becomes `%2F`, nothing else changes. Escaped components never hold `/`, so splitting a
//! uid on `/` gives the components back, and different components always give different
//! uids. Ordinary ids hold neither character and read unchanged.

use std::borrow::Cow;

/// Prefix of DataDecide pretraining runs.
pub const DATADECIDE_PREFIX: &str = "dd";
/// Prefix of WandB runs.
pub const WANDB_PREFIX: &str = "wandb";

/// The components of a uid.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RunUid {
    /// `dd/<recipe>/<size>/<seed>`.
    DataDecide {
        /// Recipe slug.
        recipe: String,
        /// Size label.
        size: String,
        /// Seed slug.
        seed: String,
    },
    /// `wandb/<entity>/<project>/<run id>`.
    Wandb {
        /// WandB entity.
        entity: String,
        /// WandB project.
        project: String,
        /// WandB run id.
        run_id: String,
    },
}

impl RunUid {
    /// The uid text.
    pub fn to_uid(&self) -> String {
        match self {
            RunUid::DataDecide { recipe, size, seed } => {
                join(DATADECIDE_PREFIX, [recipe.as_str(), size, seed])
            }
            RunUid::Wandb {
                entity,
                project,
                run_id,
            } => join(WANDB_PREFIX, [entity.as_str(), project, run_id]),
        }
    }

    /// The components of a uid this module built; `None` for any other text (an unknown
    /// prefix, a wrong number of components, or an escape this module never writes).
    pub fn parse(uid: &str) -> Option<RunUid> {
        let mut parts = uid.split('/');
        let prefix = parts.next()?;
        let mut next = || parts.next().and_then(unescape);
        let (a, b, c) = (next()?, next()?, next()?);
        if parts.next().is_some() {
            return None;
        }
        match prefix {
            DATADECIDE_PREFIX => Some(RunUid::DataDecide {
                recipe: a,
                size: b,
                seed: c,
            }),
            WANDB_PREFIX => Some(RunUid::Wandb {
                entity: a,
                project: b,
                run_id: c,
            }),
            _ => None,
        }
    }
}

/// The uid of a DataDecide pretraining run.
pub fn datadecide(recipe: &str, size: &str, seed: &str) -> String {
    join(DATADECIDE_PREFIX, [recipe, size, seed])
}

/// The uid of a WandB run.
pub fn wandb(entity: &str, project: &str, run_id: &str) -> String {
    join(WANDB_PREFIX, [entity, project, run_id])
}

/// One component as it appears in a uid.
pub fn escape(component: &str) -> Cow<'_, str> {
    if !component.contains(['%', '/']) {
        return Cow::Borrowed(component);
    }
    let mut out = String::with_capacity(component.len() + 4);
    for c in component.chars() {
        match c {
            '%' => out.push_str("%25"),
            '/' => out.push_str("%2F"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn unescape(part: &str) -> Option<String> {
    let mut out = String::with_capacity(part.len());
    let mut rest = part;
    while let Some(pos) = rest.find('%') {
        out.push_str(&rest[..pos]);
        let code = rest.get(pos + 1..pos + 3)?;
        out.push(match code {
            "25" => '%',
            "2F" => '/',
            _ => return None,
        });
        rest = &rest[pos + 3..];
    }
    out.push_str(rest);
    Some(out)
}

fn join(prefix: &str, parts: [&str; 3]) -> String {
    let [a, b, c] = parts.map(escape);
    format!("{prefix}/{a}/{b}/{c}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ordinary_uids_are_unchanged() {
        assert_eq!(
            wandb(
                "ml-moe",
                "ft-scaling",
                "2025_08_21-08_24_43_test_finetune_DD-dolma1_7-4M_main_1Mtx1_--learning_rate=5e-07"
            ),
            "wandb/ml-moe/ft-scaling/2025_08_21-08_24_43_test_finetune_DD-dolma1_7-4M_main_1Mtx1_--learning_rate=5e-07"
        );
        assert_eq!(
            datadecide("dclm-baseline-25p-dolma1.7-75p", "1B", "large-aux-2"),
            "dd/dclm-baseline-25p-dolma1.7-75p/1B/large-aux-2"
        );
    }

    #[test]
    fn slashes_in_components_do_not_collide() {
        let a = wandb("lab", "x/y", "r");
        let b = wandb("lab/x", "y", "r");
        assert_ne!(a, b);
        assert_eq!(a, "wandb/lab/x%2Fy/r");
        assert_eq!(b, "wandb/lab%2Fx/y/r");
        // A literal escape sequence in an id is escaped in turn.
        assert_ne!(wandb("e", "p", "a%2Fb"), wandb("e", "p", "a/b"));
        assert_eq!(wandb("e", "p", "a%2Fb"), "wandb/e/p/a%252Fb");
        assert_ne!(datadecide("a/b", "c", "d"), datadecide("a", "b/c", "d"));
    }

    #[test]
    fn parse_rejects_what_was_never_built() {
        for bad in [
            "wandb/e/p",
            "wandb/e/p/r/extra",
            "other/e/p/r",
            "wandb/e/p/a%2fb",
            "wandb/e/p/100%",
            "wandb/e/p/%41",
        ] {
            assert_eq!(RunUid::parse(bad), None, "{bad}");
        }
    }

    fn component() -> impl Strategy<Value = String> {
        // Biased towards the characters that matter: separators, escapes and hex digits.
        prop::collection::vec(
            prop_oneof![
                Just('/'),
                Just('%'),
                Just('2'),
                Just('5'),
                Just('F'),
                Just('f'),
                any::<char>()
            ],
            0..8,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #[test]
        fn uids_round_trip(a in component(), b in component(), c in component(), dd in any::<bool>()) {
            let uid = if dd {
                RunUid::DataDecide { recipe: a, size: b, seed: c }
            } else {
                RunUid::Wandb { entity: a, project: b, run_id: c }
            };
            let text = uid.to_uid();
            prop_assert_eq!(RunUid::parse(&text), Some(uid));
        }

        #[test]
        fn distinct_components_give_distinct_uids(
            x in (component(), component(), component()),
            y in (component(), component(), component()),
        ) {
            prop_assume!(x != y);
            prop_assert_ne!(wandb(&x.0, &x.1, &x.2), wandb(&y.0, &y.1, &y.2));
            prop_assert_ne!(datadecide(&x.0, &x.1, &x.2), datadecide(&y.0, &y.1, &y.2));
        }
    }
}
