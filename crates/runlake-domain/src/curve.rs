//! The continuous curve of a lineage chain: the root's pretraining checkpoints up to the step
//! the first post-training run started from, then each post-training run's steps and evals,
//! on one cumulative-tokens axis. `runlake curve`, the plots and the library all draw these
//! points.
//!
//! - A pretraining checkpoint sits at its tokens: the export's, else the stored schedule's
//!   (`tokens_expected`), else the size's schedule at that exact step. An eval of the root at
//!   a step without a checkpoint row sits at the schedule's tokens for that step.
//! - Each post-training run starts where its parent stopped: the parent's tokens at the step
//!   it started from (by the schedule when the lake holds no checkpoint at exactly that step),
//!   or the parent's last tokens when no step is known.
//! - Inside a post-training run the axis follows the logged `total_tokens`, else
//!   `step * tokens_per_step` of the run, else stays where the run had got to; a counter that
//!   goes backwards (after a resume) never moves the axis back.
//! - A post-training eval at a step sits at the last logged step at or before it; an eval
//!   without a step (a final summary) at the run's end.
//!
//! Everything that cannot be placed is named in [`Curve::notes`], never dropped silently.

use std::collections::BTreeMap;

/// What a point is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PointKind {
    /// A pretraining checkpoint.
    Checkpoint,
    /// A logged post-training step.
    Step,
    /// An eval that is not at a checkpoint row.
    Eval,
}

impl PointKind {
    /// The name in a curve's `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            PointKind::Checkpoint => "checkpoint",
            PointKind::Step => "step",
            PointKind::Eval => "eval",
        }
    }
}

/// A logged row of a segment: a checkpoint of the root, or a post-training step.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoggedRow {
    /// Step.
    pub step: i64,
    /// Tokens within the run as logged (`tokens`/`tokens_expected` of a checkpoint,
    /// `total_tokens` of a step).
    pub tokens: Option<f64>,
    /// Training loss.
    pub train_loss: Option<f64>,
    /// The curve's value at this row when it comes from the log (a training column).
    pub value: Option<f64>,
}

/// An eval of a segment's run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EvalValue {
    /// Step, when the eval belongs to one.
    pub step: Option<i64>,
    /// The metric's value.
    pub value: Option<f64>,
}

/// Everything one run of a chain contributes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SegmentInput {
    /// The run.
    pub run_uid: String,
    /// What the curve calls its phase: the run's training type (`pretrain`, `sft`, `dpo`, ...).
    pub phase: String,
    /// The run's display name.
    pub run_name: Option<String>,
    /// The chain's root: a pretraining run whose checkpoints lead up to the first
    /// post-training run.
    pub is_root: bool,
    /// The step the next run started from; later rows and evals are not part of the curve.
    pub stop_step: Option<i64>,
    /// Tokens per step from the run's metadata (post-training runs).
    pub tokens_per_step: Option<i64>,
    /// Logged rows, in any order.
    pub rows: Vec<LoggedRow>,
    /// Evals of the curve's task and metric, one per step (or without a step).
    pub evals: Vec<EvalValue>,
}

/// One point of the curve.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvePoint {
    /// Index of the segment (0 = the first run of the chain).
    pub segment: usize,
    /// The segment's run.
    pub run_uid: String,
    /// What the point is.
    pub kind: PointKind,
    /// Step, when known.
    pub step: Option<i64>,
    /// Position on the cumulative-tokens axis.
    pub tokens: f64,
    /// Training loss at the point.
    pub train_loss: Option<f64>,
    /// The curve's value at the point.
    pub value: Option<f64>,
}

/// One run of the curve.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveSegment {
    /// The run.
    pub run_uid: String,
    /// Its phase (training type).
    pub phase: String,
    /// Its display name.
    pub run_name: Option<String>,
    /// The chain's pretraining root.
    pub is_root: bool,
    /// The step the next run started from.
    pub stop_step: Option<i64>,
    /// Where the run starts on the axis.
    pub start: f64,
    /// Where the next run starts.
    pub end: f64,
}

/// A chain's curve.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Curve {
    /// The runs, root first.
    pub segments: Vec<CurveSegment>,
    /// Points ordered by segment, then along the axis (evals after steps at the same tokens).
    pub points: Vec<CurvePoint>,
    /// What could not be placed, and the assumptions made.
    pub notes: Vec<String>,
}

