//! Writing query results for people and programs: an aligned table, CSV, JSON lines or
//! Parquet. A reader that closes the pipe early (`| head`) is reported as
//! [`OutputError::ClosedPipe`], which a command line treats as success.

use std::io::{self, Write};
use std::str::FromStr;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::error::ArrowError;
use parquet::errors::ParquetError;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// An aligned text table.
    Table,
    /// CSV with a header row.
    Csv,
    /// JSON Lines: one JSON object per line.
    Json,
    /// One JSON document: an array of objects.
    JsonArray,
    /// A Parquet file (zstd).
    Parquet,
}

impl FromStr for OutputFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "table" => Ok(Self::Table),
            "csv" => Ok(Self::Csv),
            "json" | "jsonl" | "ndjson" => Ok(Self::Json),
            "json-array" => Ok(Self::JsonArray),
            "parquet" => Ok(Self::Parquet),
            other => Err(format!(
                "unknown output format `{other}` (expected table, csv, json, json-array or parquet)"
            )),
        }
    }
}

/// Why output could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// The reading end of the pipe went away; not a failure of the query.
    #[error("the output pipe was closed")]
    ClosedPipe,
    /// Writing failed.
    #[error("writing output: {0}")]
    Io(#[source] io::Error),
    /// Encoding failed.
    #[error("encoding output: {0}")]
    Encode(String),
}

impl OutputError {
    /// Whether this is a closed pipe, which a command line treats as success.
    pub fn is_closed_pipe(&self) -> bool {
        matches!(self, OutputError::ClosedPipe)
    }
}

fn from_io(e: io::Error) -> OutputError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        OutputError::ClosedPipe
    } else {
        OutputError::Io(e)
    }
}

fn from_arrow(e: ArrowError) -> OutputError {
    match e {
        ArrowError::IoError(_, io) => from_io(io),
        ArrowError::ExternalError(inner) => match inner.downcast::<io::Error>() {
            Ok(io) => from_io(*io),
            Err(other) => OutputError::Encode(other.to_string()),
        },
        other => OutputError::Encode(other.to_string()),
    }
}

fn from_parquet(e: ParquetError) -> OutputError {
    match e {
        ParquetError::External(inner) => match inner.downcast::<io::Error>() {
            Ok(io) => from_io(*io),
            Err(other) => OutputError::Encode(other.to_string()),
        },
        other => OutputError::Encode(other.to_string()),
    }
}

/// Remembers whether the underlying writer reported a closed pipe, because encoders (Parquet
/// in particular) turn the `io::Error` into text before it reaches us.
struct Watch<W> {
    inner: W,
    closed: Arc<AtomicBool>,
}

impl<W: Write> Write for Watch<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| self.note(e))
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().inspect_err(|e| self.note(e))
    }
}

impl<W> Watch<W> {
    fn note(&self, e: &io::Error) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            self.closed.store(true, Ordering::Relaxed);
        }
    }
}

/// Writes batches in a format. The table format buffers up to 10,000 rows to align columns,
/// then continues in blocks; the others stream.
pub fn write_batches<W: Write + Send>(
    format: OutputFormat,
    schema: &SchemaRef,
    batches: impl IntoIterator<Item = RecordBatch>,
    out: W,
) -> Result<(), OutputError> {
    let mut w = BatchWriter::new(format, schema, out)?;
    for b in batches {
        w.write(&b)?;
    }
    w.finish()
}

enum Inner<W: Write + Send> {
    Table {
        out: Watch<W>,
        pending: Vec<RecordBatch>,
        rows: usize,
    },
    Csv(arrow::csv::Writer<Watch<W>>),
    Json(arrow::json::LineDelimitedWriter<Watch<W>>),
    JsonArray(arrow::json::ArrayWriter<Watch<W>>),
    Parquet(parquet::arrow::ArrowWriter<Watch<W>>),
}

/// Writes batches one at a time (for streaming results).
pub struct BatchWriter<W: Write + Send> {
    inner: Inner<W>,
    wrote_any: bool,
    schema: SchemaRef,
    closed: Arc<AtomicBool>,
}

const TABLE_BLOCK_ROWS: usize = 10_000;

impl<W: Write + Send> BatchWriter<W> {
    /// A writer of `format` to `out`.
    pub fn new(format: OutputFormat, schema: &SchemaRef, out: W) -> Result<Self, OutputError> {
        let closed = Arc::new(AtomicBool::new(false));
        let out = Watch {
            inner: out,
            closed: Arc::clone(&closed),
        };
        let inner = match format {
            OutputFormat::Table => Inner::Table {
                out,
                pending: Vec::new(),
                rows: 0,
            },
            OutputFormat::Csv => Inner::Csv(
                arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .build(out),
            ),
            OutputFormat::Json => Inner::Json(arrow::json::LineDelimitedWriter::new(out)),
            OutputFormat::JsonArray => Inner::JsonArray(arrow::json::ArrayWriter::new(out)),
            OutputFormat::Parquet => {
                let props = parquet::file::properties::WriterProperties::builder()
                    .set_compression(parquet::basic::Compression::ZSTD(
                        parquet::basic::ZstdLevel::default(),
                    ))
                    .build();
                Inner::Parquet(
                    parquet::arrow::ArrowWriter::try_new(out, schema.clone(), Some(props))
                        .map_err(|e| closed_or(&closed, from_parquet(e)))?,
                )
            }
        };
        Ok(Self {
            inner,
            wrote_any: false,
            schema: schema.clone(),
            closed,
        })
    }

