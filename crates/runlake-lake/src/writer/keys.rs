//! Fingerprints of row keys and whole rows, to find replaced and duplicated rows without
//! keeping the rows themselves in memory.
//!
//! Each column is hashed column-at-a-time into two independent 64-bit lanes per row, which is
//! far cheaper than encoding rows: conversion hashes millions of rows per commit. Fingerprints
//! live only inside one process and are never stored.

use std::hash::{BuildHasherDefault, Hasher};

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{
    DataType, Float64Type, Int32Type, Int64Type, TimeUnit, TimestampMicrosecondType,
};
use arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::error::{LakeError, Result, arrow_err};

/// A 128-bit fingerprint; collisions are negligible at any realistic table size.
pub(crate) type Fingerprint = u128;

/// Hash maps keyed by fingerprints, which are already uniformly distributed.
pub(crate) type FingerprintBuild = BuildHasherDefault<PassThrough>;

/// A hasher that keeps the low bits of a fingerprint as its hash.
#[derive(Default)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = mix(self.0 ^ u64::from_le_bytes(word));
        }
    }

    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
}

const SEEDS: [u64; 2] = [0x9E37_79B9_7F4A_7C15, 0xC2B2_AE3D_27D4_EB4F];
const NULL: u64 = 0x51_7CC1_B727_220A;

/// A strong 64-bit finaliser (splitmix64).
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = mix(seed ^ bytes.len() as u64);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(c);
        h = mix(h ^ u64::from_le_bytes(word));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = mix(h ^ u64::from_le_bytes(word) ^ 0xFF);
    }
    h
}

/// The hashes of recently seen strings, each in a slot its length and last byte pick. Key
/// strings (run, task, source) repeat row after row, and a map's keys cycle through a few
/// names, so most strings of a column are hashed once rather than once per row.
#[derive(Default)]
struct RecentStrings<'a> {
    slots: [Option<(&'a str, [u64; 2])>; 32],
}

impl<'a> RecentStrings<'a> {
    fn hashes(&mut self, value: &'a str) -> [u64; 2] {
        let last = value.as_bytes().last().copied().unwrap_or(0);
        let slot = (value.len().wrapping_mul(31) ^ usize::from(last)) % self.slots.len();
        match self.slots[slot] {
            Some((seen, hashes)) if seen == value => hashes,
            _ => {
                let hashes = SEEDS.map(|seed| hash_bytes(seed, value.as_bytes()));
                self.slots[slot] = Some((value, hashes));
                hashes
            }
        }
    }
}

/// Folds one column into the running per-row lanes.
fn fold_column(array: &ArrayRef, lanes: &mut [[u64; 2]]) -> Result<()> {
    let mut fold = |i: usize, lane: usize, v: u64| {
        lanes[i][lane] = mix(lanes[i][lane].rotate_left(5) ^ v);
    };
    let n = array.len();
    // The null buffer once, rather than through the array's vtable for every value.
    let nulls = array.nulls();
    let is_null = |i: usize| nulls.is_some_and(|b| b.is_null(i));
    match array.data_type() {
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            let mut recent = RecentStrings::default();
            for i in 0..n {
                let hashes = if is_null(i) {
                    [NULL, NULL]
                } else {
                    recent.hashes(a.value(i))
                };
                for (lane, v) in hashes.into_iter().enumerate() {
                    fold(i, lane, v);
                }
            }
        }
        DataType::Int64 => fold_values(
            array.as_primitive::<Int64Type>().values(),
            array,
            |v| v as u64,
            &mut fold,
        ),
        DataType::Int32 => fold_values(
            array.as_primitive::<Int32Type>().values(),
            array,
            |v| v as u64,
            &mut fold,
        ),
        DataType::Float64 => fold_values(
            array.as_primitive::<Float64Type>().values(),
            array,
            f64::to_bits,
            &mut fold,
        ),
        DataType::Timestamp(TimeUnit::Microsecond, _) => fold_values(
            array.as_primitive::<TimestampMicrosecondType>().values(),
            array,
            |v| v as u64,
            &mut fold,
        ),
        DataType::Boolean => {
            let a = array.as_boolean();
            for i in 0..n {
                let v = if is_null(i) {
                    NULL
                } else {
                    u64::from(a.value(i)) + 1
                };
                fold(i, 0, v);
                fold(i, 1, v);
            }
        }
        DataType::Map(_, _) => {
            let map = array.as_map();
            fold_nested(
                array,
                map.value_offsets(),
                map.entries().columns(),
                &mut fold,
            )?;
        }
        DataType::List(_) => {
            let list = array.as_list::<i32>();
            fold_nested(
                array,
                list.value_offsets(),
                std::slice::from_ref(list.values()),
                &mut fold,
            )?;
        }
        _ => {
            // Other nested columns are rare and small: hash their rendered text.
            let options = FormatOptions::default().with_null("\u{0}null");
            let f = ArrayFormatter::try_new(array.as_ref(), &options)
                .map_err(arrow_err("fingerprinting rows"))?;
            for i in 0..n {
                let text = if is_null(i) {
                    String::new()
                } else {
                    f.value(i).to_string()
                };
                for (lane, seed) in SEEDS.iter().enumerate() {
                    let v = if is_null(i) {
                        NULL
                    } else {
                        hash_bytes(*seed, text.as_bytes())
                    };
                    fold(i, lane, v);
                }
            }
        }
    }
    Ok(())
}

