//! The version log: the only code that lists, reads, validates, creates and hints version files.
//!
//! Every other part of the engine (commits, `gc`, `verify`, `log`, `sync`, readers) goes
//! through [`VersionLog`], so there is one answer to "which versions exist and which is the
//! latest". A file in `_runlake/versions/` counts only when it is valid on its own (it parses,
//! carries the version its name says, and its self hash holds) and links by hash to the version
//! before it. Anything else (garbage, a truncated file, a stray copy of a manifest at another
//! number, a number far beyond the chain) is reported by [`VersionLog::chain`] and never
//! followed: it cannot become "the latest" and cannot make `gc` expire real versions.
//!
//! Finding the latest: stores that list in key order (S3, GCS, in-memory) return the newest
//! name first, because names count down; local folders list in no fixed order and are listed
//! whole. The `_latest` hint is written for other readers but not read: a version past a lost
//! file is known only from the listing, which a walk up from the hint would have to read anyway.
//! Candidates are taken from the top down until one validates, then later versions are probed
//! one by one while they link to it.

use bytes::Bytes;
use futures::StreamExt;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
use runlake_format::layout::{LATEST_HINT, VERSIONS_DIR, parse_version_file_name, version_path};
use runlake_format::{ContentHash, Manifest, ManifestError, Tombstone, VersionFile};

use crate::error::{LakeError, Result, store_err};
use crate::lake::Lake;

/// The largest version file read: a manifest lists each data file in a few hundred bytes, so
/// this is millions of files, far past any lake's; anything larger is not a version file.
const MAX_VERSION_FILE_BYTES: u64 = 1 << 30;

/// One version file that is valid on its own.
#[derive(Debug, Clone)]
pub struct StoredVersion {
    /// The version number its name and content agree on.
    pub version: u64,
    /// The parsed file: a manifest, or the tombstone `gc` left of one.
    pub file: VersionFile,
    /// The exact stored bytes (sync copies them as they are, so hashes hold).
    pub bytes: Bytes,
    /// BLAKE3 of `bytes`.
    pub blake3: ContentHash,
}

impl StoredVersion {
    /// The manifest, unless the version was expired.
    pub fn live(&self) -> Option<&Manifest> {
        match &self.file {
            VersionFile::Live(m) => Some(m),
            VersionFile::Expired(_) => None,
        }
    }

    /// The hash a child's `parent.blake3` names: of the bytes for a manifest, the original
    /// manifest's for a tombstone.
    pub fn chain_hash(&self) -> ContentHash {
        match &self.file {
            VersionFile::Live(_) => self.blake3,
            VersionFile::Expired(t) => t.original_blake3,
        }
    }

    /// Whether this is a manifest whose parent link names `parent` exactly.
    pub fn links_to(&self, parent: &StoredVersion) -> bool {
        self.live()
            .and_then(|m| m.parent.as_ref())
            .is_some_and(|p| {
                p.version == parent.version
                    && parent.version.checked_add(1) == Some(self.version)
                    && p.blake3 == parent.chain_hash()
            })
    }
}

/// Something in the versions folder that is not part of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogProblem {
    /// Lake-relative path.
    pub path: String,
    /// What is wrong, as a sentence fragment.
    pub detail: String,
    /// What kind of problem.
    pub kind: LogProblemKind,
}

/// Kinds of [`LogProblem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogProblemKind {
    /// Beside the chain: not a version file name, or a version beyond the chain.
    Stray,
    /// A version at or below the latest that cannot be read or parsed.
    Unreadable,
    /// Versions missing from the sequence, or a parent link that does not match.
    BrokenLink,
}

/// Every version file, checked: the chain from version 0 to the latest valid version, and what
/// else the folder holds.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    /// Readable version files at or below the latest, ascending.
    pub versions: Vec<StoredVersion>,
    /// The latest valid version.
    pub latest: Option<u64>,
    /// Strays, unreadable files, gaps and broken links.
    pub problems: Vec<LogProblem>,
    /// The version whose missing or damaged file stops the chain short of later versions of
    /// the lake; nothing after it is read until the file is restored.
    pub broken: Option<u64>,
}

/// What creating a version file found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// This request created it.
    Ours,
    /// It already held exactly these bytes (a retried request, or a racing copy of the same
    /// version).
    Identical,
    /// Another writer's version holds the number.
    Taken,
}

/// What a version file is as a candidate for the latest version.
enum Anchor {
    /// Valid, live, and linked to its parent (or version 0).
    Anchored(StoredVersion),
    /// Valid and live, but its parent's file is absent: versions below it were lost. Only a
    /// runlake writer makes a file that validates on its own, and version files are never
    /// deleted (gc leaves tombstones), so this is not a stray.
    Orphan(StoredVersion),
    /// Anything else.
    No,
}