    /// Writes one batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), OutputError> {
        self.wrote_any = true;
        let closed = Arc::clone(&self.closed);
        self.write_inner(batch).map_err(|e| closed_or(&closed, e))
    }

    fn write_inner(&mut self, batch: &RecordBatch) -> Result<(), OutputError> {
        match &mut self.inner {
            Inner::Table { out, pending, rows } => {
                *rows += batch.num_rows();
                pending.push(batch.clone());
                if *rows >= TABLE_BLOCK_ROWS {
                    flush_table(out, pending)?;
                    *rows = 0;
                }
                Ok(())
            }
            Inner::Csv(w) => w.write(&nested_as_json(batch)?).map_err(from_arrow),
            Inner::Json(w) => w.write(batch).map_err(from_arrow),
            Inner::JsonArray(w) => w.write(batch).map_err(from_arrow),
            Inner::Parquet(w) => w.write(batch).map_err(from_parquet),
        }
    }

    /// Flushes what is buffered and closes the format (footer, final newline).
    pub fn finish(self) -> Result<(), OutputError> {
        let closed = Arc::clone(&self.closed);
        self.finish_inner().map_err(|e| closed_or(&closed, e))
    }

    fn finish_inner(self) -> Result<(), OutputError> {
        match self.inner {
            Inner::Table {
                mut out,
                mut pending,
                ..
            } => {
                if pending.is_empty() && !self.wrote_any {
                    pending.push(RecordBatch::new_empty(self.schema.clone()));
                }
                flush_table(&mut out, &mut pending)?;
                out.flush().map_err(from_io)
            }
            Inner::Csv(mut w) => {
                // A result with no rows still says which columns it has.
                if !self.wrote_any {
                    let empty = RecordBatch::new_empty(self.schema.clone());
                    w.write(&nested_as_json(&empty)?).map_err(from_arrow)?;
                }
                let mut out = w.into_inner();
                out.flush().map_err(from_io)
            }
            Inner::Json(mut w) => {
                w.finish().map_err(from_arrow)?;
                let mut out = w.into_inner();
                out.flush().map_err(from_io)
            }
            Inner::JsonArray(mut w) => {
                // An empty result is still one document: `[]`.
                if !self.wrote_any {
                    w.write(&RecordBatch::new_empty(self.schema.clone()))
                        .map_err(from_arrow)?;
                }
                w.finish().map_err(from_arrow)?;
                let mut out = w.into_inner();
                out.write_all(b"\n").map_err(from_io)?;
                out.flush().map_err(from_io)
            }
            Inner::Parquet(w) => {
                let mut out = w.into_inner().map_err(from_parquet)?;
                out.flush().map_err(from_io)
            }
        }
    }
}

fn is_nested(t: &DataType) -> bool {
    matches!(
        t,
        DataType::List(_)
            | DataType::LargeList(_)
            | DataType::FixedSizeList(..)
            | DataType::ListView(_)
            | DataType::LargeListView(_)
            | DataType::Map(..)
            | DataType::Struct(_)
    )
}

/// CSV has no nested values: list, map and struct columns become their JSON text (a map as an
/// object), null rows stay empty, other columns are left as they are.
fn nested_as_json(batch: &RecordBatch) -> Result<RecordBatch, OutputError> {
    let schema = batch.schema();
    if !schema.fields().iter().any(|f| is_nested(f.data_type())) {
        return Ok(batch.clone());
    }
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (f, c) in schema.fields().iter().zip(batch.columns()) {
        if !is_nested(f.data_type()) {
            fields.push(f.clone());
            columns.push(c.clone());
            continue;
        }
        // Each row as a one-field object `{"v":...}` (`{}` when null), then unwrapped.
        let one = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new(
                "v",
                f.data_type().clone(),
                true,
            )])),
            vec![c.clone()],
        )
        .map_err(from_arrow)?;
        let mut text = Vec::new();
        {
            let mut w = arrow::json::LineDelimitedWriter::new(&mut text);
            w.write(&one).map_err(from_arrow)?;
            w.finish().map_err(from_arrow)?;
        }
        let text = String::from_utf8(text)
            .map_err(|e| from_io(io::Error::new(io::ErrorKind::InvalidData, e.to_string())))?;
        let values: StringArray = text
            .lines()
            .map(|l| l.strip_prefix("{\"v\":").and_then(|v| v.strip_suffix('}')))
            .collect();
        if values.len() != batch.num_rows() {
            return Err(from_io(io::Error::other(format!(
                "column {} did not convert to one JSON value per row",
                f.name()
            ))));
        }
        fields.push(Arc::new(Field::new(f.name(), DataType::Utf8, true)));
        columns.push(Arc::new(values) as ArrayRef);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(from_arrow)
}