/// Folds a column of lists or maps: each row's entries (`offsets` into the `children`
/// columns, a map's keys and values) are fingerprinted as rows of their own, then combined in
/// order with the row's length.
fn fold_nested(
    array: &ArrayRef,
    offsets: &[i32],
    children: &[ArrayRef],
    fold: &mut impl FnMut(usize, usize, u64),
) -> Result<()> {
    let entries = children.first().map_or(0, |c| c.len());
    let mut lanes = vec![[0u64; 2]; entries];
    for child in children {
        fold_column(child, &mut lanes)?;
    }
    let nulls = array.nulls();
    for i in 0..array.len() {
        if nulls.is_some_and(|b| b.is_null(i)) {
            fold(i, 0, NULL);
            fold(i, 1, NULL);
            continue;
        }
        let range = offsets[i].max(0) as usize..offsets[i + 1].max(0) as usize;
        let mut h = SEEDS.map(|seed| mix(seed ^ range.len() as u64));
        for entry in &lanes[range] {
            for lane in 0..2 {
                h[lane] = mix(h[lane].rotate_left(5) ^ entry[lane]);
            }
        }
        fold(i, 0, h[0]);
        fold(i, 1, h[1]);
    }
    Ok(())
}

fn fold_values<T: Copy>(
    values: &[T],
    array: &ArrayRef,
    bits: impl Fn(T) -> u64,
    fold: &mut impl FnMut(usize, usize, u64),
) {
    let nulls = array.nulls();
    for (i, v) in values.iter().enumerate() {
        let v = if nulls.is_some_and(|b| b.is_null(i)) {
            NULL
        } else {
            bits(*v)
        };
        fold(i, 0, v ^ SEEDS[0]);
        fold(i, 1, v ^ SEEDS[1]);
    }
}

fn finish(lanes: Vec<[u64; 2]>) -> Vec<Fingerprint> {
    lanes
        .into_iter()
        .map(|[a, b]| (u128::from(a) << 64) | u128::from(b))
        .collect()
}

/// Fingerprints of the given columns for every row of `batch`.
pub(crate) fn fingerprints(batch: &RecordBatch, columns: &[&str]) -> Result<Vec<Fingerprint>> {
    let mut lanes = vec![[0u64; 2]; batch.num_rows()];
    for c in columns {
        let column = batch
            .column_by_name(c)
            .ok_or_else(|| LakeError::Task(format!("no column `{c}`")))?;
        fold_column(column, &mut lanes)?;
    }
    Ok(finish(lanes))
}

