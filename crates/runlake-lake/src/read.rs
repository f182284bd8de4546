//! Reading whole data files back, checked against their hashes.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray, new_null_array};
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectStoreExt;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use runlake_format::{ContentHash, DataFile, Manifest, Table};

use crate::error::{LakeError, Result, arrow_err, store_err};
use crate::lake::Lake;

/// A file whose bytes do not match the manifest.
fn corrupt(lake: &Lake, file: &DataFile, what: String) -> LakeError {
    LakeError::Task(format!("{}: {what}", lake.display_path(&file.path)))
}

impl Lake {
    /// Every row of a table at a version, with the logical schema (partition columns restored).
    /// Files are fetched concurrently; each is checked against its BLAKE3.
    pub async fn read_table(&self, manifest: &Manifest, table: Table) -> Result<Vec<RecordBatch>> {
        let Some(state) = manifest.table(table) else {
            return Ok(Vec::new());
        };
        let lake = self.clone();
        let per_file: Vec<Vec<RecordBatch>> = futures::stream::iter(state.files.clone())
            .map(move |f| {
                let lake = lake.clone();
                async move { lake.read_file(table, &f).await }
            })
            .buffered(8)
            .try_collect()
            .await?;
        Ok(per_file.into_iter().flatten().collect())
    }

    /// Every row of one data file, with the logical schema.
    pub async fn read_file(&self, table: Table, file: &DataFile) -> Result<Vec<RecordBatch>> {
        let path = self.path(&file.path);
        let display = self.display_path(&file.path);
        let bytes = self
            .store()
            .get(&path)
            .await
            .map_err(store_err(display.clone()))?
            .bytes()
            .await
            .map_err(store_err(display.clone()))?;
        if bytes.len() as u64 != file.bytes {
            return Err(corrupt(
                self,
                file,
                format!("{} bytes, manifest says {}", bytes.len(), file.bytes),
            ));
        }
        if ContentHash::of(&bytes) != file.blake3 {
            return Err(corrupt(
                self,
                file,
                "content does not match its BLAKE3".into(),
            ));
        }
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
            .and_then(|b| b.with_batch_size(1 << 16).build())
            .map_err(|source| LakeError::Parquet {
                path: display.clone(),
                source,
            })?;
        let mut out = Vec::new();
        for batch in reader {
            let batch = batch.map_err(arrow_err(display.clone()))?;
            out.push(with_partition_columns(table, file, &batch)?);
        }
        Ok(out)
    }
}

/// Restores the partition columns a data file does not store, in logical-schema order. Columns
/// the file lacks (written under an older schema) come back as nulls.
pub fn with_partition_columns(
    table: Table,
    file: &DataFile,
    batch: &RecordBatch,
) -> Result<RecordBatch> {
    let schema = table.schema();
    let rows = batch.num_rows();
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|field| {
            if let Some(value) = file.partition.get(field.name()) {
                let array: ArrayRef = match value {
                    Some(v) => Arc::new(StringArray::from(vec![v.as_str(); rows])),
                    None => new_null_array(field.data_type(), rows),
                };
                array
            } else {
                batch
                    .column_by_name(field.name())
                    .cloned()
                    .unwrap_or_else(|| new_null_array(field.data_type(), rows))
            }
        })
        .collect();
    RecordBatch::try_new(schema, columns).map_err(arrow_err(format!("table {table}")))
}
