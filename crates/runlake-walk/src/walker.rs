//! The walker: folder listings in name order that leave out what was already visited.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::WalkError;
use crate::identity::{FileId, file_id};

/// Remembers every file and folder visited so far, by what its path resolves to.
#[derive(Debug, Default)]
pub struct Walker {
    visited: HashSet<FileId>,
}

impl Walker {
    /// A walker that has visited nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks what `path` resolves to as visited; false when it was visited before.
    ///
    /// A path whose target cannot be examined (a dangling link, a missing file) counts as a
    /// first visit: whoever opens it next reports why it cannot be read.
    pub fn first_visit(&mut self, path: &Path) -> bool {
        match file_id(path) {
            Ok(id) => self.visited.insert(id),
            Err(_) => true,
        }
    }

    /// The entries of `dir` in name order, without those visited before; the folder and the
    /// returned entries are marked visited.
    ///
    /// Entries that are not links are marked first, so a file present both in this folder and
    /// as a link beside it is returned under its own name.
    pub fn entries(&mut self, dir: &Path) -> Result<Vec<PathBuf>, WalkError> {
        self.first_visit(dir);
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(WalkError::at(dir))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(WalkError::at(dir))?;
        paths.sort();
        let is_link = |p: &PathBuf| p.symlink_metadata().is_ok_and(|m| m.is_symlink());
        let mut keep = vec![false; paths.len()];
        for links in [false, true] {
            for (i, p) in paths.iter().enumerate() {
                if is_link(p) == links {
                    keep[i] = self.first_visit(p);
                }
            }
        }
        Ok(paths
            .into_iter()
            .zip(keep)
            .filter_map(|(p, k)| k.then_some(p))
            .collect())
    }
}

/// Every file below `roots` that `keep` accepts, each once, depth first in name order.
///
/// A root that is a file is listed as given, whatever `keep` says; a root already reached
/// through an earlier root is left out.
pub fn files(roots: &[PathBuf], keep: impl Fn(&Path) -> bool) -> Result<Vec<PathBuf>, WalkError> {
    let mut walker = Walker::new();
    let mut out = Vec::new();
    for root in roots {
        if !walker.first_visit(root) {
            continue;
        }
        if !root.is_dir() {
            out.push(root.clone());
            continue;
        }
        let mut stack = vec![walker.entries(root)?.into_iter()];
        while let Some(level) = stack.last_mut() {
            match level.next() {
                None => {
                    stack.pop();
                }
                Some(p) if p.is_dir() => stack.push(walker.entries(&p)?.into_iter()),
                Some(p) => {
                    if keep(&p) {
                        out.push(p);
                    }
                }
            }
        }
    }
    Ok(out)
}
