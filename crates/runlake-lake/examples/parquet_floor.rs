//! What the Parquet format alone costs a conversion: decoding its input files once, and
//! encoding its output rows with the settings the lake writes every data file with. Nothing
//! else a conversion does (parsing, checking, sorting, hashing, writing to disk) is counted, so
//! the two figures together are a floor no conversion of those files can go below.
//!
//! usage: parquet_floor decode FILE...
//!        parquet_floor encode TABLE FILE...   (FILEs of TABLE, e.g. a lake's own files)
//!
//! Prints the rows and the CPU seconds (user + system) of the thread doing the work: decoding
//! and encoding a file are single-threaded here, as they are in a conversion.

#![allow(clippy::print_stdout, reason = "a benchmark: its output is its report")]

use std::fs::File;
use std::io::Write;
use std::sync::Arc;

use arrow::array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use runlake_lake::{LakeConfig, ROW_GROUP_BYTES, Table, writer_properties};

// The allocator the `runlake` binary runs with: page faults on fresh buffers are part of the
// cost measured.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// This thread's time on a CPU so far, in seconds (the first field of its schedstat, in ns).
fn thread_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat")
        .expect("the thread's CPU time (Linux's /proc)");
    let ns: u64 = stat
        .split_whitespace()
        .next()
        .and_then(|t| t.parse().ok())
        .expect("schedstat starts with nanoseconds on a CPU");
    ns as f64 / 1e9
}

fn decode(path: &str) -> Vec<RecordBatch> {
    let file = File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(1 << 16).build())
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    reader
        .map(|b| b.unwrap_or_else(|e| panic!("{path}: {e}")))
        .collect()
}

/// Counts the bytes written, keeping none.
struct Counted(u64);

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: parquet_floor decode FILE... | parquet_floor encode TABLE FILE...";
    let (mode, rest) = args.split_first().expect(usage);
    let (mut rows, mut cpu, mut bytes) = (0, 0.0, 0);
    match mode.as_str() {
        "decode" => {
            for path in rest {
                let before = thread_cpu();
                // Batches are dropped file by file, as a conversion lets them go.
                rows += decode(path)
                    .iter()
                    .map(RecordBatch::num_rows)
                    .sum::<usize>();
                cpu += thread_cpu() - before;
            }
        }
        "encode" => {
            let (table, files) = rest.split_first().expect(usage);
            let table = Table::ALL
                .into_iter()
                .find(|t| t.name() == table)
                .expect("a table name: metadata, pretrain_ckpts, posttrain_steps, evals, lineage");
            let props =
                writer_properties(table, LakeConfig::default().row_group_rows, ROW_GROUP_BYTES)
                    .expect("the lake's writer settings");
            for path in files {
                let batches = decode(path);
                let before = thread_cpu();
                let schema = Arc::clone(batches.first().expect("a file with rows").schema_ref());
                let mut writer = ArrowWriter::try_new(Counted(0), schema, Some(props.clone()))
                    .unwrap_or_else(|e| panic!("{path}: {e}"));
                for batch in &batches {
                    writer
                        .write(batch)
                        .unwrap_or_else(|e| panic!("{path}: {e}"));
                }
                bytes += writer
                    .into_inner()
                    .unwrap_or_else(|e| panic!("{path}: {e}"))
                    .0;
                cpu += thread_cpu() - before;
                rows += batches.iter().map(RecordBatch::num_rows).sum::<usize>();
            }
        }
        _ => panic!("{usage}"),
    }
    println!("{mode}: {rows} rows, {cpu:.2} CPU-s, {bytes} bytes written");
}
