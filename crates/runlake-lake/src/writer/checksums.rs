//! Page checksums of a finished data file (see `runlake_format::checksums`): the file is cut at
//! every page, dictionary page, column index, offset index and footer boundary its own metadata
//! names, and each piece gets a CRC-32.

use std::io::{BufReader, Read, Seek, SeekFrom};

use bytes::Bytes;
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, ParquetMetaDataReader};
use parquet::file::reader::ChunkReader;
use runlake_format::checksums::UnitChecksums;

use crate::error::{LakeError, Result};

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

/// The checksums of a file held in memory.
pub(crate) fn of_bytes(bytes: &Bytes) -> Result<String> {
    let len = bytes.len() as u64;
    let meta = metadata(bytes)?;
    let cuts = bounds(&meta, len, footer_len(bytes, len)?);
    Ok(UnitChecksums::compute(bytes, cuts).encode())
}

/// The checksums of a file written to a local temporary file, read once more in order.
pub(crate) fn of_file(file: &std::fs::File, len: u64) -> Result<String> {
    let io = |e: std::io::Error| LakeError::Task(format!("temporary data file: {e}"));
    let meta = metadata(file)?;
    let cuts = UnitChecksums::starts(bounds(&meta, len, footer_len(file, len)?), len);
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
    Ok(UnitChecksums::from_parts(cuts, crcs, len).encode())
}
