//! What the lake already holds that building post-training rows depends on, read narrowly:
//! a conversion reads no table whole.
//!
//! Building needs every post-training run the lake knows (any of them can be a parent, a
//! same-name predecessor or the run an oe-eval folder belongs to), but only a few of their
//! columns; the stored same-name links it needs are those of a few runs, read later by
//! [`crate::Planned::stored`].

use std::collections::HashSet;
use std::sync::Arc;

use runlake_format::tables::{EVIDENCE_SAME_NAME, Phase};
use runlake_format::{Manifest, Table};
use runlake_lake::Lake;
use runlake_reader::{LakeReader, col};

use crate::build::KnownRun;
use crate::error::Result;
use crate::lake_rows;

/// The `metadata` columns [`lake_rows::known_runs`] reads.
const KNOWN_RUN_COLUMNS: [&str; 11] = [
    "run_uid",
    "phase",
    "training_type",
    "run_name",
    "created_at",
    "final_step",
    "recipe",
    "size",
    "seed",
    "config_json",
    "extra_json",
];

/// What the lake already holds that building post-training rows depends on.
#[derive(Debug, Clone, Default)]
pub struct LakeView {
    /// Post-training runs, each with the content hash stored at its conversion.
    pub(crate) known: Vec<(KnownRun, Option<String>)>,
}

fn reader(lake: &Lake, manifest: &Manifest) -> LakeReader {
    LakeReader::new(
        Arc::clone(lake.objects()),
        Default::default(),
        manifest.clone(),
    )
}

fn has_files(manifest: &Manifest, table: Table) -> bool {
    manifest.table(table).is_some_and(|t| !t.files.is_empty())
}

impl LakeView {
    /// Reads the post-training runs of `metadata` at `manifest`: the files of its
    /// `phase=posttrain` partition only, and of those only the columns building needs.
    pub async fn read(lake: &Lake, manifest: &Manifest) -> Result<Self> {
        if !has_files(manifest, Table::Metadata) {
            return Ok(Self::default());
        }
        let batches = reader(lake, manifest)
            .scan(Table::Metadata)
            .filter(col("phase").eq(Phase::Posttrain.as_str()))
            .select(KNOWN_RUN_COLUMNS)
            .collect()
            .await?;
        Ok(Self {
            known: lake_rows::known_runs(&batches),
        })
    }
}

/// Which of `links` (`(child, earlier run)`) the lake's `lineage` holds, reading only the
/// rows of their children.
pub(crate) async fn stored_links(
    lake: &Lake,
    manifest: &Manifest,
    links: &HashSet<(String, String)>,
) -> Result<HashSet<(String, String)>> {
    if links.is_empty() || !has_files(manifest, Table::Lineage) {
        return Ok(HashSet::new());
    }
    let mut children: Vec<&str> = links.iter().map(|(c, _)| c.as_str()).collect();
    children.sort_unstable();
    children.dedup();
    let batches = reader(lake, manifest)
        .scan(Table::Lineage)
        .filter(
            col("child_run_uid")
                .in_list(children)
                .and(col("evidence_source").eq(EVIDENCE_SAME_NAME)),
        )
        .select(["child_run_uid", "evidence_source", "evidence_value"])
        .collect()
        .await?;
    Ok(lake_rows::same_name_links(&batches)
        .into_iter()
        .filter(|l| links.contains(l))
        .collect())
}