/// A read version file as a valid one: an invalid file is `None`, but a manifest of a newer
/// major format stays an error, since reading an older version instead would silently hide the
/// newer writer's data.
fn valid(read: Result<Option<StoredVersion>>) -> Result<Option<StoredVersion>> {
    match read {
        Err(
            e @ LakeError::Manifest {
                source: ManifestError::UnsupportedFormat { .. },
                ..
            },
        ) => Err(e),
        Err(LakeError::Manifest { .. }) => Ok(None),
        other => other,
    }
}

/// Whether two live versions belong to the same lake (a manifest copied from another lake is
/// a stray, not a lost version of this one).
fn same_lake(a: &StoredVersion, b: &StoredVersion) -> bool {
    match (a.live(), b.live()) {
        (Some(a), Some(b)) => a.lake_id == b.lake_id,
        _ => false,
    }
}

/// The lake's version log. Obtained with [`Lake::log`].
#[derive(Debug, Clone)]
pub struct VersionLog {
    lake: Lake,
}

impl VersionLog {
    pub(crate) fn new(lake: Lake) -> Self {
        Self { lake }
    }

    /// Reads one version file and checks it on its own; `None` when absent. Bytes that are not a
    /// valid version file of this number are [`LakeError::Manifest`] naming the file.
    pub async fn read(&self, version: u64) -> Result<Option<StoredVersion>> {
        let rel = version_path(version);
        let path = self.lake.path(&rel);
        let bad = |source| LakeError::Manifest {
            path: self.lake.display_path(&rel),
            source,
        };
        let bytes = match self.lake.store().get(&path).await {
            // Every command reads the newest version files: a huge file at a version's name
            // (or a link to one) would otherwise be read whole, by each of them.
            Ok(r) if r.meta.size > MAX_VERSION_FILE_BYTES => {
                return Err(bad(ManifestError::TooLarge {
                    size: r.meta.size,
                    limit: MAX_VERSION_FILE_BYTES,
                }));
            }
            Ok(r) => r
                .bytes()
                .await
                .map_err(store_err(self.lake.display_path(&rel)))?,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(store_err(self.lake.display_path(&rel))(e)),
        };
        let file = runlake_format::parse_version_file(&bytes).map_err(bad)?;
        let named = match &file {
            VersionFile::Live(m) => m.version,
            VersionFile::Expired(t) => t.version,
        };
        if named != version {
            return Err(bad(ManifestError::Misplaced {
                found: named,
                expected: version,
            }));
        }
        Ok(Some(StoredVersion {
            version,
            blake3: ContentHash::of(&bytes),
            file,
            bytes,
        }))
    }

    /// Like [`VersionLog::read`], but an invalid file is `None` (see [`valid`]).
    async fn read_valid(&self, version: u64) -> Result<Option<StoredVersion>> {
        valid(self.read(version).await)
    }

    /// A live version that is valid and links to an existing parent (or is version 0); or one
    /// valid on its own whose parent's file is absent (see [`Anchor::Orphan`]).
    async fn anchored(&self, version: u64) -> Result<Anchor> {
        let Some(found) = self.read_valid(version).await? else {
            return Ok(Anchor::No);
        };
        let Some(m) = found.live() else {
            return Ok(Anchor::No);
        };
        let parent = match &m.parent {
            None if version == 0 => return Ok(Anchor::Anchored(found)),
            None => return Ok(Anchor::No),
            Some(p) => p.version,
        };
        // Absent and unreadable parents differ: a damaged parent is reported when the walk up
        // from the versions below reaches it; an absent one leaves no trace in that walk.
        Ok(match self.read(parent).await {
            Ok(None) => Anchor::Orphan(found),
            read => match valid(read)? {
                Some(parent) if found.links_to(&parent) => Anchor::Anchored(found),
                _ => Anchor::No,
            },
        })
    }

    /// The latest valid version, or `None` for a location holding no valid version.
    ///
    /// A file at the number right after a valid version that is not a valid successor (an
    /// edited or truncated newest manifest, garbage at the next number) is an error naming it:
    /// reading the version before it instead would silently return an older lake. Files at
    /// other numbers that do not validate are strays and are passed over.
    pub async fn latest(&self) -> Result<Option<StoredVersion>> {
        let (top, broken) = self.latest_tolerant().await?;
        match broken {
            Some(e) => Err(e),
            None => Ok(top),
        }
    }

