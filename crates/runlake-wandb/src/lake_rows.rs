//! Reading back what the lake already holds about post-training runs.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Int64Type, TimestampMicrosecondType};
use runlake_format::tables::{EVIDENCE_SAME_NAME, Phase};

use crate::build::KnownRun;
use crate::json::{self, Json};

fn col<'a>(b: &'a RecordBatch, name: &str) -> Option<&'a dyn Array> {
    b.column_by_name(name).map(|c| c.as_ref())
}

pub(crate) fn str_at(b: &RecordBatch, name: &str, i: usize) -> Option<String> {
    let c = col(b, name)?;
    let s = c.as_string_opt::<i32>()?;
    (!s.is_null(i)).then(|| s.value(i).to_owned())
}

pub(crate) fn i64_at(b: &RecordBatch, name: &str, i: usize) -> Option<i64> {
    let c = col(b, name)?;
    let a = c.as_primitive_opt::<Int64Type>()?;
    (!a.is_null(i)).then(|| a.value(i))
}

fn ts_at(b: &RecordBatch, name: &str, i: usize) -> Option<i64> {
    let c = col(b, name)?;
    let a = c.as_primitive_opt::<TimestampMicrosecondType>()?;
    (!a.is_null(i)).then(|| a.value(i))
}

/// Post-training runs in `metadata` batches, with the content hash stored at conversion.
pub(crate) fn known_runs(batches: &[RecordBatch]) -> Vec<(KnownRun, Option<String>)> {
    let mut out = Vec::new();
    for b in batches {
        for i in 0..b.num_rows() {
            if str_at(b, "phase", i).as_deref() != Some(Phase::Posttrain.as_str()) {
                continue;
            }
            let Some(run_uid) = str_at(b, "run_uid", i) else {
                continue;
            };
            let extra = str_at(b, "extra_json", i).and_then(|t| json::parse(&t).ok());
            let hash = extra
                .as_ref()
                .and_then(|e| e.get("content_hash"))
                .and_then(Json::as_str)
                .map(str::to_owned);
            let output_dir = str_at(b, "config_json", i)
                .and_then(|t| json::parse(&t).ok())
                .and_then(|c| {
                    c.get("output_dir")
                        .and_then(Json::as_str)
                        .map(str::to_owned)
                });
            out.push((
                KnownRun {
                    run_uid,
                    training_type: str_at(b, "training_type", i).unwrap_or_default(),
                    name: str_at(b, "run_name", i),
                    created_at: ts_at(b, "created_at", i),
                    last_step: i64_at(b, "final_step", i),
                    recipe: str_at(b, "recipe", i),
                    size: str_at(b, "size", i),
                    seed: str_at(b, "seed", i),
                    output_dir,
                },
                hash,
            ));
        }
    }
    out
}

/// The same-name links stored in `lineage` batches, as `(child, earlier run)`.
pub(crate) fn same_name_links(
    batches: &[RecordBatch],
) -> std::collections::HashSet<(String, String)> {
    let mut out = std::collections::HashSet::new();
    for b in batches {
        for i in 0..b.num_rows() {
            if str_at(b, "evidence_source", i).as_deref() != Some(EVIDENCE_SAME_NAME) {
                continue;
            }
            if let (Some(child), Some(earlier)) = (
                str_at(b, "child_run_uid", i),
                str_at(b, "evidence_value", i),
            ) {
                out.insert((child, earlier));
            }
        }
    }
    out
}
