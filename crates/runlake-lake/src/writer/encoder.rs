//! Long-lived background threads, one per core (at most [`MAX_WORKERS`]), that sort spilled
//! buffers and append them to data files, one buffer at a time each.
//!
//! Each table partition has one open file on local disk, always written by the same thread; a
//! full buffer becomes the next sorted run of row groups in it, and the file is closed (hashed,
//! then uploaded) once it holds `file_rows` rows or the transaction commits. So files are large
//! even though the buffers are small, and the transaction holds at most one buffer filling and
//! one being written per thread. Partitions are dealt to the threads in the order they first
//! spill, so the partitions a conversion fills side by side (SFT and DPO steps) are encoded side
//! by side. Long-lived threads rather than one per buffer also let the allocator reuse the same
//! memory for every buffer.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;

use arrow::array::RecordBatch;
use bytes::Bytes;
use runlake_format::Table;

use crate::error::{LakeError, Result};
use crate::lake::Lake;
use crate::writer::EncodedFile;
use crate::writer::encode::sorted_file_batches;
use crate::writer::open_file::OpenFile;
use crate::writer::staged::{StagedFile, TempFiles, link_into_lake};
use crate::writer::upload::upload_from_file;

/// Row groups a merged file holds at least when a large file is merged as several.
const MIN_RANGE_ROW_GROUPS: u64 = 8;

/// Encoding threads at most: one per core of the machines the project is measured on; more
/// would each hold a buffer without speeding anything up there.
const MAX_WORKERS: usize = 2;

/// A full buffer of one table partition.
pub(crate) struct Chunk {
    pub table: Table,
    pub key: Vec<Option<String>>,
    pub batches: Vec<RecordBatch>,
}

/// Where closed files go: uploaded at once from a multi-threaded runtime, or kept in memory
/// for the commit to upload (blocking on a single-threaded runtime could deadlock).
pub(crate) type Uploader = Option<(tokio::runtime::Handle, Lake)>;

pub(crate) struct Encoder {
    /// Each thread's buffer slot; emptied when the encoder finishes.
    workers: Vec<SyncSender<Chunk>>,
    /// The thread each partition was dealt to.
    assigned: BTreeMap<(Table, Vec<Option<String>>), usize>,
    results: Receiver<Result<EncodedFile>>,
    handles: Vec<JoinHandle<()>>,
}

struct Worker {
    uploader: Uploader,
    row_group_rows: usize,
    /// Merge a file's sorted runs into one before it is uploaded.
    merge_runs: bool,
    file_rows: u64,
    temp: TempFiles,
    open: BTreeMap<(Table, Vec<Option<String>>), OpenFile>,
    done: Sender<Result<EncodedFile>>,
}

impl Worker {
    fn take(&mut self, chunk: Chunk) -> Result<()> {
        let sorted = sorted_file_batches(chunk.table, chunk.batches)?;
        let slot = (chunk.table, chunk.key);
        let open = match self.open.remove(&slot) {
            Some(open) => open,
            None => OpenFile::new(
                slot.0,
                &slot.1,
                self.merge_runs,
                &self.temp,
                self.row_group_rows,
            )?,
        };
        let open = open.append(&sorted, &self.temp)?;
        drop(sorted);
        if open.rows() >= self.file_rows {
            self.close(open)?;
        } else {
            self.open.insert(slot, open);
        }
        Ok(())
    }

    /// Closes a file (merging its runs, if any, into one or more sorted files) and sends each
    /// on.
    fn close(&self, open: OpenFile) -> Result<()> {
        // Halves of a full file, so large files merge on two threads; but never pieces of less
        // than a few row groups, which would read as slowly as the runs did.
        let range_rows = self
            .file_rows
            .div_ceil(2)
            .max(MIN_RANGE_ROW_GROUPS * self.row_group_rows as u64);
        let files = open
            .close()?
            .into_files(&self.temp, self.row_group_rows, range_rows)?;
        for (encoded, file) in files {
            let _ = self.done.send(Ok(self.store(encoded, file)?));
        }
        Ok(())
    }