    /// The latest valid version, and the error of an unreadable file right after it, or of a
    /// missing version file below a later version of the same lake.
    async fn latest_tolerant(&self) -> Result<(Option<StoredVersion>, Option<LakeError>)> {
        let (top, orphan) = self.latest_by_listing().await?;
        let Some(top) = top else {
            let broken = orphan.map(|o| {
                let parent = o.live().and_then(|m| m.parent.as_ref()).map(|p| p.version);
                self.missing(parent.unwrap_or(0), o.version)
            });
            return Ok((None, broken));
        };
        let (top, broken) = self.walk_up(top, orphan).await?;
        Ok((Some(top), broken))
    }

    /// From `top` up through every valid successor; `orphan` is a version of the lake found
    /// above a lost file, which makes the gap an error when the walk ends below it.
    async fn walk_up(
        &self,
        mut top: StoredVersion,
        orphan: Option<StoredVersion>,
    ) -> Result<(StoredVersion, Option<LakeError>)> {
        while let Some(next) = top.version.checked_add(1) {
            match self.read(next).await {
                Ok(Some(found)) if found.links_to(&top) => top = found,
                Ok(None) => {
                    // A later version of this lake past the absent file: returning `top` would
                    // silently show an older lake, and a commit would fork its history.
                    let later = orphan
                        .as_ref()
                        .filter(|o| o.version > next && same_lake(o, &top))
                        .map(|o| o.version);
                    if let Some(later) = later {
                        let error = self.missing(next, later);
                        return Ok((top, Some(error)));
                    }
                    break;
                }
                Ok(Some(_)) => {
                    let rel = version_path(next);
                    let error = LakeError::Manifest {
                        path: self.lake.display_path(&rel),
                        source: ManifestError::NotASuccessor {
                            version: next,
                            parent: top.version,
                        },
                    };
                    return Ok((top, Some(error)));
                }
                Err(e @ LakeError::Manifest { .. }) => return Ok((top, Some(e))),
                Err(e) => return Err(e),
            }
        }
        Ok((top, None))
    }

    /// The error of version `version`'s absent file, with `later` present.
    fn missing(&self, version: u64, later: u64) -> LakeError {
        LakeError::Manifest {
            path: self.lake.display_path(&version_path(version)),
            source: ManifestError::VersionMissing { version, later },
        }
    }

    /// The newest anchored version, and the newest version above it that is valid on its own
    /// but whose parent's file is absent.
    async fn latest_by_listing(&self) -> Result<(Option<StoredVersion>, Option<StoredVersion>)> {
        let mut orphan = None;
        if self.lake.ordered_listing() {
            // Names count down, so the listing yields the newest first; stop at the first
            // valid one rather than listing the whole history.
            let prefix = self.lake.path(VERSIONS_DIR);
            let mut listing = self.lake.store().list(Some(&prefix));
            while let Some(meta) = listing.next().await {
                let meta = match meta {
                    Ok(m) => m,
                    Err(object_store::Error::NotFound { .. }) => break,
                    Err(e) => return Err(store_err(prefix.to_string())(e)),
                };
                if let Some(v) = self.version_of(&meta.location)
                    && let Some(found) = self.top_candidate(v, &mut orphan).await?
                {
                    return Ok((Some(found), orphan));
                }
            }
            return Ok((None, orphan));
        }
        let (versions, _) = self.listing().await?;
        for &v in versions.iter().rev() {
            if let Some(found) = self.top_candidate(v, &mut orphan).await? {
                return Ok((Some(found), orphan));
            }
        }
        Ok((None, orphan))
    }

    /// Version `v` when it anchors; an orphan is kept in `orphan` unless a newer one is there.
    async fn top_candidate(
        &self,
        v: u64,
        orphan: &mut Option<StoredVersion>,
    ) -> Result<Option<StoredVersion>> {
        Ok(match self.anchored(v).await? {
            Anchor::Anchored(found) => Some(found),
            Anchor::Orphan(found) => {
                orphan.get_or_insert(found);
                None
            }
            Anchor::No => None,
        })
    }

    /// The version a listed path stands for, when it is exactly a version file's path.
    fn version_of(&self, location: &object_store::path::Path) -> Option<u64> {
        let rel = self.lake.relative(location)?;
        let v = parse_version_file_name(rel.rsplit('/').next()?)?;
        (rel == version_path(v)).then_some(v)
    }

