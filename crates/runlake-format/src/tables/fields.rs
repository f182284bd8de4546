//! Small constructors that keep the schema files readable.

use std::sync::Arc;

use arrow_schema::{DataType, Field, TimeUnit};

pub(crate) fn utf8(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

pub(crate) fn utf8_required(name: &str) -> Field {
    Field::new(name, DataType::Utf8, false)
}

pub(crate) fn int64(name: &str) -> Field {
    Field::new(name, DataType::Int64, true)
}

pub(crate) fn int64_required(name: &str) -> Field {
    Field::new(name, DataType::Int64, false)
}

pub(crate) fn float64(name: &str) -> Field {
    Field::new(name, DataType::Float64, true)
}

pub(crate) fn boolean(name: &str) -> Field {
    Field::new(name, DataType::Boolean, true)
}

pub(crate) fn boolean_required(name: &str) -> Field {
    Field::new(name, DataType::Boolean, false)
}

pub(crate) fn timestamp(name: &str) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())),
        true,
    )
}

pub(crate) fn string_list(name: &str) -> Field {
    Field::new(
        name,
        DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        true,
    )
}

/// A `Map<Utf8, value>` column as Parquet, DuckDB and pyarrow expect it.
pub(crate) fn map(name: &str, value: DataType) -> Field {
    let entries = Field::new(
        "entries",
        DataType::Struct(
            vec![
                Field::new("keys", DataType::Utf8, false),
                Field::new("values", value, true),
            ]
            .into(),
        ),
        false,
    );
    Field::new(name, DataType::Map(Arc::new(entries), false), true)
}
