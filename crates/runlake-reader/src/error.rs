//! The reader's errors.

use arrow::error::ArrowError;
use parquet::errors::ParquetError;
use runlake_format::message::decoder_detail;

use crate::parse::ExprError;

/// Why a query could not be planned or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReaderError {
    /// The lake or its version could not be opened.
    #[error(transparent)]
    Lake(#[from] runlake_lake::LakeError),
    /// The manifest has no entry for the table.
    #[error("the lake version has no table `{table}`")]
    MissingTable {
        /// Table name.
        table: String,
    },
    /// A column named in the query does not exist where it is used.
    #[error(
        "unknown column `{column}` in {context}{}",
        column_hint(column, context, available)
    )]
    UnknownColumn {
        /// The column.
        column: String,
        /// Where it was looked up (a table or an operation).
        context: String,
        /// The columns that exist there.
        available: String,
    },
    /// A predicate does not parse or does not fit the table.
    #[error("invalid predicate on {context}: {message}")]
    Predicate {
        /// Where it was applied.
        context: String,
        /// What is wrong.
        message: String,
    },
    /// A predicate text does not parse or fit; carries the position for a caret.
    #[error(transparent)]
    PredicateText(#[from] ExprError),
    /// An aggregate cannot be computed over a column of this type.
    #[error("cannot compute {function} over column `{column}` of type {data_type}")]
    UnsupportedAggregate {
        /// The function.
        function: &'static str,
        /// The column.
        column: String,
        /// Its type.
        data_type: String,
    },
    /// Join keys that cannot be compared.
    #[error("cannot join `{left}` ({left_type}) with `{right}` ({right_type})")]
    JoinKeyMismatch {
        /// Left key.
        left: String,
        /// Its type.
        left_type: String,
        /// Right key.
        right: String,
        /// Its type.
        right_type: String,
    },
    /// A join with no keys.
    #[error("a join needs at least one pair of key columns")]
    NoJoinKeys,
    /// A path in the manifest is not a valid object path.
    #[error("invalid data file path `{path}` in the manifest: {source}")]
    BadPath {
        /// The path.
        path: String,
        /// Why.
        #[source]
        source: object_store::path::Error,
    },
    /// Reading or decoding a data file failed.
    #[error(
        "{path}: cannot decode this data file, which may be damaged: {}",
        parquet_detail(path, source)
    )]
    Parquet {
        /// The data file.
        path: String,
        /// Why.
        #[source]
        source: ParquetError,
    },
    /// A column of a data file does not have the type the table declares.
    #[error("{path}: column `{column}` has type {found}, the table declares {expected}")]
    ColumnType {
        /// The data file.
        path: String,
        /// The column.
        column: String,
        /// What the file holds.
        found: String,
        /// What the schema says.
        expected: String,
    },
    /// An Arrow computation failed.
    #[error("{context}: {source}")]
    Arrow {
        /// What was being computed.
        context: String,
        /// Why.
        #[source]
        source: ArrowError,
    },
    /// A background reading task stopped unexpectedly.
    #[error("a reading task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// No run answers to the name given, with the closest ones.
    #[error("{0}")]
    UnknownRun(runlake_domain::RunLookupError),
    /// A name given to a DataDecide-style selection is not known.
    #[error("unknown {kind} `{value}`{}", runlake_vocab::unknown_hint(kind, value))]
    UnknownName {
        /// recipe, size, seed, task, metric, run, ...
        kind: &'static str,
        /// The spelling given.
        value: String,
    },
    /// A run's name matches several runs.
    #[error("`{name}` matches several runs: {}", candidates.join(", "))]
    AmbiguousRun {
        /// The name given.
        name: String,
        /// Every run it could mean.
        candidates: Vec<String>,
    },
    /// A run has no lineage to follow.
    #[error("run `{run}` has no resolved parent in the lineage table")]
    NoLineage {
        /// The run.
        run: String,
    },
    /// Lineage parents form a cycle.
    #[error("the lineage of `{run}` loops back to itself")]
    LineageCycle {
        /// The run.
        run: String,
    },
}

/// Tables wider than this are not listed in an unknown-column message; it says how to list them.
const MAX_LISTED_COLUMNS: usize = 12;

/// The closest columns, then the columns that exist or how to list them.
fn column_hint(column: &str, context: &str, available: &str) -> String {
    let names: Vec<&str> = available.split(", ").filter(|n| !n.is_empty()).collect();
    let closest = runlake_format::suggest::did_you_mean(column, names.iter().copied());
    match context.strip_prefix("table ") {
        Some(table) if names.len() > MAX_LISTED_COLUMNS => format!(
            "{closest} (`runlake inspect LAKE --table {table}` lists all {} columns)",
            names.len()
        ),
        _ if names.is_empty() => closest,
        _ => format!("{closest} (available: {available})"),
    }
}

/// The decoder's reason as one clause, without the file's path when it repeats it.
fn parquet_detail(path: &str, source: &ParquetError) -> String {
    let text = source.to_string();
    let detail = decoder_detail(&text);
    match detail.strip_prefix(path).and_then(|d| d.strip_prefix(": ")) {
        Some(rest) => rest.to_owned(),
        None => detail,
    }
}

/// The reader's result type.
pub type Result<T, E = ReaderError> = std::result::Result<T, E>;

pub(crate) fn arrow_err(context: impl Into<String>) -> impl FnOnce(ArrowError) -> ReaderError {
    let context = context.into();
    move |source| ReaderError::Arrow { context, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_data_file_error_is_one_sentence_naming_the_file_once() {
        let checksum = ReaderError::Parquet {
            path: "evals/a.parquet".into(),
            source: ParquetError::General(
                "evals/a.parquet: page at byte 4 fails its checksum; the data file is corrupt"
                    .into(),
            ),
        };
        assert_eq!(
            checksum.to_string(),
            "evals/a.parquet: cannot decode this data file, which may be damaged: page at byte 4 \
             fails its checksum; the data file is corrupt"
        );
        let dump = ReaderError::Parquet {
            path: "evals/a.parquet".into(),
            source: ParquetError::ArrowError(
                "Unable to get root as message stored in ARROW:schema: Utf8Error { error: \
                 Utf8Error { valid_up_to: 2 } }"
                    .into(),
            ),
        };
        assert_eq!(
            dump.to_string(),
            "evals/a.parquet: cannot decode this data file, which may be damaged: Unable to get \
             root as message stored in ARROW:schema"
        );
    }
}