/// Builds the curve of a chain's runs, given in training order (root first when known).
pub fn build_curve(inputs: &[SegmentInput]) -> Curve {
    let mut curve = Curve::default();
    if inputs.first().is_some_and(|s| !s.is_root)
        && let Some(last) = inputs.last()
    {
        curve.notes.push(format!(
            "{}: no resolved pretraining parent; post-training drawn from 0 tokens",
            last.run_uid
        ));
    }
    let mut offset = 0.0f64;
    for (segment, input) in inputs.iter().enumerate() {
        let end = if input.is_root {
            root_points(segment, input, &mut curve)
        } else {
            post_points(segment, offset, input, &mut curve)
        };
        curve.segments.push(CurveSegment {
            run_uid: input.run_uid.clone(),
            phase: input.phase.clone(),
            run_name: input.run_name.clone(),
            is_root: input.is_root,
            stop_step: input.stop_step,
            start: if input.is_root { 0.0 } else { offset },
            end,
        });
        offset = end;
    }
    curve.points.sort_by(|a, b| {
        a.segment
            .cmp(&b.segment)
            .then(a.tokens.total_cmp(&b.tokens))
            .then((a.kind == PointKind::Eval).cmp(&(b.kind == PointKind::Eval)))
            .then(a.step.cmp(&b.step))
    });
    curve
}

/// The root's checkpoints and evals up to the stop step; returns where the next run starts.
fn root_points(segment: usize, input: &SegmentInput, curve: &mut Curve) -> f64 {
    let run = input.run_uid.as_str();
    let schedule = |step: i64| runlake_vocab::scheduled_tokens(run, step).map(|t| t as f64);
    let within = |step: i64| input.stop_step.is_none_or(|stop| step <= stop);
    let evals: BTreeMap<i64, Option<f64>> = input
        .evals
        .iter()
        .filter_map(|e| e.step.map(|s| (s, e.value)))
        .filter(|(s, _)| within(*s))
        .collect();
    let mut at: BTreeMap<i64, f64> = BTreeMap::new();
    for row in input.rows.iter().filter(|r| within(r.step)) {
        let Some(tokens) = row.tokens.or_else(|| schedule(row.step)) else {
            curve.notes.push(format!(
                "{run} step {}: no tokens in the export or the schedule, left out",
                row.step
            ));
            continue;
        };
        at.insert(row.step, tokens);
        curve.points.push(CurvePoint {
            segment,
            run_uid: run.to_owned(),
            kind: PointKind::Checkpoint,
            step: Some(row.step),
            tokens,
            train_loss: row.train_loss,
            value: row
                .value
                .or_else(|| evals.get(&row.step).copied().flatten()),
        });
    }
    for (&step, &value) in evals.iter().filter(|(s, _)| !at.contains_key(s)) {
        match schedule(step) {
            Some(tokens) => curve.points.push(CurvePoint {
                segment,
                run_uid: run.to_owned(),
                kind: PointKind::Eval,
                step: Some(step),
                tokens,
                train_loss: None,
                value,
            }),
            None => curve.notes.push(format!(
                "{run} step {step}: an eval without a checkpoint or a schedule, left out"
            )),
        }
    }
    // The child starts at the checkpoint it was trained from, even when the lake holds only
    // neighbouring checkpoints of the pretraining run.
    match input.stop_step {
        Some(stop) => at
            .get(&stop)
            .copied()
            .or_else(|| schedule(stop))
            .unwrap_or_else(|| {
                let last = at.values().copied().fold(0.0, f64::max);
                curve.notes.push(format!(
                    "{run} has no tokens for step {stop}; post-training starts at its last \
                     checkpoint before it"
                ));
                last
            }),
        None => match at.last_key_value() {
            Some((step, tokens)) => {
                curve.notes.push(format!(
                    "parent step unknown; post-training starts at {run}'s last checkpoint, \
                     step {step}"
                ));
                *tokens
            }
            None => {
                curve.notes.push(format!(
                    "{run} has no checkpoints; post-training starts at 0 tokens"
                ));
                0.0
            }
        },
    }
}