    /// The latest version below a lost version file (see [`ManifestError::VersionMissing`]),
    /// and whether a file was lost; else the latest: for a sync that restores the lost file
    /// from another copy of the lake. Any other damage is an error, as for
    /// [`VersionLog::latest`].
    pub async fn latest_below_lost(&self) -> Result<(Option<StoredVersion>, bool)> {
        match self.latest_tolerant().await? {
            (top, None) => Ok((top, false)),
            (
                top,
                Some(LakeError::Manifest {
                    source: ManifestError::VersionMissing { .. },
                    ..
                }),
            ) => Ok((top, true)),
            (_, Some(e)) => Err(e),
        }
    }

    /// Whether the location holds a lake: a valid version, or a damaged log that `verify` and
    /// `log` can still describe.
    pub(crate) async fn exists(&self) -> Result<bool> {
        Ok(!matches!(self.latest_tolerant().await?, (None, None)))
    }

    /// Every version number named in the folder (ascending), and the lake-relative paths of
    /// everything else in it.
    pub async fn listing(&self) -> Result<(Vec<u64>, Vec<String>)> {
        let prefix = self.lake.path(VERSIONS_DIR);
        let mut listing = self.lake.store().list(Some(&prefix));
        let mut versions = Vec::new();
        let mut strays = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = match meta {
                Ok(m) => m,
                Err(object_store::Error::NotFound { .. }) => break,
                Err(e) => return Err(store_err(prefix.to_string())(e)),
            };
            match self.version_of(&meta.location) {
                Some(v) => versions.push(v),
                None => strays.push(
                    self.lake
                        .relative(&meta.location)
                        .unwrap_or_else(|| meta.location.to_string()),
                ),
            }
        }
        versions.sort_unstable();
        strays.sort();
        Ok((versions, strays))
    }

    /// Reads and checks every version file: the chain up to the latest valid version, with
    /// every gap, unreadable file, broken link and stray reported.
    pub async fn chain(&self) -> Result<Chain> {
        let (listed, strays) = self.listing().await?;
        let (top, broken) = self.latest_tolerant().await?;
        let mut chain = Chain {
            latest: top.as_ref().map(|v| v.version),
            ..Chain::default()
        };
        // Where the chain stops at a missing or unreadable file: the versions after it are
        // the lake's own, not strays to clear away.
        chain.broken = match &broken {
            Some(LakeError::Manifest {
                source: source @ ManifestError::VersionMissing { version, .. },
                ..
            }) => {
                chain.problems.push(LogProblem {
                    path: version_path(*version),
                    detail: source.to_string(),
                    kind: LogProblemKind::BrokenLink,
                });
                Some(*version)
            }
            Some(_) => Some(chain.latest.map_or(0, |l| l.saturating_add(1))),
            None => None,
        };
        let lost = chain.broken;
        for path in strays {
            chain.problems.push(LogProblem {
                path,
                detail: "is not a version file (expected `<20 digits>.json`)".into(),
                kind: LogProblemKind::Stray,
            });
        }
        let latest = chain.latest;
        let mut previous: Option<StoredVersion> = None;
        let mut expected = 0u64;
        for v in listed {
            let rel = version_path(v);
            if latest.is_none_or(|l| v > l) {
                // Right after the chain an unreadable file may be a damaged newest version;
                // further away it is a stray.
                let next = latest.and_then(|l| l.checked_add(1)) == Some(v);
                let (detail, kind) = match self.read(v).await {
                    Err(LakeError::Manifest { source, .. }) if next => {
                        (source.to_string(), LogProblemKind::Unreadable)
                    }
                    Err(LakeError::Manifest { source, .. }) => (
                        format!("is beside the chain and unreadable: {source}"),
                        LogProblemKind::Stray,
                    ),
                    Err(e) => return Err(e),
                    Ok(Some(found))
                        if lost.is_some_and(|l| v > l)
                            && top.as_ref().is_none_or(|t| same_lake(t, &found)) =>
                    {
                        (
                            format!(
                                "follows version {}, whose file is missing or damaged; it is not \
                             read until that file is restored",
                                lost.unwrap_or_default()
                            ),
                            LogProblemKind::BrokenLink,
                        )
                    }
                    Ok(_) => (
                        match latest {
                            Some(l) => format!(
                                "claims version {v}, which does not continue the chain ending \
                                 at version {l}"
                            ),
                            None => {
                                format!("claims version {v}, but the lake has no valid version")
                            }
                        },
                        LogProblemKind::Stray,
                    ),
                };
                chain.problems.push(LogProblem {
                    path: rel,
                    detail,
                    kind,
                });
                continue;
            }
            if v != expected {
                chain.problems.push(LogProblem {
                    path: version_path(expected),
                    detail: format!("versions {expected}..{v} are missing from the sequence"),
                    kind: LogProblemKind::BrokenLink,
                });
                previous = None;
            }
            expected = v + 1;
            let found = match self.read(v).await {
                Ok(Some(found)) => found,
                Ok(None) => {
                    chain.problems.push(LogProblem {
                        path: rel,
                        detail: "disappeared while the log was read".into(),
                        kind: LogProblemKind::Unreadable,
                    });
                    previous = None;
                    continue;
                }
                Err(LakeError::Manifest { source, .. }) => {
                    chain.problems.push(LogProblem {
                        path: rel,
                        detail: source.to_string(),
                        kind: LogProblemKind::Unreadable,
                    });
                    previous = None;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if let Some(m) = found.live() {
                let link = match (&m.parent, &previous) {
                    (None, _) if v == 0 => None,
                    (None, _) => Some(format!("version {v} has no parent link")),
                    (Some(_), _) if v == 0 => Some("version 0 must have no parent".to_owned()),
                    (Some(_), Some(p)) if !found.links_to(p) => Some(format!(
                        "version {v}'s parent link does not match version {}'s manifest",
                        p.version
                    )),
                    _ => None,
                };
                if let Some(detail) = link {
                    chain.problems.push(LogProblem {
                        path: rel.clone(),
                        detail,
                        kind: LogProblemKind::BrokenLink,
                    });
                }
            }
            previous = Some(found.clone());
            chain.versions.push(found);
        }
        chain.problems.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(chain)
    }

    /// Creates a version file with put-if-absent, never overwriting one. A failure whose
    /// outcome is unknown (timeout, 5xx, reset) is resolved by reading the file back; if
    /// nothing is there the same bytes are sent again, a bounded number of times. A file
    /// already there that is not a valid version file is an error naming it: a stray file
    /// blocks the number and must be moved away by hand.
    pub async fn create(&self, version: u64, bytes: Bytes) -> Result<Created> {
        let rel = version_path(version);
        let path = self.lake.path(&rel);
        let display = self.lake.display_path(&rel);
        let ours = ContentHash::of(&bytes);
        let attempts = self.lake.config().max_commit_attempts.max(1);
        let mut last_error = None;
        for attempt in 0..attempts {
            if attempt > 0 {
                crate::commit::backoff(&self.lake, attempt).await;
            }
            let opts = PutOptions {
                mode: PutMode::Create,
                ..PutOptions::default()
            };
            let error = match self
                .lake
                .store()
                .put_opts(&path, PutPayload::from(bytes.clone()), opts)
                .await
            {
                Ok(_) => return Ok(Created::Ours),
                Err(e @ object_store::Error::NotImplemented { .. }) => {
                    return Err(store_err(display)(e));
                }
                Err(e) => e,
            };
            let existed = matches!(error, object_store::Error::AlreadyExists { .. });
            match self.read(version).await {
                Ok(Some(theirs)) if theirs.blake3 == ours => {
                    return Ok(if existed {
                        Created::Identical
                    } else {
                        Created::Ours
                    });
                }
                Ok(Some(_)) => return Ok(Created::Taken),
                // On a local folder the name is taken, yet no version file is there: something
                // else (a folder) holds it, and waiting will not free it. (Object stores also
                // report a conditional write racing another as taken, before the other lands.)
                Ok(None) if existed && self.lake.is_local() => {
                    return Err(store_err(display)(error));
                }
                Err(e @ LakeError::Manifest { .. }) => return Err(e),
                Ok(None) | Err(_) => last_error = Some(error),
            }
        }
        Err(match last_error {
            Some(e) => store_err(display)(e),
            None => LakeError::RetriesExhausted { attempts },
        })
    }

    /// Replaces an expired version's manifest by its tombstone: the only rewrite of a version
    /// file the format allows, and only `gc` makes it.
    pub(crate) async fn expire(&self, tombstone: &Tombstone) -> Result<()> {
        let rel = version_path(tombstone.version);
        self.lake
            .store()
            .put(
                &self.lake.path(&rel),
                PutPayload::from(tombstone.to_bytes()),
            )
            .await
            .map_err(store_err(self.lake.display_path(&rel)))?;
        Ok(())
    }

    /// Best effort, and only on stores without ordered listing, for readers that take it as a
    /// guess (earlier runlake releases did); runlake no longer reads it, so a failure to write it
    /// is not an error.
    pub async fn write_hint(&self, version: u64) {
        if self.lake.ordered_listing() {
            return;
        }
        let _ = self
            .lake
            .store()
            .put(
                &self.lake.path(LATEST_HINT),
                PutPayload::from(format!("{version}\n").into_bytes()),
            )
            .await;
    }
}