fn closed_or(closed: &AtomicBool, e: OutputError) -> OutputError {
    if closed.load(Ordering::Relaxed) {
        OutputError::ClosedPipe
    } else {
        e
    }
}

fn flush_table<W: Write>(out: &mut W, pending: &mut Vec<RecordBatch>) -> Result<(), OutputError> {
    if pending.is_empty() {
        return Ok(());
    }
    let text = arrow::util::pretty::pretty_format_batches(pending).map_err(from_arrow)?;
    writeln!(out, "{text}").map_err(from_io)?;
    pending.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    fn batch() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("task", DataType::Utf8, false),
            Field::new("step", DataType::Int64, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec!["arc", "hellaswag"])),
                Arc::new(Int64Array::from(vec![Some(10), None])),
            ],
        )
        .expect("batch")
    }

    fn render(format: OutputFormat) -> String {
        let b = batch();
        let mut out = Vec::new();
        write_batches(format, &b.schema(), [b.clone()], &mut out).expect("write");
        String::from_utf8(out).expect("utf8")
    }

    #[test]
    fn text_formats_render_exactly() {
        assert_eq!(render(OutputFormat::Csv), "task,step\narc,10\nhellaswag,\n");
        assert_eq!(
            render(OutputFormat::Json),
            "{\"task\":\"arc\",\"step\":10}\n{\"task\":\"hellaswag\"}\n"
        );
        assert_eq!(
            render(OutputFormat::Table),
            "+-----------+------+\n| task      | step |\n+-----------+------+\n| arc       | 10   |\n| hellaswag |      |\n+-----------+------+\n"
        );
    }

    #[test]
    fn parquet_round_trips() {
        let b = batch();
        let mut out = Vec::new();
        write_batches(OutputFormat::Parquet, &b.schema(), [b.clone()], &mut out).expect("write");
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            bytes::Bytes::from(out),
        )
        .expect("open")
        .build()
        .expect("reader");
        let back: Vec<RecordBatch> = reader.collect::<Result<_, _>>().expect("read");
        assert_eq!(back, vec![b]);
    }

    fn csv_of(b: &RecordBatch, batches: Vec<RecordBatch>) -> String {
        let mut out = Vec::new();
        write_batches(OutputFormat::Csv, &b.schema(), batches, &mut out).expect("write");
        String::from_utf8(out).expect("utf8")
    }

    /// A list, a map and a struct column, each with a null row.
    fn nested() -> RecordBatch {
        use arrow::array::builder::{Float64Builder, ListBuilder, MapBuilder, StringBuilder};
        use arrow::array::{Float64Array, StructArray};
        let mut list = ListBuilder::new(StringBuilder::new());
        list.values().append_value("a,b");
        list.values().append_value("c");
        list.append(true);
        list.append(false);
        let mut map = MapBuilder::new(None, StringBuilder::new(), Float64Builder::new());
        map.keys().append_value("acc_flat");
        map.values().append_value(0.5);
        map.append(true).expect("map row");
        map.append(false).expect("map row");
        let inner = StructArray::from(vec![(
            Arc::new(Field::new("x", DataType::Float64, true)),
            Arc::new(Float64Array::from(vec![Some(1.5), None])) as ArrayRef,
        )]);
        let inner = StructArray::try_new(
            inner.fields().clone(),
            inner.columns().to_vec(),
            Some(vec![true, false].into()),
        )
        .expect("struct");
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec!["r1", "r2"])),
            Arc::new(list.finish()),
            Arc::new(map.finish()),
            Arc::new(inner),
        ];
        let fields: Vec<Field> = ["run", "tags", "extra", "s"]
            .iter()
            .zip(&columns)
            .map(|(n, c)| Field::new(*n, c.data_type().clone(), true))
            .collect();
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("batch")
    }

    #[test]
    fn csv_writes_nested_columns_as_json_text() {
        let b = nested();
        assert_eq!(
            csv_of(&b, vec![b.clone()]),
            "run,tags,extra,s\nr1,\"[\"\"a,b\"\",\"\"c\"\"]\",\"{\"\"acc_flat\"\":0.5}\",\"{\"\"x\"\":1.5}\"\nr2,,,\n"
        );
    }

    #[test]
    fn csv_without_rows_prints_its_header() {
        let b = nested();
        assert_eq!(csv_of(&b, Vec::new()), "run,tags,extra,s\n");
        let none = RecordBatch::new_empty(b.schema());
        assert_eq!(csv_of(&b, vec![none]), "run,tags,extra,s\n");
    }

    struct Closed;
    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"))
        }
    }

    #[test]
    fn a_closed_pipe_is_reported_as_such() {
        for format in [
            OutputFormat::Table,
            OutputFormat::Csv,
            OutputFormat::Json,
            OutputFormat::Parquet,
        ] {
            let b = batch();
            let err =
                write_batches(format, &b.schema(), [b.clone()], Closed).expect_err("closed pipe");
            assert!(err.is_closed_pipe(), "{format:?}: {err}");
        }
    }
}
