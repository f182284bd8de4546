//! Delta checkpoints: a table's whole state at one version as one Parquet file.
//!
//! The actions are the ones a JSON commit would hold, decoded into the checkpoint schema by
//! Arrow's JSON reader, so the two forms cannot drift apart. Column and field names follow the
//! Delta protocol; nested map fields use Parquet's `key_value`/`key`/`value` names, as Spark
//! writes them.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use runlake_format::delta::{Action, commit_bytes};

fn utf8(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

fn int64(name: &str) -> Field {
    Field::new(name, DataType::Int64, true)
}

fn int32(name: &str) -> Field {
    Field::new(name, DataType::Int32, true)
}

fn boolean(name: &str) -> Field {
    Field::new(name, DataType::Boolean, true)
}

fn string_map(name: &str) -> Field {
    let entries = Field::new(
        "key_value",
        DataType::Struct(
            vec![
                Field::new("key", DataType::Utf8, false),
                Field::new("value", DataType::Utf8, true),
            ]
            .into(),
        ),
        false,
    );
    Field::new(name, DataType::Map(Arc::new(entries), false), true)
}

fn structure(name: &str, fields: Vec<Field>) -> Field {
    Field::new(name, DataType::Struct(Fields::from(fields)), true)
}

/// The checkpoint's columns: one per action type, each row filling exactly one.
pub(crate) fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        structure(
            "txn",
            vec![utf8("appId"), int64("version"), int64("lastUpdated")],
        ),
        structure(
            "add",
            vec![
                utf8("path"),
                string_map("partitionValues"),
                int64("size"),
                int64("modificationTime"),
                boolean("dataChange"),
                utf8("stats"),
            ],
        ),
        structure(
            "remove",
            vec![
                utf8("path"),
                int64("deletionTimestamp"),
                boolean("dataChange"),
                boolean("extendedFileMetadata"),
                string_map("partitionValues"),
                int64("size"),
            ],
        ),
        structure(
            "metaData",
            vec![
                utf8("id"),
                utf8("name"),
                utf8("description"),
                structure("format", vec![utf8("provider"), string_map("options")]),
                utf8("schemaString"),
                Field::new(
                    "partitionColumns",
                    DataType::List(Arc::new(Field::new("element", DataType::Utf8, true))),
                    true,
                ),
                string_map("configuration"),
                int64("createdTime"),
            ],
        ),
        structure(
            "protocol",
            vec![int32("minReaderVersion"), int32("minWriterVersion")],
        ),
    ]))
}

/// The Parquet bytes of a checkpoint holding `actions`. Deterministic: the same actions give
/// the same bytes.
pub(crate) fn encode(actions: &[Action]) -> Result<Vec<u8>, ParquetError> {
    let schema = schema();
    let lines = commit_bytes(actions);
    let mut reader = arrow::json::ReaderBuilder::new(Arc::clone(&schema))
        .with_batch_size(actions.len().max(1))
        .build(std::io::Cursor::new(lines))
        .map_err(|e| ParquetError::General(format!("checkpoint actions: {e}")))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, Arc::clone(&schema), Some(props))?;
    for batch in reader.by_ref() {
        let batch = batch.map_err(|e| ParquetError::General(format!("checkpoint actions: {e}")))?;
        writer.write(&batch)?;
    }
    writer.close()?;
    Ok(out)
}
