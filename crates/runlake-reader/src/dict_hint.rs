//! Which string columns of a file to decode as Arrow dictionaries.
//!
//! A string column whose pages are all dictionary-encoded holds few distinct values (runs,
//! tasks, recipes, sizes, seeds). Decoded as a dictionary, a filter compares each distinct
//! value once and the strings of rows it drops are never built; the scan turns the survivors
//! back into plain strings. Columns with plain-encoded pages stay plain, since building a
//! dictionary for them would cost a hash per value.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use parquet::basic::Encoding;
use parquet::file::metadata::{ColumnChunkMetaData, ParquetMetaData};

fn all_dictionary_encoded(chunk: &ColumnChunkMetaData) -> bool {
    chunk.dictionary_page_offset().is_some()
        && chunk.page_encoding_stats_mask().is_some_and(|mask| {
            mask.is_only(Encoding::PLAIN_DICTIONARY) || mask.is_only(Encoding::RLE_DICTIONARY)
        })
}

/// `schema` with each top-level string column that is dictionary-encoded in every row group
/// turned into `Dictionary(Int32, Utf8)`; `None` when no column qualifies.
pub(crate) fn dictionary_schema(schema: &Schema, meta: &ParquetMetaData) -> Option<SchemaRef> {
    let descr = meta.file_metadata().schema_descr();
    let mut changed = false;
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let leaf = descr
                .columns()
                .iter()
                .position(|c| c.path().parts() == [f.name().as_str()]);
            let qualifies = *f.data_type() == DataType::Utf8
                && leaf.is_some_and(|i| {
                    meta.row_groups()
                        .iter()
                        .all(|rg| all_dictionary_encoded(rg.column(i)))
                });
            if qualifies {
                changed = true;
                f.as_ref().clone().with_data_type(DataType::Dictionary(
                    Box::new(DataType::Int32),
                    Box::new(DataType::Utf8),
                ))
            } else {
                f.as_ref().clone()
            }
        })
        .collect();
    changed.then(|| Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())))
}

#[cfg(test)]
mod tests {
    use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    use bytes::Bytes;
    use parquet::arrow::ArrowWriter;
    use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
    use parquet::file::properties::WriterProperties;

    use super::*;

    #[test]
    fn only_fully_dictionary_encoded_strings_qualify() {
        let rows = 5_000;
        let few: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..rows).map(|i| format!("run{}", i % 7)),
        ));
        // Distinct long values overflow the small dictionary limit below: plain pages follow.
        let many: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..rows).map(|i| format!("{i:0>64}")),
        ));
        let ints: ArrayRef = Arc::new(Int64Array::from_iter_values(0..rows as i64));
        let batch =
            RecordBatch::try_from_iter([("few", few), ("many", many), ("n", ints)]).expect("batch");
        let props = WriterProperties::builder()
            .set_dictionary_page_size_limit(4096)
            .set_data_page_size_limit(4096)
            .build();
        let mut buf = Vec::new();
        let mut w = ArrowWriter::try_new(&mut buf, batch.schema(), Some(props)).expect("writer");
        w.write(&batch).expect("write");
        w.close().expect("close");
        let meta = ArrowReaderMetadata::load(&Bytes::from(buf), ArrowReaderOptions::new())
            .expect("footer");
        let hinted = dictionary_schema(meta.schema(), meta.metadata()).expect("a dictionary");
        let types: Vec<&DataType> = hinted.fields().iter().map(|f| f.data_type()).collect();
        assert_eq!(
            types,
            [
                &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                &DataType::Utf8,
                &DataType::Int64,
            ]
        );
    }
}
