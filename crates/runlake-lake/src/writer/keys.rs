//! Fingerprints of row keys and whole rows, to find replaced and duplicated rows without
//! keeping the rows themselves in memory.

use arrow::array::{ArrayRef, RecordBatch};
use arrow::row::{RowConverter, SortField};
use arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::error::{Result, arrow_err};

/// A 128-bit fingerprint; collisions are negligible at any realistic table size.
pub(crate) type Fingerprint = u128;

fn fingerprint(bytes: &[u8]) -> Fingerprint {
    let hash = blake3::hash(bytes);
    let mut out = [0u8; 16];
    out.copy_from_slice(&hash.as_bytes()[..16]);
    u128::from_le_bytes(out)
}

/// Fingerprints of the given columns for every row of `batch`.
pub(crate) fn fingerprints(batch: &RecordBatch, columns: &[&str]) -> Result<Vec<Fingerprint>> {
    let arrays: Vec<ArrayRef> = columns
        .iter()
        .map(|c| {
            batch
                .column_by_name(c)
                .cloned()
                .ok_or_else(|| crate::error::LakeError::Task(format!("no column `{c}`")))
        })
        .collect::<Result<_>>()?;
    rows_fingerprints(&arrays, batch.num_rows())
}

/// Fingerprints of every column of every row.
pub(crate) fn row_fingerprints(batch: &RecordBatch) -> Result<Vec<Fingerprint>> {
    rows_fingerprints(batch.columns(), batch.num_rows())
}

fn rows_fingerprints(arrays: &[ArrayRef], num_rows: usize) -> Result<Vec<Fingerprint>> {
    let (encodable, text): (Vec<&ArrayRef>, Vec<&ArrayRef>) = arrays
        .iter()
        .partition(|a| RowConverter::supports_fields(&[SortField::new(a.data_type().clone())]));
    let fields = encodable
        .iter()
        .map(|a| SortField::new(a.data_type().clone()))
        .collect();
    let converter = RowConverter::new(fields).map_err(arrow_err("encoding row keys"))?;
    let owned: Vec<ArrayRef> = encodable.into_iter().cloned().collect();
    let rows = converter
        .convert_columns(&owned)
        .map_err(arrow_err("encoding row keys"))?;
    let options = FormatOptions::default().with_null("\u{0}null");
    let formatters = text
        .iter()
        .map(|a| ArrayFormatter::try_new(a.as_ref(), &options))
        .collect::<Result<Vec<_>, _>>()
        .map_err(arrow_err("formatting row values"))?;
    let mut buf = Vec::new();
    let mut out = Vec::with_capacity(num_rows);
    for i in 0..num_rows {
        buf.clear();
        buf.extend_from_slice(rows.row(i).as_ref());
        for f in &formatters {
            buf.push(0xff);
            buf.extend_from_slice(f.value(i).to_string().as_bytes());
        }
        out.push(fingerprint(&buf));
    }
    Ok(out)
}
