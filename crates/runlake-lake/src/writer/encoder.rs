//! One long-lived background thread per transaction that encodes (and uploads) spilled
//! buffers, one at a time.
//!
//! One thread rather than one per file: the allocator then reuses the same memory for every
//! file instead of growing a fresh arena per thread, and a rendezvous channel means a full
//! buffer waits for the previous file to finish, which bounds memory to two buffers.

use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;

use crate::error::{LakeError, Result};
use crate::writer::EncodedFile;

type Job = Box<dyn FnOnce() -> Result<EncodedFile> + Send>;

pub(crate) struct Encoder {
    jobs: Option<SyncSender<Job>>,
    results: Receiver<Result<EncodedFile>>,
    handle: Option<JoinHandle<()>>,
}

impl Encoder {
    pub(crate) fn new() -> Self {
        let (jobs, incoming) = sync_channel::<Job>(0);
        let (done, results) = channel();
        let handle = std::thread::spawn(move || {
            for job in incoming {
                if done.send(job()).is_err() {
                    break;
                }
            }
        });
        Self {
            jobs: Some(jobs),
            results,
            handle: Some(handle),
        }
    }

    /// Hands a file to the thread, waiting while it is still busy with the previous one.
    pub(crate) fn submit(&mut self, job: Job) -> Result<()> {
        let dead = || LakeError::Task("the encoding thread stopped".into());
        self.jobs.as_ref().ok_or_else(dead)?.send(job).map_err(|_| dead())
    }

    /// Files finished so far.
    pub(crate) fn ready(&mut self) -> Vec<Result<EncodedFile>> {
        self.results.try_iter().collect()
    }

    /// Waits for every submitted file.
    pub(crate) fn finish(mut self) -> Result<Vec<Result<EncodedFile>>> {
        self.jobs = None;
        let out = self.results.iter().collect();
        if let Some(handle) = self.handle.take() {
            handle
                .join()
                .map_err(|_| LakeError::Task("encoding thread panicked".into()))?;
        }
        Ok(out)
    }
}
