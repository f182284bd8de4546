//! Whether a string column holds one value in every row: a batch of one run's rows holds its
//! id in every row, and the writer's statistics, run list, order check and partition check ask.

use arrow::array::{Array, StringArray};

/// The value of every row, when there are rows, none is null and all are equal. Rather than a
/// comparison per row, the value bytes are compared once with themselves shifted by one value
/// (equal exactly when each value equals the next), after checking every value has the first
/// one's length.
pub(crate) fn one_value(a: &StringArray) -> Option<&str> {
    if a.is_empty() || a.null_count() > 0 {
        return None;
    }
    let first = a.value(0);
    let len = first.len();
    let offsets = a.value_offsets();
    if !offsets
        .windows(2)
        .all(|w| usize::try_from(w[1] - w[0]).ok() == Some(len))
    {
        return None;
    }
    let start = usize::try_from(offsets[0]).ok()?;
    let end = usize::try_from(offsets[offsets.len() - 1]).ok()?;
    let bytes = a.value_data().get(start..end)?;
    (bytes[len..] == bytes[..bytes.len() - len]).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_is_found_exactly_when_every_row_holds_it() {
        let one = |v: Vec<Option<&str>>| one_value(&StringArray::from(v)).map(str::to_owned);
        assert_eq!(one(vec![Some("run-1"); 5]), Some("run-1".to_owned()));
        assert_eq!(one(vec![Some(""); 3]), Some(String::new()));
        assert_eq!(one(vec![Some("x")]), Some("x".to_owned()));
        assert_eq!(one(vec![]), None);
        assert_eq!(one(vec![Some("a"), None, Some("a")]), None);
        // A difference at the start, the middle or the end of the bytes.
        assert_eq!(one(vec![Some("ba"), Some("aa"), Some("aa")]), None);
        assert_eq!(one(vec![Some("aa"), Some("ab"), Some("aa")]), None);
        assert_eq!(one(vec![Some("aa"), Some("aa"), Some("ab")]), None);
        // Equal bytes cut at other places.
        assert_eq!(one(vec![Some("ab"), Some("a"), Some("bab")]), None);
        assert_eq!(one(vec![Some("aa"), Some("a"), Some("a")]), None);
        // A slice starts and ends inside the buffers.
        let a = StringArray::from(vec!["z", "k", "k", "k", "q"]);
        assert_eq!(one_value(&a.slice(1, 3)), Some("k"));
        assert_eq!(one_value(&a.slice(0, 3)), None);
        assert_eq!(one_value(&a.slice(2, 3)), None);
    }
}
