//! Helpers shared by the integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::collections::BTreeMap;
use std::path::PathBuf;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::{Float64Type, Int64Type};
use runlake_datadecide::{ConvertError, ConvertOptions, ConvertSummary, convert_to_sink};
use runlake_format::Table;

pub fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/datadecide")
        .join(rel)
}

/// Converts into memory: one concatenated batch per table.
pub fn convert(
    inputs: &[PathBuf],
    opts: ConvertOptions,
) -> Result<(BTreeMap<Table, RecordBatch>, ConvertSummary), ConvertError> {
    let mut out: BTreeMap<Table, Vec<RecordBatch>> = BTreeMap::new();
    let mut sink = |t: Table, b: RecordBatch| {
        out.entry(t).or_default().push(b);
        Ok(())
    };
    let summary = convert_to_sink(inputs, opts, &mut sink, &|_| {})?;
    let tables = out
        .into_iter()
        .map(|(t, bs)| (t, concat_batches(&t.schema(), &bs).expect("concat")))
        .collect();
    Ok((tables, summary))
}

/// Row lookup by column values.
pub struct Rows<'a>(pub &'a RecordBatch);

impl Rows<'_> {
    pub fn find(&self, run_uid: &str, step: i64, task: Option<&str>) -> usize {
        let b = self.0;
        let uid = b
            .column_by_name("run_uid")
            .expect("run_uid")
            .as_string::<i32>();
        let st = b
            .column_by_name("step")
            .expect("step")
            .as_primitive::<Int64Type>();
        let tk = b.column_by_name("task").map(|c| c.as_string::<i32>());
        let hits: Vec<usize> = (0..b.num_rows())
            .filter(|&i| {
                uid.value(i) == run_uid
                    && st.value(i) == step
                    && task.is_none_or(|t| tk.expect("task").value(i) == t)
            })
            .collect();
        assert_eq!(
            hits.len(),
            1,
            "rows for {run_uid} {step} {task:?}: {hits:?}"
        );
        hits[0]
    }

    pub fn f64(&self, row: usize, col: &str) -> Option<f64> {
        let c = self
            .0
            .column_by_name(col)
            .unwrap_or_else(|| panic!("no column {col}"));
        let a = c.as_primitive::<Float64Type>();
        a.is_valid(row).then(|| a.value(row))
    }

    pub fn i64(&self, row: usize, col: &str) -> Option<i64> {
        let a = self
            .0
            .column_by_name(col)
            .expect(col)
            .as_primitive::<Int64Type>();
        a.is_valid(row).then(|| a.value(row))
    }

    pub fn str(&self, row: usize, col: &str) -> Option<String> {
        let a = self.0.column_by_name(col).expect(col).as_string::<i32>();
        a.is_valid(row).then(|| a.value(row).to_owned())
    }

    pub fn bool(&self, row: usize, col: &str) -> bool {
        self.0
            .column_by_name(col)
            .expect(col)
            .as_boolean()
            .value(row)
    }

    pub fn extra(&self, row: usize) -> Vec<(String, Option<f64>)> {
        let m = self
            .0
            .column_by_name("extra_metrics")
            .expect("extra")
            .as_map();
        if m.is_null(row) {
            return vec![];
        }
        let entries = m.value(row);
        let keys = entries.column(0).as_string::<i32>();
        let vals = entries.column(1).as_primitive::<Float64Type>();
        (0..keys.len())
            .map(|i| {
                (
                    keys.value(i).to_owned(),
                    vals.is_valid(i).then(|| vals.value(i)),
                )
            })
            .collect()
    }
}
