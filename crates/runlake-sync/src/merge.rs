//! New destination manifests for a diverged destination: the source's changes replayed on top
//! (`--rebase`), or the source's tables taken whole (`--force`).

use std::collections::{BTreeMap, BTreeSet};

use runlake_format::{ContentHash, DataFile, Manifest, Operation, ParentRef, TableState};

/// Inputs shared by both kinds of new version.
pub(crate) struct Onto<'a> {
    /// The destination's latest manifest, the new version's parent.
    pub dst: &'a Manifest,
    /// Hash of its bytes.
    pub dst_hash: ContentHash,
    /// The new commit's id.
    pub commit_id: String,
    /// Commit time.
    pub now_ms: i64,
    /// Writer name.
    pub writer: String,
    /// Operation description.
    pub description: String,
    /// Runs changed by the source's versions being brought over, per table.
    pub runs: BTreeMap<String, Vec<String>>,
}

fn same_layout(a: &TableState, b: &TableState) -> bool {
    a.schema_version == b.schema_version
        && a.schema == b.schema
        && a.partition_columns == b.partition_columns
        && a.key_columns == b.key_columns
        && a.sort_columns == b.sort_columns
}

fn by_path(state: Option<&TableState>) -> BTreeMap<&str, &DataFile> {
    state
        .map(|t| t.files.iter().map(|f| (f.path.as_str(), f)).collect())
        .unwrap_or_default()
}

/// The destination's tables with the source's net changes since `base` applied: files the
/// source removed are dropped, files it added are added. Errors name what does not merge.
pub(crate) fn rebased(
    base: &Manifest,
    src: &Manifest,
    onto: &Onto<'_>,
) -> Result<Manifest, Vec<String>> {
    let version = onto.dst.version + 1;
    let mut conflicts = Vec::new();
    let mut tables = onto.dst.tables.clone();
    let names: BTreeSet<&String> = src.tables.keys().chain(base.tables.keys()).collect();
    for name in names {
        let (b, s) = (base.tables.get(name), src.tables.get(name));
        let (b_files, s_files) = (by_path(b), by_path(s));
        let removed: Vec<&str> = b_files
            .keys()
            .filter(|p| !s_files.contains_key(*p))
            .copied()
            .collect();
        let added: Vec<&DataFile> = s_files
            .iter()
            .filter(|(p, _)| !b_files.contains_key(*p))
            .map(|(_, f)| *f)
            .collect();
        let layout_changed = match (b, s) {
            (Some(b), Some(s)) => !same_layout(b, s),
            _ => true,
        };
        if removed.is_empty() && added.is_empty() && !layout_changed {
            continue;
        }
        let Some(s) = s else {
            conflicts.push(format!("the source dropped table {name}"));
            continue;
        };
        let state = tables.entry(name.clone()).or_insert_with(|| TableState {
            files: Vec::new(),
            ..s.clone()
        });
        if layout_changed {
            match b {
                Some(b) if !same_layout(b, state) && !same_layout(s, state) => conflicts.push(
                    format!("both sides changed the schema or layout of table {name}"),
                ),
                _ => {
                    let files = std::mem::take(&mut state.files);
                    *state = TableState { files, ..s.clone() };
                }
            }
        }
        let mut live: BTreeMap<String, DataFile> =
            state.files.drain(..).map(|f| (f.path.clone(), f)).collect();
        for path in removed {
            if live.remove(path).is_none() {
                conflicts.push(format!(
                    "the source removed {path}, which the destination no longer has"
                ));
            }
        }
        for f in added {
            live.entry(f.path.clone()).or_insert_with(|| DataFile {
                added_in_version: version,
                ..f.clone()
            });
        }
        state.files = live.into_values().collect();
    }
    if !conflicts.is_empty() {
        return Err(conflicts);
    }
    Ok(finish(onto, tables, "sync-rebase"))
}

/// The source's latest tables as a new destination version.
pub(crate) fn forced(src: &Manifest, onto: &Onto<'_>) -> Manifest {
    let version = onto.dst.version + 1;
    let old: BTreeMap<&str, &DataFile> = onto
        .dst
        .all_files()
        .map(|(_, f)| (f.path.as_str(), f))
        .collect();
    let mut tables = src.tables.clone();
    for state in tables.values_mut() {
        for f in &mut state.files {
            f.added_in_version = old
                .get(f.path.as_str())
                .map_or(version, |o| o.added_in_version);
        }
    }
    finish(onto, tables, "sync-force")
}

fn finish(onto: &Onto<'_>, tables: BTreeMap<String, TableState>, kind: &str) -> Manifest {
    let before: BTreeMap<&str, &DataFile> = onto
        .dst
        .all_files()
        .map(|(_, f)| (f.path.as_str(), f))
        .collect();
    let after: BTreeMap<&str, &DataFile> = tables
        .values()
        .flat_map(|t| t.files.iter())
        .map(|f| (f.path.as_str(), f))
        .collect();
    let added: Vec<&DataFile> = after
        .iter()
        .filter(|(p, _)| !before.contains_key(*p))
        .map(|(_, f)| *f)
        .collect();
    let removed: Vec<&DataFile> = before
        .iter()
        .filter(|(p, _)| !after.contains_key(*p))
        .map(|(_, f)| *f)
        .collect();
    let operation = Operation {
        kind: kind.to_owned(),
        description: onto.description.clone(),
        runs: onto.runs.clone(),
        added_files: added.iter().map(|f| f.path.clone()).collect(),
        removed_files: removed.iter().map(|f| f.path.clone()).collect(),
        rows_added: added.iter().map(|f| f.rows).sum(),
        rows_removed: removed.iter().map(|f| f.rows).sum(),
        bytes_added: added.iter().map(|f| f.bytes).sum(),
    };
    Manifest {
        format: onto.dst.format.clone(),
        format_version: onto.dst.format_version,
        lake_id: onto.dst.lake_id.clone(),
        version: onto.dst.version + 1,
        parent: Some(ParentRef {
            version: onto.dst.version,
            blake3: onto.dst_hash,
        }),
        commit_id: onto.commit_id.clone(),
        created_at_ms: onto.now_ms,
        writer: onto.writer.clone(),
        operation,
        tables,
        delta_log: onto.dst.delta_log,
    }
}
