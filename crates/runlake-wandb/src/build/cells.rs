//! Rows as named cells, turned into a batch with a table's exact schema.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float64Builder, ListBuilder, MapBuilder, MapFieldNames, PrimitiveArray,
    StringArray, StringBuilder,
};
use arrow::datatypes::{
    ArrowPrimitiveType, DataType, Field, Float64Type, Int32Type, Int64Type, TimeUnit,
    TimestampMicrosecondType,
};
use arrow::record_batch::RecordBatch;
use runlake_format::Table;

use crate::error::{Result, WandbError};

/// One cell value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Str(String),
    I64(i64),
    I32(i32),
    F64(f64),
    Bool(bool),
    /// Microseconds since the epoch, UTC.
    Ts(i64),
    List(Vec<String>),
    MapF64(Vec<(String, f64)>),
    MapStr(Vec<(String, String)>),
}

/// A row: column name to value, sorted by name; absent columns are null.
///
/// A sorted vector rather than a map: a conversion holds every run's rows at once, and a map's
/// nodes took twice the memory for rows of a dozen cells.
#[derive(Clone, Default, PartialEq)]
pub(crate) struct Row(Vec<(&'static str, Cell)>);

/// Written as the map it once was (`Row({"col": value, ...})`): content hashes are taken over
/// this text, and the runs stored in lakes must keep theirs.
impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        struct Cells<'a>(&'a [(&'static str, Cell)]);
        impl std::fmt::Debug for Cells<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|(k, v)| (k, v)))
                    .finish()
            }
        }
        f.debug_tuple("Row").field(&Cells(&self.0)).finish()
    }
}

impl Row {
    /// The cells, sorted by column name.
    pub(crate) fn cells(&self) -> &[(&'static str, Cell)] {
        &self.0
    }
    pub(crate) fn set(&mut self, col: &'static str, cell: Cell) {
        match self.position(col) {
            Ok(i) => self.0[i].1 = cell,
            Err(i) => self.0.insert(i, (col, cell)),
        }
    }
    /// Where `col` is, or where it would go.
    fn position(&self, col: &str) -> std::result::Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| (*k).cmp(col))
    }
    pub(crate) fn get_mut(&mut self, col: &str) -> Option<&mut Cell> {
        let i = self.position(col).ok()?;
        Some(&mut self.0[i].1)
    }
    /// Frees the room left by growing.
    pub(crate) fn shrink(&mut self) {
        self.0.shrink_to_fit();
    }
    pub(crate) fn str(&mut self, col: &'static str, v: impl Into<String>) {
        self.set(col, Cell::Str(v.into()));
    }
    pub(crate) fn opt_str(&mut self, col: &'static str, v: Option<impl Into<String>>) {
        if let Some(v) = v {
            self.str(col, v);
        }
    }
    pub(crate) fn opt_i64(&mut self, col: &'static str, v: Option<i64>) {
        if let Some(v) = v {
            self.set(col, Cell::I64(v));
        }
    }
    pub(crate) fn opt_f64(&mut self, col: &'static str, v: Option<f64>) {
        if let Some(v) = v {
            self.set(col, Cell::F64(v));
        }
    }
    pub(crate) fn get(&self, col: &str) -> Option<&Cell> {
        let i = self.position(col).ok()?;
        Some(&self.0[i].1)
    }
}

fn arrow_err(table: Table) -> impl Fn(arrow::error::ArrowError) -> WandbError {
    move |source| WandbError::Arrow {
        table: table.name(),
        source,
    }
}

/// Builds a batch with exactly `table.schema()`.
pub(crate) fn to_batch<R: std::borrow::Borrow<Row>>(
    table: Table,
    rows: &[R],
) -> Result<RecordBatch> {
    let schema = table.schema();
    let fields = schema.fields();
    // Columns are built in name order, the order of every row's cells, so each row's cursor
    // only moves forward: a row is walked once rather than searched once per column.
    let mut order: Vec<usize> = (0..fields.len()).collect();
    order.sort_by_key(|&i| fields[i].name().as_str());
    let mut cursors = vec![0usize; rows.len()];
    let mut columns: Vec<Option<ArrayRef>> = vec![None; fields.len()];
    for i in order {
        let name = fields[i].name().as_str();
        let cells = rows.iter().zip(cursors.iter_mut()).map(|(row, at)| {
            let cells = row.borrow().cells();
            while cells.get(*at).is_some_and(|(k, _)| *k < name) {
                *at += 1;
            }
            cells.get(*at).filter(|(k, _)| *k == name).map(|(_, c)| c)
        });
        columns[i] = Some(column(table, &fields[i], cells)?);
    }
    RecordBatch::try_new(schema, columns.into_iter().flatten().collect()).map_err(arrow_err(table))
}

