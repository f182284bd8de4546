//! Page checksums of a finished data file (see `runlake_format::checksums`): the file is cut at
//! every page, dictionary page, column index, offset index and footer boundary its own metadata
//! names, and each piece gets a CRC-32.

use std::io::{BufReader, Read, Seek, SeekFrom};

use bytes::Bytes;
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, ParquetMetaDataReader};
use parquet::file::reader::ChunkReader;
use runlake_format::checksums::UnitChecksums;

use crate::error::{LakeError, Result};
use crate::writer::write_log::WriteLog;

/// Where the pieces a Parquet reader fetches whole begin and end.
fn bounds(meta: &ParquetMetaData, len: u64, footer_len: u64) -> Vec<u64> {
    let mut out = vec![
        0,
        4,
        len.saturating_sub(8),
        len.saturating_sub(8 + footer_len),
    ];
    for rg in meta.row_groups() {
        for col in rg.columns() {
            let (start, size) = col.byte_range();
            out.extend([start, start + size]);
            for r in [col.column_index_range(), col.offset_index_range()]
                .into_iter()
                .flatten()
            {
                out.extend([r.start, r.end]);
            }
        }
    }
    if let Some(index) = meta.page_index() {
        for (r, rg) in meta.row_groups().iter().enumerate() {
            for c in 0..rg.num_columns() {
                let Some(offsets) = index.offset_index(r, c) else {
                    continue;
                };
                for page in offsets.page_locations() {
                    let start = u64::try_from(page.offset).unwrap_or(0);
                    let size = u64::try_from(page.compressed_page_size).unwrap_or(0);
                    out.extend([start, start + size]);
                }
            }
        }
    }
    out
}

fn footer_len<R: ChunkReader>(reader: &R, len: u64) -> Result<u64> {
    let tail = reader
        .get_bytes(len.saturating_sub(8), 8)
        .map_err(|e| LakeError::Task(format!("reading a written footer: {e}")))?;
    Ok(u64::from(u32::from_le_bytes([
        tail[0], tail[1], tail[2], tail[3],
    ])))
}

fn metadata<R: ChunkReader>(reader: &R) -> Result<ParquetMetaData> {
    ParquetMetaDataReader::new()
        .with_page_index_policy(PageIndexPolicy::Required)
        .parse_and_finish(reader)
        .map_err(|e| LakeError::Task(format!("reading a written footer: {e}")))
}

/// The checksums of a file held in memory: from the CRCs of the writes that made it where
/// `writes` answers, else from its bytes.
pub(crate) fn of_bytes(bytes: &Bytes, writes: Option<&WriteLog>) -> Result<String> {
    let len = bytes.len() as u64;
    let cuts = cuts_of(bytes, len)?;
    let answers = writes
        .and_then(|w| w.unit_crcs(&cuts, len))
        .unwrap_or_else(|| vec![None; cuts.len()]);
    let crcs = answered_or(answers, &cuts, len, |start, end| {
        Ok(crc32fast::hash(&bytes[start as usize..end as usize]))
    })?;
    Ok(UnitChecksums::from_parts(cuts, crcs, len).encode())
}

/// The checksums of a file written to a local temporary file: from the CRCs of the writes
/// that made it when `writes` can give every unit's, else by reading the file once more in
/// order. Either way its footer and page index are read to find the units.
pub(crate) fn of_file(file: &std::fs::File, len: u64, writes: Option<&WriteLog>) -> Result<String> {
    let cuts = cuts_of(file, len)?;
    let crcs = match writes.and_then(|w| w.unit_crcs(&cuts, len)) {
        Some(crcs) => fill_in(file, len, &cuts, crcs)?,
        None => read_back(file, len, &cuts)?,
    };
    Ok(UnitChecksums::from_parts(cuts, crcs, len).encode())
}

/// Each unit's CRC: the one `answers` holds, else `unit(start, end)` of its bytes.
fn answered_or(
    answers: Vec<Option<u32>>,
    cuts: &[u64],
    len: u64,
    mut unit: impl FnMut(u64, u64) -> Result<u32>,
) -> Result<Vec<u32>> {
    answers
        .into_iter()
        .enumerate()
        .map(|(i, crc)| match crc {
            Some(crc) => Ok(crc),
            None => unit(cuts[i], cuts.get(i + 1).copied().unwrap_or(len)),
        })
        .collect()
}

/// `crcs` with each unit the writes could not answer for read from the file.
fn fill_in(
    file: &std::fs::File,
    len: u64,
    cuts: &[u64],
    crcs: Vec<Option<u32>>,
) -> Result<Vec<u32>> {
    let io = |e: std::io::Error| LakeError::Task(format!("temporary data file: {e}"));
    let mut handle = file;
    let mut buf = Vec::new();
    answered_or(crcs, cuts, len, |start, end| {
        buf.resize((end - start) as usize, 0);
        handle.seek(SeekFrom::Start(start)).map_err(io)?;
        handle.read_exact(&mut buf).map_err(io)?;
        Ok(crc32fast::hash(&buf))
    })
}

