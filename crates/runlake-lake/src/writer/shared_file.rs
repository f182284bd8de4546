//! A local temporary file that several threads read at once.
//!
//! Parquet's reader for a `File` clones the handle and seeks it, and clones share one cursor,
//! so two threads reading the same temporary file would read each other's bytes. Positional
//! reads carry their own offset instead.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::sync::Arc;

use bytes::Bytes;
use parquet::errors::ParquetError;
use parquet::file::reader::{ChunkReader, Length};

#[derive(Debug, Clone)]
pub(crate) struct SharedFile {
    file: Arc<File>,
    len: u64,
}

impl SharedFile {
    pub(crate) fn new(file: File) -> std::io::Result<Self> {
        let len = file.metadata()?.len();
        Ok(Self {
            file: Arc::new(file),
            len,
        })
    }

    /// A reader of the file starting at byte `pos`, with its own offset.
    fn at(&self, pos: u64) -> At {
        At {
            file: Arc::clone(&self.file),
            pos,
            len: self.len,
        }
    }

    /// [`at`](Self::at), buffered.
    pub(crate) fn reader_at(&self, pos: u64) -> BufReader<At> {
        BufReader::new(self.at(pos))
    }
}

impl Length for SharedFile {
    fn len(&self) -> u64 {
        self.len
    }
}

impl ChunkReader for SharedFile {
    type T = BufReader<At>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(self.reader_at(start))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        let mut buf = vec![0; length];
        self.at(start).read_exact(&mut buf).map_err(|e| {
            ParquetError::General(format!(
                "reading {length} bytes at {start} of a temporary data file: {e}"
            ))
        })?;
        Ok(buf.into())
    }
}

/// A reader at its own offset of a shared file.
pub(crate) struct At {
    file: Arc<File>,
    pos: u64,
    len: u64,
}

impl Read for At {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = read_at(&self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for At {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(n) => self.len.checked_add_signed(n),
            SeekFrom::Current(n) => self.pos.checked_add_signed(n),
        };
        self.pos = pos.ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "seek before the start of a temporary data file",
            )
        })?;
        Ok(self.pos)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], pos: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, pos)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], pos: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, pos)
}

#[cfg(test)]
mod tests {
    use std::io::{Seek, SeekFrom, Write};

    use super::*;

    #[test]
    fn threads_reading_one_file_each_get_their_own_bytes() {
        let mut file = tempfile::tempfile().expect("tempfile");
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        file.write_all(&data).expect("write");
        file.seek(SeekFrom::Start(7)).expect("seek");
        let shared = SharedFile::new(file).expect("shared");
        assert_eq!(shared.len(), data.len() as u64);
        std::thread::scope(|s| {
            for start in [0usize, 1, 50_000, 123_457] {
                let (shared, data) = (shared.clone(), &data);
                s.spawn(move || {
                    for round in 0..200 {
                        let at = (start + round * 97) % 150_000;
                        let bytes = shared.get_bytes(at as u64, 4096).expect("bytes");
                        assert_eq!(&bytes[..], &data[at..at + 4096], "bytes at {at}");
                        let mut read = shared.get_read(at as u64).expect("read");
                        let mut head = [0u8; 100];
                        read.read_exact(&mut head).expect("head");
                        assert_eq!(&head[..], &data[at..at + 100], "reader at {at}");
                    }
                });
            }
        });
        let past_end = shared.get_bytes(data.len() as u64 - 10, 20);
        assert!(past_end.is_err(), "a short read is an error");
    }
}