/// One column of `table` from each row's cell for it.
fn column<'a>(
    table: Table,
    field: &Field,
    cells: impl Iterator<Item = Option<&'a Cell>>,
) -> Result<ArrayRef> {
    let name = field.name();
    let array: ArrayRef = match field.data_type() {
        DataType::Utf8 => Arc::new(
            cells
                .map(|c| match c {
                    Some(Cell::Str(s)) => Some(s.as_str()),
                    _ => None,
                })
                .collect::<StringArray>(),
        ),
        DataType::Int64 => Arc::new(primitive::<Int64Type>(cells, |c| match c {
            Cell::I64(v) => Some(*v),
            _ => None,
        })),
        DataType::Int32 => Arc::new(primitive::<Int32Type>(cells, |c| match c {
            Cell::I32(v) => Some(*v),
            _ => None,
        })),
        DataType::Float64 => Arc::new(primitive::<Float64Type>(cells, |c| match c {
            Cell::F64(v) => Some(*v),
            _ => None,
        })),
        DataType::Boolean => Arc::new(
            cells
                .map(|c| match c {
                    Some(Cell::Bool(v)) => Some(*v),
                    _ => None,
                })
                .collect::<BooleanArray>(),
        ),
        DataType::Timestamp(TimeUnit::Microsecond, tz) => Arc::new(
            primitive::<TimestampMicrosecondType>(cells, |c| match c {
                Cell::Ts(v) => Some(*v),
                _ => None,
            })
            .with_timezone_opt(tz.clone()),
        ),
        DataType::List(_) => {
            let mut b = ListBuilder::new(StringBuilder::new());
            for c in cells {
                match c {
                    Some(Cell::List(items)) => {
                        for i in items {
                            b.values().append_value(i);
                        }
                        b.append(true);
                    }
                    _ => b.append(false),
                }
            }
            Arc::new(b.finish())
        }
        DataType::Map(entries, _) => {
            let numeric = matches!(
                entries.data_type(),
                DataType::Struct(f) if f.len() == 2 && f[1].data_type() == &DataType::Float64
            );
            map_column(cells, numeric)?
        }
        other => {
            return Err(WandbError::Arrow {
                table: table.name(),
                source: arrow::error::ArrowError::NotYetImplemented(format!(
                    "column {name} of type {other}"
                )),
            });
        }
    };
    Ok(array)
}

/// A primitive column: each cell's value of the kind `value` picks, null otherwise.
fn primitive<'a, T: ArrowPrimitiveType>(
    cells: impl Iterator<Item = Option<&'a Cell>>,
    value: impl Fn(&Cell) -> Option<T::Native>,
) -> PrimitiveArray<T> {
    cells.map(|c| c.and_then(&value)).collect()
}

pub(crate) fn names() -> MapFieldNames {
    MapFieldNames {
        entry: "entries".into(),
        key: "keys".into(),
        value: "values".into(),
    }
}

fn map_column<'a>(
    cells: impl Iterator<Item = Option<&'a Cell>>,
    numeric: bool,
) -> Result<ArrayRef> {
    let err = |source| WandbError::Arrow {
        table: "map",
        source,
    };
    if numeric {
        let mut b = MapBuilder::new(Some(names()), StringBuilder::new(), Float64Builder::new());
        for c in cells {
            if let Some(Cell::MapF64(entries)) = c {
                for (k, v) in entries {
                    b.keys().append_value(k);
                    b.values().append_value(*v);
                }
                b.append(true).map_err(err)?;
            } else {
                b.append(false).map_err(err)?;
            }
        }
        Ok(Arc::new(b.finish()))
    } else {
        let mut b = MapBuilder::new(Some(names()), StringBuilder::new(), StringBuilder::new());
        for c in cells {
            if let Some(Cell::MapStr(entries)) = c {
                for (k, v) in entries {
                    b.keys().append_value(k);
                    b.values().append_value(v);
                }
                b.append(true).map_err(err)?;
            } else {
                b.append(false).map_err(err)?;
            }
        }
        Ok(Arc::new(b.finish()))
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray};
    use runlake_lake::testkit::Rng;

    use super::*;

    #[test]
    fn every_cell_lands_in_its_column_whatever_cells_a_row_has() {
        let table = Table::Evals;
        let schema = table.schema();
        // Every text, integer, float and boolean column, and names no column has.
        let mut names: Vec<&'static str> = schema
            .fields()
            .iter()
            .filter(|f| {
                matches!(
                    f.data_type(),
                    DataType::Utf8 | DataType::Int64 | DataType::Float64 | DataType::Boolean
                )
            })
            .map(|f| &*f.name().clone().leak())
            .collect();
        names.push("zz_not_a_column");
        names.push("a_not_a_column");
        let mut rng = Rng::new(4);
        let mut next = |n: u64| rng.below(n);
        let rows: Vec<Row> = (0..200)
            .map(|r| {
                let mut row = Row::default();
                for name in &names {
                    let field = schema.field_with_name(name).ok();
                    if field.is_none_or(|f| f.is_nullable()) && next(3) == 0 {
                        continue;
                    }
                    let cell = match field.map(|f| f.data_type()) {
                        Some(DataType::Int64) => Cell::I64(r * 1000 + next(1000) as i64),
                        Some(DataType::Float64) => Cell::F64(next(1 << 20) as f64 / 7.0),
                        Some(DataType::Boolean) => Cell::Bool(next(2) == 0),
                        _ => Cell::Str(format!("{name}-{r}")),
                    };
                    row.set(name, cell);
                }
                row
            })
            .collect();
        let batch = to_batch(table, &rows).expect("batch");
        assert_eq!(batch.schema(), schema);
        for name in names.iter().filter(|n| !n.ends_with("not_a_column")) {
            let column = batch.column_by_name(name).expect("column");
            for (i, row) in rows.iter().enumerate() {
                match row.get(name) {
                    None => assert!(column.is_null(i), "{name} row {i}"),
                    Some(Cell::Str(s)) => assert_eq!(column.as_string::<i32>().value(i), s),
                    Some(Cell::I64(v)) => {
                        assert_eq!(column.as_primitive::<Int64Type>().value(i), *v)
                    }
                    Some(Cell::F64(v)) => {
                        assert_eq!(column.as_primitive::<Float64Type>().value(i), *v)
                    }
                    Some(Cell::Bool(v)) => assert_eq!(column.as_boolean().value(i), *v),
                    Some(other) => panic!("{other:?}"),
                }
            }
        }
    }
}