/// Where the units of a file of `len` bytes start.
fn cuts_of<R: ChunkReader>(reader: &R, len: u64) -> Result<Vec<u64>> {
    let meta = metadata(reader)?;
    Ok(UnitChecksums::starts(
        bounds(&meta, len, footer_len(reader, len)?),
        len,
    ))
}

/// The CRC of each unit, reading the file in order.
fn read_back(file: &std::fs::File, len: u64, cuts: &[u64]) -> Result<Vec<u32>> {
    let io = |e: std::io::Error| LakeError::Task(format!("temporary data file: {e}"));
    let mut handle = file;
    handle.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut reader = BufReader::with_capacity(1 << 20, handle);
    let mut crcs = Vec::with_capacity(cuts.len());
    let mut buf = Vec::new();
    for (i, &start) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).copied().unwrap_or(len);
        buf.resize((end - start) as usize, 0);
        reader.read_exact(&mut buf).map_err(io)?;
        crcs.push(crc32fast::hash(&buf));
    }
    Ok(crcs)
}

#[cfg(test)]
mod tests {
    use runlake_format::Table;

    use super::*;
    use crate::testkit::batch;
    use crate::writer::encode::{FileBuilder, sorted_file_batches};

    /// Every table, in row groups from a few rows to all of them, and a file whose pages are
    /// large writes whose bytes the log does not keep: the writes' CRCs give each unit's
    /// checksum, equal to the file's bytes read back.
    #[test]
    fn units_the_writes_cannot_answer_for_are_read_from_the_file() {
        let sink = tempfile::tempfile().expect("tempfile");
        let table = Table::PosttrainSteps;
        let sorted =
            sorted_file_batches(table, vec![batch(table, &["a"], 3_000, 5)]).expect("sorted");
        let mut builder =
            FileBuilder::new(table, &[Some("sft".into())], sink, 1 << 15).expect("builder");
        builder.append(&sorted).expect("append");
        let (encoded, file) = builder.finish().expect("finish");
        let cuts = cuts_of(&file, encoded.size).expect("cuts");
        let read = read_back(&file, encoded.size, &cuts).expect("read back");
        // Every other unit left to the file.
        let partial: Vec<Option<u32>> = read
            .iter()
            .enumerate()
            .map(|(i, c)| (i % 2 == 0).then_some(*c))
            .collect();
        assert_eq!(
            fill_in(&file, encoded.size, &cuts, partial).expect("fill in"),
            read
        );
    }

    #[test]
    fn the_writes_give_every_units_checksum_as_the_bytes_read_back_do() {
        let cases = Table::ALL
            .into_iter()
            .flat_map(|t| [(t, 7, 400), (t, 100, 400), (t, 1 << 15, 400)])
            .chain([(Table::PosttrainSteps, 1 << 15, 40_000)]);
        for (table, row_group_rows, rows_per_run) in cases {
            let partition: Vec<Option<String>> = table
                .partition_columns()
                .iter()
                .map(|_| Some("p".to_owned()))
                .collect();
            let rows = batch(table, &["a", "b", "c"], rows_per_run, 11);
            let sorted = sorted_file_batches(table, vec![rows]).expect("sorted");
            let sink = tempfile::tempfile().expect("tempfile");
            let mut builder =
                FileBuilder::new(table, &partition, sink, row_group_rows).expect("builder");
            builder.append(&sorted).expect("append");
            let (encoded, file) = builder.finish().expect("finish");
            let writes = encoded.writes.as_deref().expect("a write log");
            let cuts = cuts_of(&file, encoded.size).expect("cuts");
            assert!(cuts.len() > 3, "{table}: {cuts:?}");
            let read = read_back(&file, encoded.size, &cuts).expect("read back");
            let answered = writes.unit_crcs(&cuts, encoded.size).expect("answers");
            assert!(
                answered.iter().all(Option::is_some),
                "{table}: {answered:?}"
            );
            assert_eq!(
                fill_in(&file, encoded.size, &cuts, answered).expect("fill in"),
                read,
                "{table}, row groups of {row_group_rows}"
            );
            // A file held in memory takes the same answers, and its bytes agree.
            let mut bytes = Vec::new();
            (&file).seek(SeekFrom::Start(0)).expect("seek");
            (&file).read_to_end(&mut bytes).expect("read");
            let bytes = Bytes::from(bytes);
            let expected = UnitChecksums::from_parts(cuts, read, encoded.size).encode();
            assert_eq!(of_bytes(&bytes, Some(writes)).expect("logged"), expected);
            assert_eq!(of_bytes(&bytes, None).expect("from bytes"), expected);
            if rows_per_run > 10_000 {
                // Megabytes of pages came as writes the log holds only the CRCs of.
                assert!(
                    writes.kept() as u64 + (1 << 20) < encoded.size,
                    "pages were kept: {} of {} bytes",
                    writes.kept(),
                    encoded.size
                );
            }
        }
    }
}
