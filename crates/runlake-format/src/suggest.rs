//! "Did you mean" for names a user typed: the closest known values, compared ignoring case.
//!
//! Every "unknown X" message of the project goes through [`did_you_mean`], so a misspelt
//! recipe, task, column or run reads the same everywhere.

/// How many suggestions a message names at most.
const MAX_SUGGESTIONS: usize = 3;

/// Scores up to here are near spellings; containments score above.
const NEAR: usize = 1 << 16;

/// The known values closest to `value`, best first, at most three. A known value is close when
/// its edit distance to `value` (ignoring case, `-`, `_`, `.` and spaces) is at most a third
/// of the typed value's length (at least 1), or, when no value is that near, when one contains the other
/// and the shorter has at least three characters. A value differing only in case and separators
/// is named alone; otherwise near values at most one edit further than the nearest. Equal values are never suggested; duplicates are named once.
pub fn closest<'a>(value: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    closest_by(value, known.into_iter().map(|k| (k, k)))
}

/// Like [`closest`] over the spellings of entries: each `(spelling, entry)` pair is compared by
/// its spelling, and the entries are named, each once, closest first.
pub fn closest_by<'a, T: PartialEq>(
    value: &str,
    known: impl IntoIterator<Item = (&'a str, T)>,
) -> Vec<T> {
    let wanted = fold(value);
    let mut scored: Vec<(usize, usize, &'a str, T)> = known
        .into_iter()
        .filter(|(k, _)| *k != value)
        .filter_map(|(k, entry)| score(&wanted, &fold(k)).map(|s| (s, k.len(), k, entry)))
        .collect();
    scored.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    // Only the nearest spellings are worth naming; names that merely contain the value only
    // when nothing is spelt nearly the same.
    if let Some(best) = scored.first().map(|s| s.0).filter(|b| *b <= NEAR) {
        let slack = usize::from(best > 0);
        scored.retain(|s| s.0 <= best + slack);
    }
    let mut out: Vec<T> = Vec::new();
    for (_, _, _, entry) in scored {
        if !out.contains(&entry) {
            out.push(entry);
        }
        if out.len() == MAX_SUGGESTIONS {
            break;
        }
    }
    out
}

/// `"; did you mean `a` or `b`?"` for the values [`closest`] finds, or an empty string.
pub fn did_you_mean<'a>(value: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    phrase(&closest(value, known))
}

/// `"; did you mean `a`, `b` or `c`?"` for `names`, or an empty string when there are none.
pub fn phrase<S: AsRef<str>>(names: &[S]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{}`", n.as_ref())).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => format!("; did you mean {last}?"),
        Some((last, rest)) => format!("; did you mean {} or {last}?", rest.join(", ")),
    }
}

/// Lower case without the separators people swap freely.
fn fold(s: &str) -> Vec<char> {
    s.chars()
        .filter(|c| !matches!(c, '-' | '_' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// A distance when `known` is close enough to `wanted` to be suggested; lower is closer.
fn score(wanted: &[char], known: &[char]) -> Option<usize> {
    if wanted.is_empty() || known.is_empty() {
        return None;
    }
    let distance = levenshtein(wanted, known);
    let limit = (wanted.len() / 3).max(1);
    // Replacing every character of a short name is no spelling of it.
    if distance <= limit && distance < wanted.len() {
        return Some(distance);
    }
    let (short, long) = if wanted.len() <= known.len() {
        (wanted, known)
    } else {
        (known, wanted)
    };
    // A containment ranks after every near spelling.
    (short.len() >= 3 && long.windows(short.len()).any(|w| w == short))
        .then_some(NEAR + long.len() - short.len())
}

/// Edit distance (insertions, deletions, substitutions) between two strings of characters.
fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECIPES: [&str; 4] = ["DCLM-Baseline", "Dolma1.7", "C4", "FineWeb-Pro"];

    #[test]
    fn a_near_spelling_in_any_case_is_suggested() {
        assert_eq!(closest("dclm-baselin", RECIPES), ["DCLM-Baseline"]);
        assert_eq!(closest("DOLMA 1.7", RECIPES), ["Dolma1.7"]);
        assert_eq!(closest("fineweb_pro", RECIPES), ["FineWeb-Pro"]);
    }

    #[test]
    fn a_part_of_a_name_suggests_the_names_holding_it() {
        assert_eq!(closest("dclm", RECIPES), ["DCLM-Baseline"]);
        assert_eq!(
            closest("arc", ["arc_easy", "arc_challenge", "boolq"]),
            ["arc_easy", "arc_challenge"]
        );
    }

    #[test]
    fn nothing_close_suggests_nothing() {
        assert!(closest("zzz", RECIPES).is_empty());
        assert!(
            closest("x", ["a", "b"]).is_empty(),
            "a one-letter name is no misspelling of another"
        );
        assert!(closest("", RECIPES).is_empty());
        assert!(
            closest("C4", ["C4"]).is_empty(),
            "an equal value is no suggestion"
        );
        assert_eq!(did_you_mean("zzz", RECIPES), "");
    }

    #[test]
    fn at_most_three_closest_first_each_once() {
        let known = ["ab1", "ab2", "ab3", "ab", "ab", "abcd"];
        assert_eq!(closest("ab", known), ["ab1", "ab2", "ab3"]);
        assert_eq!(
            closest("abc", known),
            ["ab", "ab1", "ab2"],
            "shorter first on a tie"
        );
    }

    #[test]
    fn phrases_read_as_a_sentence() {
        assert_eq!(did_you_mean("c5", RECIPES), "; did you mean `C4`?");
        assert_eq!(phrase(&["a", "b"]), "; did you mean `a` or `b`?");
        assert_eq!(phrase(&["a", "b", "c"]), "; did you mean `a`, `b` or `c`?");
        assert_eq!(phrase::<&str>(&[]), "");
    }

    #[test]
    fn edit_distance_counts_each_edit() {
        let d = |a: &str, b: &str| levenshtein(&fold(a), &fold(b));
        assert_eq!(d("kitten", "sitting"), 3);
        assert_eq!(d("", "abc"), 3);
        assert_eq!(d("flaw", "lawn"), 2);
    }
}
