//! The five tables of a lake: names, Arrow schemas, keys, sort order and partitioning.
//!
//! Schemas here are the contract between writers, readers and `spec/FORMAT.md`. A change to a
//! table's columns bumps its `schema_version`.

mod evals;
mod fields;
mod kinds;
mod lineage;
mod metadata;
mod posttrain_steps;
mod pretrain_ckpts;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use arrow_schema::{Schema, SchemaRef};

pub use evals::KNOWN_METRICS;
pub use kinds::{Phase, TrainingType};
pub use lineage::{
    EVIDENCE_CONFIG_PREFIX, EVIDENCE_MODEL_PATH, EVIDENCE_MODEL_REVISION, EVIDENCE_RESOLVED,
    EVIDENCE_RUN_NAME, EVIDENCE_SAME_NAME, Relation,
};
pub use posttrain_steps::TYPED_STEP_COLUMNS;

/// One of the lake's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// One row per run.
    Metadata,
    /// One row per pretraining checkpoint `(run_uid, step)`.
    PretrainCkpts,
    /// One row per logged post-training step `(run_uid, step, variant)`.
    PosttrainSteps,
    /// One row per `(run_uid, step, task, source)`.
    Evals,
    /// One row per piece of lineage evidence.
    Lineage,
}

impl Table {
    /// Every table, in manifest order.
    pub const ALL: [Table; 5] = [
        Table::Metadata,
        Table::PretrainCkpts,
        Table::PosttrainSteps,
        Table::Evals,
        Table::Lineage,
    ];

    /// The table's folder name and manifest key.
    pub fn name(self) -> &'static str {
        match self {
            Table::Metadata => "metadata",
            Table::PretrainCkpts => "pretrain_ckpts",
            Table::PosttrainSteps => "posttrain_steps",
            Table::Evals => "evals",
            Table::Lineage => "lineage",
        }
    }

    /// The version of this table's schema; bumped whenever its columns change. Columns are
    /// only ever appended, nullable, so a file of an older version reads as the current schema
    /// with the newer columns null (`spec/FORMAT.md` section 2).
    pub fn schema_version(self) -> u32 {
        match self {
            // 2: datadec's model config and dataset features.
            Table::Metadata => 2,
            // 2: `tokens_derived`, `compute_derived`, `lr_derived`.
            Table::PretrainCkpts => 2,
            Table::PosttrainSteps | Table::Evals | Table::Lineage => 1,
        }
    }

    /// The columns a table had at an earlier schema version: the first `n` of the current
    /// schema, since versions only append. `None` for a version this code does not know.
    pub fn columns_at_version(self, version: u32) -> Option<usize> {
        let all = self.schema().fields().len();
        match (self, version) {
            (_, v) if v == self.schema_version() => Some(all),
            (Table::Metadata, 1) => Some(all - 19),
            (Table::PretrainCkpts, 1) => Some(all - 3),
            _ => None,
        }
    }

    /// The full logical schema, partition columns included.
    pub fn schema(self) -> SchemaRef {
        let fields = match self {
            Table::Metadata => metadata::fields(),
            Table::PretrainCkpts => pretrain_ckpts::fields(),
            Table::PosttrainSteps => posttrain_steps::fields(),
            Table::Evals => evals::fields(),
            Table::Lineage => lineage::fields(),
        };
        Arc::new(Schema::new(fields))
    }

    /// Columns whose values name the Hive-style partition folders. They are not stored inside
    /// the data files (as Hive, DuckDB and pyarrow expect); readers restore them from the path.
    pub fn partition_columns(self) -> &'static [&'static str] {
        match self {
            Table::Metadata | Table::Evals => &["phase"],
            Table::PosttrainSteps => &["training_type"],
            Table::PretrainCkpts | Table::Lineage => &[],
        }
    }

    /// Columns that identify a row. Upserts replace rows with an equal key.
    pub fn key_columns(self) -> &'static [&'static str] {
        match self {
            Table::Metadata => &["run_uid"],
            Table::PretrainCkpts => &["run_uid", "step"],
            Table::PosttrainSteps => &["run_uid", "step", "variant"],
            Table::Evals => &["run_uid", "step", "task", "source"],
            Table::Lineage => &["child_run_uid", "evidence_source", "evidence_value"],
        }
    }

    /// Order of rows inside each data file, chosen so row-group statistics prune the common
    /// queries (evals are read by task far more often than by run).
    pub fn sort_columns(self) -> &'static [&'static str] {
        match self {
            Table::Evals => &["task", "run_uid", "step", "source"],
            other => other.key_columns(),
        }
    }

    /// The column naming the run a row belongs to.
    pub fn run_column(self) -> &'static str {
        match self {
            Table::Lineage => "child_run_uid",
            _ => "run_uid",
        }
    }

    /// The schema of the data files: the logical schema without partition columns.
    pub fn file_schema(self) -> SchemaRef {
        let schema = self.schema();
        let parts = self.partition_columns();
        let fields: Vec<_> = schema
            .fields()
            .iter()
            .filter(|f| !parts.contains(&f.name().as_str()))
            .cloned()
            .collect();
        Arc::new(Schema::new(fields))
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A table name that is not one of the five.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown table `{0}`{hint} (the tables: metadata, pretrain_ckpts, posttrain_steps, evals, lineage)",
    hint = crate::suggest::did_you_mean(.0, Table::ALL.iter().map(|t| t.name()))
)]
pub struct UnknownTable(pub String);

impl FromStr for Table {
    type Err = UnknownTable;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Table::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| UnknownTable(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_only_append_nullable_columns() {
        for t in Table::ALL {
            let schema = t.schema();
            for v in 1..=t.schema_version() {
                let n = t.columns_at_version(v).expect("known version");
                assert!(n <= schema.fields().len(), "{t} v{v}");
                if v < t.schema_version() {
                    for f in &schema.fields()[n..] {
                        assert!(f.is_nullable(), "{t}: {} added after v{v}", f.name());
                    }
                }
            }
            assert!(t.columns_at_version(t.schema_version() + 1).is_none());
        }
        // Version 1 of pretrain_ckpts ended with `source`, of metadata with `extra_json`.
        let n = Table::PretrainCkpts.columns_at_version(1).expect("v1");
        assert_eq!(Table::PretrainCkpts.schema().field(n - 1).name(), "source");
        let n = Table::Metadata.columns_at_version(1).expect("v1");
        assert_eq!(Table::Metadata.schema().field(n - 1).name(), "extra_json");
    }

    #[test]
    fn names_round_trip() {
        for t in Table::ALL {
            assert_eq!(t.name().parse::<Table>(), Ok(t));
        }
        assert!("evaluations".parse::<Table>().is_err());
    }

    #[test]
    fn keys_sorts_and_partitions_name_real_columns() {
        for t in Table::ALL {
            let schema = t.schema();
            let run = [t.run_column()];
            let cols = t
                .key_columns()
                .iter()
                .chain(t.sort_columns())
                .chain(t.partition_columns())
                .chain(&run);
            for c in cols {
                assert!(schema.index_of(c).is_ok(), "{t}: no column {c}");
            }
            // Compaction and the writer read sort keys from the data files alone.
            for c in t.sort_columns() {
                assert!(t.file_schema().index_of(c).is_ok(), "{t}: sorts by {c}");
            }
            for c in t.partition_columns() {
                assert!(t.file_schema().index_of(c).is_err());
                let f = schema.field_with_name(c).expect("partition column");
                assert!(
                    !f.is_nullable(),
                    "{t}: partition column {c} must be non-null"
                );
            }
        }
    }
}
