//! Checking a lake: the manifest chain, and every referenced file's presence, size and hash.

use std::collections::BTreeMap;

use bytes::Bytes;
use futures::StreamExt;
use object_store::ObjectStoreExt;
use runlake_format::{ContentHash, DataFile, VersionFile};

use serde::Serialize;

use crate::error::Result;
use crate::lake::Lake;
use crate::versions::LogProblemKind;

/// What is wrong with one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A referenced data file is absent.
    Missing,
    /// A data file's size differs from the manifest.
    Resized,
    /// A data file's bytes do not hash to its BLAKE3.
    HashMismatch,
    /// A manifest cannot be read or parsed.
    BrokenManifest,
    /// A manifest's parent link is wrong, a version is missing from the sequence, or a version
    /// file cannot be read.
    BrokenLink,
    /// A file in the versions folder that is not part of the chain (garbage, a copy of a
    /// manifest under another number, a number far beyond the latest version).
    StrayFile,
    /// A table's Delta log disagrees with the manifests: behind, ahead, missing a commit, or
    /// holding other bytes than the manifests give.
    DeltaLog,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Lake-relative path of the object.
    pub path: String,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// Human-readable detail.
    pub detail: String,
}

/// The result of a verification.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    /// Latest version found.
    pub latest: Option<u64>,
    /// Versions whose manifests were read (tombstones included).
    pub versions_checked: u64,
    /// Distinct data files checked.
    pub files_checked: u64,
    /// Bytes re-hashed (deep only).
    pub bytes_hashed: u64,
    /// Everything wrong; empty when the lake is sound.
    pub problems: Vec<Problem>,
    /// Tables whose Delta log lags behind the latest version, as a crash between a commit and
    /// its Delta commit leaves it. The lake is sound; the next commit, `runlake delta` or
    /// `verify --repair` catches the log up.
    pub delta_lagging: Vec<Problem>,
}