/// Fingerprints of every column of every row.
pub(crate) fn row_fingerprints(batch: &RecordBatch) -> Result<Vec<Fingerprint>> {
    let mut lanes = vec![[0u64; 2]; batch.num_rows()];
    for column in batch.columns() {
        fold_column(column, &mut lanes)?;
    }
    Ok(finish(lanes))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Float64Array, Int64Array, StringArray};
    use arrow::datatypes::{Field, Schema};

    use super::*;

    fn batch(
        names: Vec<Option<&str>>,
        steps: Vec<Option<i64>>,
        xs: Vec<Option<f64>>,
    ) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Utf8, true),
            Field::new("b", DataType::Int64, true),
            Field::new("c", DataType::Float64, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(names)),
                Arc::new(Int64Array::from(steps)),
                Arc::new(Float64Array::from(xs)),
            ],
        )
        .expect("batch")
    }

    #[test]
    fn equal_rows_match_and_any_difference_separates() {
        let b = batch(
            vec![
                Some("x"),
                Some("x"),
                Some("x"),
                None,
                Some(""),
                Some("x"),
                Some("xy"),
            ],
            vec![Some(1), Some(1), Some(2), Some(1), Some(1), Some(1), None],
            vec![
                Some(0.5),
                Some(0.5),
                Some(0.5),
                Some(0.5),
                Some(0.5),
                Some(-0.5),
                Some(0.5),
            ],
        );
        let fps = row_fingerprints(&b).expect("fps");
        assert_eq!(fps[0], fps[1]);
        for i in 2..fps.len() {
            assert_ne!(fps[0], fps[i], "row {i}");
        }
        let keys = fingerprints(&b, &["a", "b"]).expect("keys");
        assert_eq!(keys[0], keys[5], "same key, other value");
        assert_ne!(keys[0], keys[2]);
        // Moving a value between adjacent columns changes the fingerprint.
        let swapped = batch(vec![Some("1")], vec![None], vec![None]);
        let other = batch(vec![None], vec![Some(1)], vec![None]);
        assert_ne!(
            row_fingerprints(&swapped).expect("a"),
            row_fingerprints(&other).expect("b")
        );
    }

    #[test]
    fn strings_hashed_through_the_recent_cache_equal_strings_hashed_alone() {
        // Enough names, cycling and repeating, that slots are shared and overwritten.
        let names: Vec<String> = (0..300)
            .map(|i| format!("{}{}", "k".repeat(i % 7), (i * 37) % 101))
            .collect();
        let values: Vec<Option<&str>> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (i % 13 != 0).then_some(n.as_str()))
            .collect();
        let n = values.len();
        let b = batch(values, vec![Some(1); n], vec![Some(0.5); n]);
        let whole = row_fingerprints(&b).expect("whole");
        for (i, fp) in whole.iter().enumerate() {
            let alone = row_fingerprints(&b.slice(i, 1)).expect("alone");
            assert_eq!(alone, [*fp], "row {i}");
        }
    }

    #[test]
    fn maps_match_by_entries_in_order() {
        use arrow::array::{MapBuilder, StringBuilder};
        let mut b = MapBuilder::new(
            None,
            StringBuilder::new(),
            arrow::array::Float64Builder::new(),
        );
        let rows: [Option<&[(&str, f64)]>; 8] = [
            Some(&[("a", 1.0), ("b", 2.0)]),
            Some(&[("a", 1.0), ("b", 2.0)]),
            Some(&[("b", 2.0), ("a", 1.0)]),
            Some(&[("a", 1.0), ("b", 2.5)]),
            Some(&[("a", 1.0)]),
            Some(&[]),
            None,
            Some(&[("ab", 1.0)]),
        ];
        for row in rows {
            match row {
                Some(entries) => {
                    for (k, v) in entries {
                        b.keys().append_value(k);
                        b.values().append_value(*v);
                    }
                    b.append(true).expect("append");
                }
                None => b.append(false).expect("append"),
            }
        }
        let array: ArrayRef = Arc::new(b.finish());
        let schema = Arc::new(Schema::new(vec![Field::new(
            "m",
            array.data_type().clone(),
            true,
        )]));
        let batch = RecordBatch::try_new(schema, vec![array]).expect("batch");
        let f = fingerprints(&batch, &["m"]).expect("fingerprints");
        assert_eq!(f[0], f[1], "equal maps");
        for j in 2..f.len() {
            assert_ne!(f[0], f[j], "row {j}");
        }
        let distinct: std::collections::HashSet<_> = f[2..].iter().collect();
        assert_eq!(distinct.len(), f.len() - 2, "every other row differs");
        // A slice of the column fingerprints its rows as the whole column does.
        let sliced = fingerprints(&batch.slice(3, 4), &["m"]).expect("sliced");
        assert_eq!(sliced, f[3..7]);
    }
}