    /// Checksums a closed file's pages and puts it into the lake (a link when it was written
    /// in a local lake's staging folder), or reads it into memory.
    fn store(&self, mut encoded: EncodedFile, staged: StagedFile) -> Result<EncodedFile> {
        let io = |e: std::io::Error| LakeError::Task(format!("temporary data file: {e}"));
        let writes = encoded.writes.take();
        encoded.page_crc32 = Some(super::checksums::of_file(
            &staged.file,
            encoded.size,
            writes.as_deref(),
        )?);
        match &self.uploader {
            Some((handle, lake)) => {
                let linked = match (lake.local_dir(), staged.staged_path()) {
                    (Some(root), Some(path)) => link_into_lake(&root, &encoded.path, path).is_ok(),
                    _ => false,
                };
                // A gc without grace may have taken the staged name; the open file still holds
                // every byte, so it is copied instead.
                if !linked {
                    let mut file = &staged.file;
                    file.seek(SeekFrom::Start(0)).map_err(io)?;
                    handle.block_on(upload_from_file(lake, &encoded, &staged.file))?;
                }
                encoded.uploaded = true;
                encoded.spilled = Some(std::sync::Arc::new(staged.into_file()));
            }
            None => {
                let mut file = staged.into_file();
                file.seek(SeekFrom::Start(0)).map_err(io)?;
                let mut bytes = Vec::with_capacity(encoded.size as usize);
                file.read_to_end(&mut bytes).map_err(io)?;
                encoded.bytes = Bytes::from(bytes);
            }
        }
        Ok(encoded)
    }

    fn run(mut self, chunks: Receiver<Chunk>) {
        for chunk in chunks {
            if let Err(e) = self.take(chunk) {
                let _ = self.done.send(Err(e));
                return;
            }
        }
        for (_, open) in std::mem::take(&mut self.open) {
            if let Err(e) = self.close(open) {
                let _ = self.done.send(Err(e));
                return;
            }
        }
    }
}

impl Encoder {
    pub(crate) fn new(
        uploader: Uploader,
        row_group_rows: usize,
        file_rows: usize,
        merge_runs: bool,
    ) -> Self {
        let (done, results) = channel();
        let count = std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_WORKERS));
        let mut workers = Vec::with_capacity(count);
        let mut handles = Vec::with_capacity(count);
        for _ in 0..count {
            let (chunks, incoming) = sync_channel::<Chunk>(0);
            let temp = TempFiles::new(uploader.as_ref().and_then(|(_, lake)| lake.local_dir()));
            let worker = Worker {
                temp,
                uploader: uploader.clone(),
                row_group_rows,
                merge_runs,
                file_rows: file_rows.max(1) as u64,
                open: BTreeMap::new(),
                done: done.clone(),
            };
            workers.push(chunks);
            handles.push(std::thread::spawn(move || worker.run(incoming)));
        }
        Self {
            workers,
            assigned: BTreeMap::new(),
            results,
            handles,
        }
    }

    /// Hands a buffer to its partition's thread, waiting while that thread is still busy with
    /// the buffer before.
    pub(crate) fn submit(&mut self, chunk: Chunk) -> Result<()> {
        let next = self.assigned.len() % self.workers.len().max(1);
        let worker = *self
            .assigned
            .entry((chunk.table, chunk.key.clone()))
            .or_insert(next);
        let sent = match self.workers.get(worker) {
            Some(tx) => tx.send(chunk).is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The thread stopped: its last message says why.
        match self.results.try_iter().find_map(|r| r.err()) {
            Some(e) => Err(e),
            None => Err(LakeError::Task("an encoding thread stopped".into())),
        }
    }

    /// Files closed so far.
    pub(crate) fn ready(&mut self) -> Vec<Result<EncodedFile>> {
        self.results.try_iter().collect()
    }

    /// Closes every open file and waits for all of them.
    pub(crate) fn finish(mut self) -> Result<Vec<Result<EncodedFile>>> {
        self.workers.clear();
        let out = self.results.iter().collect();
        for handle in self.handles.drain(..) {
            handle
                .join()
                .map_err(|_| LakeError::Task("an encoding thread panicked".into()))?;
        }
        Ok(out)
    }
}