impl VerifyReport {
    /// Whether nothing is wrong.
    pub fn is_sound(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Writes what the Delta logs lack and rewrites their commits that disagree with the
/// manifests, then verifies the lake.
pub async fn repair(lake: &Lake, deep: bool) -> Result<(crate::delta::DeltaReport, VerifyReport)> {
    let chain = lake.log().chain().await?;
    let written = crate::delta::repair(lake, &chain).await?;
    Ok((written, verify(lake, deep).await?))
}

/// Verifies every retained version of the lake. `deep` re-hashes every byte of every file;
/// otherwise presence and size are checked with HEAD requests.
pub async fn verify(lake: &Lake, deep: bool) -> Result<VerifyReport> {
    let mut report = VerifyReport::default();
    let chain = lake.log().chain().await?;
    report.latest = chain.latest;
    if chain.latest.is_none() && chain.problems.is_empty() {
        return Err(lake.not_a_lake());
    }
    for p in &chain.problems {
        report.problems.push(Problem {
            path: p.path.clone(),
            kind: match p.kind {
                LogProblemKind::Stray => ProblemKind::StrayFile,
                LogProblemKind::Unreadable => ProblemKind::BrokenManifest,
                LogProblemKind::BrokenLink => ProblemKind::BrokenLink,
            },
            detail: p.detail.clone(),
        });
    }
    report.problems.extend(non_files_among_versions(lake));
    for p in crate::delta::check(lake, &chain).await? {
        if p.lagging {
            report.delta_lagging.push(Problem {
                path: p.path,
                kind: ProblemKind::DeltaLog,
                detail: p.detail,
            });
            continue;
        }
        report.problems.push(Problem {
            path: p.path,
            kind: ProblemKind::DeltaLog,
            detail: p.detail,
        });
    }
    let mut files: BTreeMap<String, DataFile> = BTreeMap::new();
    for stored in &chain.versions {
        report.versions_checked += 1;
        if let VersionFile::Live(m) = &stored.file {
            for (_, f) in m.all_files() {
                files.entry(f.path.clone()).or_insert_with(|| f.clone());
            }
        }
    }
    report.files_checked = files.len() as u64;
    let handle = lake.clone();
    let checks = futures::stream::iter(files.into_values())
        .map(move |f| {
            let lake = handle.clone();
            async move { check_file(&lake, f, deep).await }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    for check in checks {
        let (hashed, problem) = check?;
        report.bytes_hashed += hashed;
        report.problems.extend(problem);
    }
    report.problems.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(report)
}

/// Entries of a local lake's versions folder that are not files: folders, pipes, devices, and
/// links leading nowhere. Listings skip them, so the log cannot see them, but one at the next
/// version's name stops every commit, and any other is not the lake's.
fn non_files_among_versions(lake: &Lake) -> Vec<Problem> {
    let Some(root) = lake.local_dir() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(root.join(runlake_format::layout::VERSIONS_DIR)) else {
        return Vec::new();
    };
    let mut found: Vec<Problem> = entries
        .flatten()
        .filter(|e| !e.path().is_file())
        .map(|e| Problem {
            path: format!(
                "{}/{}",
                runlake_format::layout::VERSIONS_DIR,
                e.file_name().to_string_lossy()
            ),
            kind: ProblemKind::StrayFile,
            detail: "not a file (a folder, a pipe or device, or a link leading nowhere) among \
                     the version files: the lake never makes one, and one at the next version's \
                     name stops every commit; move it out of the lake"
                .to_owned(),
        })
        .collect();
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

/// A data file's bytes, fetched whole and checked against the manifest, or what is wrong with
/// them (missing, resized, or not their BLAKE3).
pub(crate) async fn verified_bytes(
    lake: &Lake,
    file: &DataFile,
) -> Result<std::result::Result<Bytes, String>> {
    let display = || lake.display_path(&file.path);
    let bytes = match lake.store().get(&lake.path(&file.path)).await {
        Ok(r) => r
            .bytes()
            .await
            .map_err(crate::error::store_err(display()))?,
        Err(object_store::Error::NotFound { .. }) => {
            return Ok(Err(MISSING.to_owned()));
        }
        Err(e) => return Err(crate::error::store_err(display())(e)),
    };
    let actual = ContentHash::of(&bytes);
    Ok(match mismatch(file, bytes.len() as u64, actual) {
        Some((_, detail)) => Err(detail),
        None => Ok(bytes),
    })
}

const MISSING: &str = "referenced file is missing";

/// How stored bytes numbering `total` and hashing to `actual` differ from the manifest's entry.
fn mismatch(file: &DataFile, total: u64, actual: ContentHash) -> Option<(ProblemKind, String)> {
    if total != file.bytes {
        return Some((
            ProblemKind::Resized,
            format!("{total} bytes, manifest says {}", file.bytes),
        ));
    }
    (actual != file.blake3).then(|| {
        (
            ProblemKind::HashMismatch,
            format!("BLAKE3 is {actual}, manifest says {}", file.blake3),
        )
    })
}

async fn check_file(lake: &Lake, file: DataFile, deep: bool) -> Result<(u64, Option<Problem>)> {
    let path = lake.path(&file.path);
    let problem = |kind, detail| {
        Some(Problem {
            path: file.path.clone(),
            kind,
            detail,
        })
    };
    let meta = match lake.store().head(&path).await {
        Ok(meta) => meta,
        Err(object_store::Error::NotFound { .. }) => {
            return Ok((0, problem(ProblemKind::Missing, MISSING.into())));
        }
        Err(e) => return Err(crate::error::store_err(lake.display_path(&file.path))(e)),
    };
    if meta.size != file.bytes {
        return Ok((
            0,
            problem(
                ProblemKind::Resized,
                format!("{} bytes, manifest says {}", meta.size, file.bytes),
            ),
        ));
    }
    if !deep {
        return Ok((0, None));
    }
    let mut stream = match lake.store().get(&path).await {
        Ok(r) => r.into_stream(),
        Err(object_store::Error::NotFound { .. }) => {
            return Ok((0, problem(ProblemKind::Missing, MISSING.into())));
        }
        Err(e) => return Err(crate::error::store_err(lake.display_path(&file.path))(e)),
    };
    let mut hasher = blake3::Hasher::new();
    let mut total = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(crate::error::store_err(lake.display_path(&file.path)))?;
        total += chunk.len() as u64;
        hasher.update(&chunk);
    }
    let actual = ContentHash::from_hasher(&hasher);
    Ok((
        total,
        mismatch(&file, total, actual).and_then(|(kind, detail)| problem(kind, detail)),
    ))
}
