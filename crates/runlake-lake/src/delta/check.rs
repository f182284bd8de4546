//! Comparing the Delta logs with the manifests they are derived from.

use std::collections::BTreeSet;

use object_store::ObjectStoreExt;
use runlake_format::Table;
use runlake_format::delta::{
    DELTA_LOG_DIR, checkpoint_path, commit_actions, commit_bytes, commit_path,
};
use serde::Serialize;

use super::writer::{DeltaReport, Versions, catch_up, checkpoint_bytes, logged, rewrite_commit};
use crate::error::{Result, store_err};
use crate::lake::Lake;
use crate::versions::Chain;

/// One way a table's Delta log disagrees with the manifests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeltaProblem {
    /// Lake-relative path of the log file or folder.
    pub path: String,
    /// The table.
    pub table: String,
    /// The version concerned.
    pub version: u64,
    /// What is wrong.
    pub detail: String,
    /// The log only lags behind the manifests, as a crash between a commit and its Delta
    /// commit leaves it: not damage, and the next commit or `runlake delta` catches it up.
    pub lagging: bool,
    /// Whether rewriting the file from the manifests repairs it.
    #[serde(skip)]
    rewritable: bool,
}

/// Checks every table's Delta log against the chain's manifests: each JSON commit and
/// checkpoint the manifests can still derive must hold exactly the derived bytes, none may be
/// beyond the latest version, and the log must reach the latest version. Nothing is reported
/// for a lake with the log off.
pub async fn check(lake: &Lake, chain: &Chain) -> Result<Vec<DeltaProblem>> {
    let Some(latest) = chain.versions.last().and_then(|v| v.live()) else {
        return Ok(Vec::new());
    };
    // A chain stopped short by a missing or damaged version file would report every later
    // Delta commit as beyond the lake: the version file is the problem to name.
    if !latest.delta_log || chain.latest != Some(latest.version) || chain.broken.is_some() {
        return Ok(Vec::new());
    }
    let top = latest.version;
    let mut versions = Versions::of_chain(chain);
    let mut problems = Vec::new();
    for table in Table::ALL {
        let (commits, checkpoints) = logged(lake, table).await?;
        let make = |path: String, version: u64, detail: String, rewritable: bool| DeltaProblem {
            path,
            table: table.name().to_owned(),
            version,
            detail,
            lagging: false,
            rewritable,
        };
        let newest = commits.iter().chain(&checkpoints).max().copied();
        if newest.is_none_or(|n| n < top) {
            let ends = newest.map_or("is empty".to_owned(), |n| format!("ends at version {n}"));
            problems.push(make(
                format!("{}/{DELTA_LOG_DIR}", table.name()),
                top,
                format!(
                    "the Delta log {ends}, but the lake is at version {top}; `runlake delta` \
                     or `runlake verify --repair` writes the rest"
                ),
                false,
            ));
            if let Some(p) = problems.last_mut() {
                p.lagging = true;
            }
        }
        let present: BTreeSet<u64> = commits.iter().chain(&checkpoints).copied().collect();
        for &v in &commits {
            let path = commit_path(table, v);
            if v > top {
                problems.push(make(
                    path,
                    v,
                    format!("is beyond the lake's latest version {top}"),
                    false,
                ));
                continue;
            }
            let Some(manifest) = versions.live(lake, v).await? else {
                continue;
            };
            let previous = match v.checked_sub(1) {
                None => None,
                Some(p) => match versions.live(lake, p).await? {
                    Some(m) => Some(m),
                    None => continue,
                },
            };
            let Ok(actions) = commit_actions(
                table,
                &manifest,
                previous.as_ref().and_then(|m| m.table(table)),
            ) else {
                problems.push(make(
                    path,
                    v,
                    "the manifests cannot be shown as Delta".into(),
                    false,
                ));
                continue;
            };
            let stored = read(lake, &path).await?;
            if stored.as_deref() != Some(commit_bytes(&actions).as_slice()) {
                problems.push(make(
                    path,
                    v,
                    format!("differs from what manifest {v} and the one before it give"),
                    true,
                ));
            }
        }
        for &v in &checkpoints {
            if v > top {
                continue;
            }
            let Some(manifest) = versions.live(lake, v).await? else {
                continue;
            };
            let path = checkpoint_path(table, v);
            let (expected, _) = checkpoint_bytes(lake, table, &manifest, &mut versions).await?;
            if read(lake, &path).await?.as_deref() != Some(&expected[..]) {
                problems.push(make(
                    path,
                    v,
                    format!("differs from what manifest {v} gives"),
                    false,
                ));
            }
        }
        let reach = newest.unwrap_or(0).min(top);
        for v in 0..=reach {
            if newest.is_none() || present.contains(&v) {
                continue;
            }
            let derivable = versions.live(lake, v).await?.is_some()
                && match v.checked_sub(1) {
                    None => true,
                    Some(p) => versions.live(lake, p).await?.is_some(),
                };
            if derivable {
                problems.push(make(
                    commit_path(table, v),
                    v,
                    "is missing from the Delta log".into(),
                    false,
                ));
            }
        }
    }
    Ok(problems)
}

/// Rewrites every JSON commit that disagrees with the manifests, then writes whatever the logs
/// lack. What cannot be rewritten (a file beyond the latest version, a missing commit between
/// others) is left and still reported by [`check`].
pub async fn repair(lake: &Lake, chain: &Chain) -> Result<DeltaReport> {
    let mut rewritten = 0;
    for p in check(lake, chain).await? {
        if p.rewritable
            && let Ok(table) = p.table.parse::<Table>()
            && rewrite_commit(lake, table, p.version).await?
        {
            rewritten += 1;
        }
    }
    let mut report = catch_up(lake).await?;
    report.commits_written += rewritten;
    Ok(report)
}

async fn read(lake: &Lake, rel: &str) -> Result<Option<bytes::Bytes>> {
    match lake.objects().get(&Lake::object_path(rel)).await {
        Ok(r) => Ok(Some(
            r.bytes().await.map_err(store_err(lake.display_path(rel)))?,
        )),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(store_err(lake.display_path(rel))(e)),
    }
}