/// A post-training run's steps and evals from `offset` on; returns where the run ends.
fn post_points(segment: usize, offset: f64, input: &SegmentInput, curve: &mut Curve) -> f64 {
    let run = input.run_uid.as_str();
    let within = |step: i64| input.stop_step.is_none_or(|stop| step <= stop);
    let mut rows: Vec<&LoggedRow> = input.rows.iter().filter(|r| within(r.step)).collect();
    rows.sort_by_key(|r| r.step);
    let mut done = 0.0f64;
    let mut untokened = 0usize;
    let mut axis: Vec<(i64, f64)> = Vec::with_capacity(rows.len());
    for row in rows {
        let tokens = row.tokens.or_else(|| {
            input
                .tokens_per_step
                .map(|tps| row.step as f64 * tps as f64)
        });
        match tokens {
            Some(t) => done = done.max(t),
            None => untokened += 1,
        }
        let at = offset + done;
        axis.push((row.step, at));
        curve.points.push(CurvePoint {
            segment,
            run_uid: run.to_owned(),
            kind: PointKind::Step,
            step: Some(row.step),
            tokens: at,
            train_loss: row.train_loss,
            value: row.value,
        });
    }
    if untokened > 0 {
        curve.notes.push(format!(
            "{run}: {untokened} of {} steps log no total_tokens and the run has no \
             tokens_per_step; they sit where the run had got to",
            axis.len()
        ));
    }
    let end = offset + done;
    for e in &input.evals {
        if e.step.is_some_and(|s| !within(s)) {
            continue;
        }
        let tokens = match e.step {
            Some(s) => axis
                .iter()
                .rev()
                .find(|(a, _)| *a <= s)
                .map_or(offset, |(_, t)| *t),
            None => end,
        };
        curve.points.push(CurvePoint {
            segment,
            run_uid: run.to_owned(),
            kind: PointKind::Eval,
            step: e.step,
            tokens,
            train_loss: None,
            value: e.value,
        });
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(step: i64, tokens: Option<f64>) -> LoggedRow {
        LoggedRow {
            step,
            tokens,
            ..LoggedRow::default()
        }
    }

    /// A point as `(segment, kind, step, tokens, value)`.
    type Seen<'a> = (usize, &'a str, Option<i64>, f64, Option<f64>);

    /// 4M: 32 sequences of 2048 tokens a step.
    const PER_STEP: f64 = 32.0 * 2048.0;

    #[test]
    fn segments_start_where_their_parent_stopped() {
        let root = SegmentInput {
            run_uid: "dd/dolma1_7/4M/default".into(),
            phase: "pretrain".into(),
            is_root: true,
            stop_step: Some(5725),
            rows: vec![
                row(1250, None),
                row(5000, Some(5000.0 * PER_STEP)),
                row(6000, None),
            ],
            evals: vec![
                EvalValue {
                    step: Some(5000),
                    value: Some(0.25),
                },
                EvalValue {
                    step: Some(2500),
                    value: Some(0.2),
                },
            ],
            ..SegmentInput::default()
        };
        let sft = SegmentInput {
            run_uid: "wandb/e/p/sft".into(),
            phase: "sft".into(),
            stop_step: Some(20),
            tokens_per_step: Some(10),
            rows: vec![row(20, None), row(10, Some(50.0)), row(30, Some(300.0))],
            evals: vec![
                EvalValue {
                    step: Some(15),
                    value: Some(0.3),
                },
                EvalValue {
                    step: Some(40),
                    value: Some(0.9),
                },
            ],
            ..SegmentInput::default()
        };
        let dpo = SegmentInput {
            run_uid: "wandb/e/p/dpo".into(),
            phase: "dpo".into(),
            rows: vec![row(1, Some(7.0))],
            evals: vec![EvalValue {
                step: None,
                value: Some(0.4),
            }],
            ..SegmentInput::default()
        };
        let curve = build_curve(&[root, sft, dpo]);
        let got: Vec<Seen> = curve
            .points
            .iter()
            .map(|p| (p.segment, p.kind.as_str(), p.step, p.tokens, p.value))
            .collect();
        let start = 5725.0 * PER_STEP;
        assert_eq!(
            got,
            vec![
                (0, "checkpoint", Some(1250), 1250.0 * PER_STEP, None),
                (0, "eval", Some(2500), 2500.0 * PER_STEP, Some(0.2)),
                (0, "checkpoint", Some(5000), 5000.0 * PER_STEP, Some(0.25)),
                (1, "step", Some(10), start + 50.0, None),
                (1, "eval", Some(15), start + 50.0, Some(0.3)),
                (1, "step", Some(20), start + 200.0, None),
                (2, "step", Some(1), start + 207.0, None),
                (2, "eval", None, start + 207.0, Some(0.4)),
            ]
        );
        let ends: Vec<(f64, f64)> = curve.segments.iter().map(|s| (s.start, s.end)).collect();
        assert_eq!(
            ends,
            vec![
                (0.0, start),
                (start, start + 200.0),
                (start + 200.0, start + 207.0)
            ]
        );
        assert!(curve.notes.is_empty(), "{:?}", curve.notes);
    }

    #[test]
    fn an_unrooted_chain_starts_at_zero_with_a_note() {
        let curve = build_curve(&[SegmentInput {
            run_uid: "wandb/e/p/orphan".into(),
            phase: "dpo".into(),
            rows: vec![row(1, None), row(2, Some(4.0))],
            ..SegmentInput::default()
        }]);
        let tokens: Vec<f64> = curve.points.iter().map(|p| p.tokens).collect();
        assert_eq!(tokens, vec![0.0, 4.0]);
        assert_eq!(curve.notes.len(), 2, "{:?}", curve.notes);
        assert!(curve.notes[0].contains("no resolved pretraining parent"));
        assert!(curve.notes[1].contains("1 of 2 steps"));
    }
}
