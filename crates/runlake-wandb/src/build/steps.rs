//! `posttrain_steps` rows: one per distinct logged row at a step.
//!
//! Rows whose logged values (`metrics` and `extra`) are identical are one row, whatever their
//! timestamps: re-exports repeat rows. Rows at one step whose values differ are all kept, in
//! reading order, as `variant` 0, 1, 2, ... with `conflict = true` on every row of that step.

use std::collections::BTreeMap;

use runlake_format::tables::{TYPED_STEP_COLUMNS, TrainingType};

use super::cells::{Cell, Row};
use super::{Report, StepConflict};
use crate::coerce::{TimePolicy, f64_lenient};
use crate::json::{Json, Object};
use crate::model::HistoryRow;
use crate::redact::Redactor;

/// The typed column of a logged key for a training type.
pub(super) fn typed_column(key: &str, training_type: TrainingType) -> Option<&'static str> {
    let wanted = key.replace('/', "_");
    TYPED_STEP_COLUMNS
        .iter()
        .find(|(col, types)| *col == wanted && types.contains(&training_type))
        .map(|(col, _)| *col)
}

pub(super) fn rows(
    run_uid: &str,
    training_type: TrainingType,
    history: &[&HistoryRow],
    redactor: &Redactor,
    time: TimePolicy,
    report: &mut Report,
) -> Vec<Row> {
    let mut by_step: BTreeMap<i64, Vec<(String, &HistoryRow)>> = BTreeMap::new();
    for h in history {
        let step = h.step;
        let key = format!(
            "{}\u{0}{}",
            Json::Object(h.metrics.clone()).to_canonical_text(),
            Json::Object(h.extra.clone()).to_canonical_text()
        );
        let variants = by_step.entry(step).or_default();
        if variants.iter().any(|(k, _)| *k == key) {
            report.duplicate_history_rows += 1;
        } else {
            variants.push((key, h));
        }
    }
    let mut out = Vec::new();
    for (step, variants) in by_step {
        let conflict = variants.len() > 1;
        if conflict {
            report.conflicting_steps.push(StepConflict {
                run_uid: run_uid.to_owned(),
                step,
                variants: variants.len(),
            });
        }
        for (variant, (_, h)) in variants.into_iter().enumerate() {
            let mut r = step_row(run_uid, training_type, h, redactor, time, report);
            r.set("step", Cell::I64(step));
            r.set(
                "variant",
                Cell::I32(i32::try_from(variant).unwrap_or(i32::MAX)),
            );
            r.set("conflict", Cell::Bool(conflict));
            out.push(r);
        }
    }
    out
}

fn step_row(
    run_uid: &str,
    training_type: TrainingType,
    h: &HistoryRow,
    redactor: &Redactor,
    time: TimePolicy,
    report: &mut Report,
) -> Row {
    let mut r = Row::default();
    r.str("run_uid", run_uid);
    r.str("training_type", training_type.as_str());
    if let Some(ts) = report.timestamp(&h.timestamp, time, run_uid, "history timestamp") {
        r.set("timestamp", Cell::Ts(ts));
    }
    r.opt_f64("runtime_seconds", f64_lenient(&h.runtime));
    let mut extra_metrics = Vec::new();
    let mut other = Object::default();
    let mut as_string = Vec::new();
    let mut exact = Object::default();
    for (k, v) in h.metrics.iter() {
        let typed = typed_column(k, training_type);
        // Keys are logged names and may spell a user or a home path as well as values do.
        let key = redactor.text(k);
        match (v, typed) {
            (Json::Number(n), Some(col)) => r.set(col, Cell::F64(n.as_f64())),
            (Json::String(_), Some(col)) if f64_lenient(v).is_some() => {
                r.opt_f64(col, f64_lenient(v));
                as_string.push(Json::String(k.to_owned()));
            }
            (Json::Number(n), None) => {
                extra_metrics.push((key.clone().into_owned(), n.as_f64()));
                if n.is_big_integer() {
                    exact.push(key.as_ref(), v.clone());
                }
            }
            _ => other.push(key.as_ref(), redactor.json(v)),
        }
    }
    if !extra_metrics.is_empty() {
        r.set("extra_metrics", Cell::MapF64(extra_metrics));
    }
    let mut extra = Object::default();
    if !other.is_empty() {
        extra.push("metrics", Json::Object(other));
    }
    if !as_string.is_empty() {
        // Typed columns hold these as floats; the source sent them as strings.
        extra.push("sent_as_string", Json::Array(as_string));
    }
    if !exact.is_empty() {
        extra.push("exact", Json::Object(exact));
    }
    if !h.extra.is_empty() {
        extra.push("extra", Json::Object(redactor.object(&h.extra)));
    }
    if !h.wandb_metadata.is_null() && h.wandb_metadata.as_object().is_none_or(|o| !o.is_empty()) {
        extra.push("wandb_metadata", redactor.json(&h.wandb_metadata));
    }
    if !extra.is_empty() {
        r.str("extra_json", Json::Object(extra).to_text());
    }
    r
}
