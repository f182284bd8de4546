//! Walks the folders users hand to `convert`, in name order, visiting each file and folder once.
//!
//! Export trees arrive with symbolic links: a folder linked into itself (`x -> .`) would make a
//! naive recursive walk loop forever, and a file linked beside its original would be read twice
//! and counted twice. A [`Walker`] remembers what each path resolves to (device and inode on
//! Unix, the canonical path elsewhere) and skips anything it has already visited. The walk is
//! iterative, so a deep tree cannot exhaust the stack.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("a.jsonl"), "{}")?;
//! std::fs::write(dir.path().join("notes.txt"), "")?;
//! let files = runlake_walk::files(&[dir.path().to_owned()], |p| {
//!     p.extension().is_some_and(|e| e == "jsonl")
//! })?;
//! assert_eq!(files, vec![dir.path().join("a.jsonl")]);
//! # Ok(())
//! # }
//! ```

mod error;
mod identity;
mod walker;

pub use error::WalkError;
pub use walker::{Walker, files};
