//! The continuous curve of post-training runs: their pretraining checkpoints up to the step
//! they started from, then post-training, on one cumulative-tokens axis.

use std::collections::{BTreeMap, HashSet};

use runlake_format::tables::Relation;

use crate::data::{CkptRow, Edge, EvalRow, LakeData, RunRow, StepRow};
use crate::error::{PlotError, Result};
use crate::palette;
use crate::plot::{Axis, Dash, LegendEntry, Marker, Plot, Series, Style};
use crate::scale::ScaleKind;
use crate::units::Unit;

/// What the y axis shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YSpec {
    /// A metric of a task from `evals`: `primary` (the primary score), a metric column such as
    /// `acc_per_char`, or an `extra_metrics` key.
    Eval {
        /// Canonical task, e.g. `arc_challenge`.
        task: String,
        /// Metric name.
        metric: String,
    },
    /// A training-log column: `train_loss` (pretraining and post-training), or any
    /// post-training step column or `extra_metrics` key.
    Train(String),
}

impl YSpec {
    /// The axis label.
    pub fn label(&self, primary_name: Option<&str>) -> String {
        match self {
            YSpec::Eval { task, metric } if metric == "primary" || metric == "primary_score" => {
                match primary_name {
                    Some(p) => format!("{task}: primary score ({p})"),
                    None => format!("{task}: primary score"),
                }
            }
            YSpec::Eval { task, metric } => format!("{task}: {metric}"),
            YSpec::Train(c) if c == "train_loss" => "Training loss".to_owned(),
            YSpec::Train(c) => c.clone(),
        }
    }
}

/// Options of [`plot_curve`].
#[derive(Debug, Clone, PartialEq)]
pub struct CurveOptions {
    /// Scale of the tokens axis; log by default since pretraining dwarfs post-training.
    pub x_scale: ScaleKind,
    /// Give post-training its own linear part of the tokens axis (right of the boundary) when
    /// all runs leave pretraining at the same point and post-training is short next to it.
    pub zoom_post_training: bool,
}

impl Default for CurveOptions {
    fn default() -> Self {
        CurveOptions {
            x_scale: ScaleKind::Log,
            zoom_post_training: true,
        }
    }
}

/// Everything a curve is built from (read by [`LakeData`]).
#[derive(Debug, Clone, Default)]
pub struct CurveInput {
    /// Runs (`metadata`).
    pub runs: Vec<RunRow>,
    /// Resolved lineage edges.
    pub edges: Vec<Edge>,
    /// Pretraining checkpoints.
    pub ckpts: Vec<CkptRow>,
    /// Post-training steps, with the y column as value when y is a training column.
    pub steps: Vec<StepRow>,
    /// Evals of the task, with the metric as value (empty when y is a training column).
    pub evals: Vec<EvalRow>,
}

/// Reads the lake and draws the curve of `runs` (uids, or run ids / names naming one run).
pub async fn plot_curve(
    lake: &runlake_lake::Lake,
    runs: &[&str],
    y: &YSpec,
    opts: &CurveOptions,
) -> Result<Plot> {
    let data = LakeData::latest(lake).await?;
    let column = match y {
        YSpec::Train(c) => c.as_str(),
        YSpec::Eval { .. } => "train_loss",
    };
    let input = CurveInput {
        runs: data.runs().await?,
        edges: data.edges().await?,
        ckpts: data.ckpts().await?,
        steps: data.steps(column).await?,
        evals: match y {
            YSpec::Eval { task, metric } => data.evals(task, metric).await?,
            YSpec::Train(_) => Vec::new(),
        },
    };
    build_curve(&input, runs, y, opts)
}

/// Finds the uid a user's name for a run means: a uid, a unique `/suffix` of one, or a unique
/// run name.
pub fn resolve_run(runs: &[RunRow], name: &str) -> Result<String> {
    if runs.iter().any(|r| r.run_uid == name) {
        return Ok(name.to_owned());
    }
    let suffix = format!("/{name}");
    let mut hits: Vec<String> = runs
        .iter()
        .filter(|r| r.run_uid.ends_with(&suffix) || r.run_name.as_deref() == Some(name))
        .map(|r| r.run_uid.clone())
        .collect();
    hits.sort();
    hits.dedup();
    match hits.len() {
        0 => Err(PlotError::UnknownRun(name.to_owned())),
        1 => Ok(hits.remove(0)),
        _ => Err(PlotError::AmbiguousRun {
            name: name.to_owned(),
            candidates: hits,
        }),
    }
}

/// A run's chain: the pretraining checkpoint it grew from, then its post-training runs from the
/// oldest to itself.
struct Chain {
    root: Option<(String, Option<i64>)>,
    posts: Vec<String>,
}

fn chain_of(run: &str, input: &CurveInput) -> Chain {
    let pretrain: HashSet<&str> = input
        .runs
        .iter()
        .filter(|r| r.phase == "pretrain")
        .map(|r| r.run_uid.as_str())
        .chain(input.ckpts.iter().map(|c| c.run_uid.as_str()))
        .collect();
    let mut posts = vec![run.to_owned()];
    let mut seen = HashSet::from([run.to_owned()]);
    let mut current = run.to_owned();
    let root = loop {
        // Same-name links (resumed_from, duplicate_of) do not change what the run started from.
        let Some(edge) = input.edges.iter().find(|e| {
            e.child == current
                && matches!(
                    Relation::parse(&e.relation),
                    Some(Relation::FinetuneOf | Relation::DpoOf)
                )
        }) else {
            break None;
        };
        if pretrain.contains(edge.parent.as_str()) || edge.parent_step.is_some() {
            break Some((edge.parent.clone(), edge.parent_step));
        }
        if !seen.insert(edge.parent.clone()) {
            break None;
        }
        posts.push(edge.parent.clone());
        current = edge.parent.clone();
    };
    posts.reverse();
    Chain { root, posts }
}

/// Builds the curve from rows: one pretraining series per distinct parent checkpoint, one
/// series per requested run (starting at its parent's last point so the line is continuous), and
/// a marker where each post-training phase starts.
pub fn build_curve(
    input: &CurveInput,
    runs: &[&str],
    y: &YSpec,
    opts: &CurveOptions,
) -> Result<Plot> {
    if runs.is_empty() {
        return Err(PlotError::Invalid(
            "name at least one post-training run".into(),
        ));
    }
    let mut notes = Vec::new();
    let mut pre_series: Vec<Series> = Vec::new();
    let mut post_series: Vec<Series> = Vec::new();
    let mut markers: Vec<Marker> = Vec::new();
    let log = opts.x_scale == ScaleKind::Log;
    let keep = |x: f64, y: f64, what: &str, notes: &mut Vec<String>| -> bool {
        if !y.is_finite() {
            notes.push(format!("{what}: value {y} is not a number, left out"));
            false
        } else if log && x <= 0.0 {
            notes.push(format!(
                "{what}: at {x} tokens, cannot be shown on a log axis, left out"
            ));
            false
        } else {
            true
        }
    };
    let training_type = |uid: &str| {
        input
            .runs
            .iter()
            .find(|r| r.run_uid == uid)
            .map_or("post-training", |r| r.training_type.as_str())
    };
    let mut primary_name = None;
    // Where each run's first post-training phase starts (pretraining tokens at its parent).
    let mut roots_at: Vec<f64> = Vec::new();

    for (k, name) in runs.iter().enumerate() {
        let uid = resolve_run(&input.runs, name)?;
        let chain = chain_of(&uid, input);
        let mut offset = 0.0;
        let mut junction = None;
        match &chain.root {
            None => notes.push(format!(
                "{uid}: no resolved pretraining parent; post-training drawn from 0 tokens"
            )),
            Some((parent, step)) => {
                let tokens_at: BTreeMap<i64, f64> = input
                    .ckpts
                    .iter()
                    .filter(|c| &c.run_uid == parent)
                    .filter_map(|c| {
                        c.tokens
                            .or(c.tokens_expected)
                            .or_else(|| runlake_vocab::scheduled_tokens(parent, c.step))
                            .map(|t| (c.step, t as f64))
                    })
                    .collect();
                let step = match step {
                    Some(s) => *s,
                    None => {
                        let last = tokens_at.keys().next_back().copied().ok_or_else(|| {
                            PlotError::Empty(format!("pretraining run {parent} has no checkpoints"))
                        })?;
                        notes.push(format!(
                            "{uid}: parent step unknown; using {parent}'s last checkpoint, step {last}"
                        ));
                        last
                    }
                };
                // The child starts at its checkpoint's tokens; when the lake holds no tokens
                // for that exact step (only neighbouring checkpoints), the size's schedule
                // says where it is.
                offset = tokens_at
                    .get(&step)
                    .copied()
                    .or_else(|| runlake_vocab::scheduled_tokens(parent, step).map(|t| t as f64))
                    .ok_or_else(|| {
                        PlotError::Empty(format!(
                            "{parent} has no tokens for step {step}, where {uid} starts"
                        ))
                    })?;
                let mut points: Vec<(i64, f64, f64)> = match y {
                    YSpec::Train(c) if c == "train_loss" => input
                        .ckpts
                        .iter()
                        .filter(|r| &r.run_uid == parent && r.step <= step)
                        .filter_map(|r| r.train_loss.map(|v| (r.step, v)))
                        .filter_map(|(s, v)| tokens_at.get(&s).map(|t| (s, *t, v)))
                        .collect(),
                    YSpec::Train(c) => {
                        notes.push(format!(
                            "pretraining checkpoints have no `{c}`; pretraining part left out"
                        ));
                        Vec::new()
                    }
                    YSpec::Eval { .. } => {
                        let rows = pick_sources(
                            input.evals.iter().filter(|e| {
                                &e.run_uid == parent
                                    && e.phase == "pretrain"
                                    && e.step.is_some_and(|s| s <= step)
                            }),
                            &mut notes,
                        );
                        let mut pts = Vec::new();
                        for e in rows {
                            let s = e.step.unwrap_or_default();
                            primary_name = primary_name.or(e.primary_metric_name.clone());
                            match (tokens_at.get(&s), e.value) {
                                (Some(t), Some(v)) => pts.push((s, *t, v)),
                                (None, _) => notes.push(format!(
                                    "{parent} step {s}: no tokens in pretrain_ckpts, eval left out"
                                )),
                                (_, None) => notes
                                    .push(format!("{parent} step {s}: metric missing, left out")),
                            }
                        }
                        pts
                    }
                };
                points.sort_by_key(|p| p.0);
                points.retain(|(s, x, v)| keep(*x, *v, &format!("{parent} step {s}"), &mut notes));
                junction = points.last().map(|p| (p.1, p.2));
                let label = format!("{parent} @ step {step}");
                if !pre_series.iter().any(|s| s.label == label) {
                    pre_series.push(Series {
                        group: label.clone(),
                        label,
                        points: points.iter().map(|p| (p.1, p.2)).collect(),
                        // Several parents: told apart by pattern, all in the neutral grey.
                        style: Style {
                            color: palette::PRETRAIN.to_owned(),
                            dash: [Dash::Solid, Dash::Dashed, Dash::Dotted][pre_series.len() % 3],
                        },
                    });
                }
            }
        }

        if chain.root.is_some() {
            roots_at.push(offset);
        }
        let mut points: Vec<(f64, f64)> = junction.into_iter().collect();
        for (j, post) in chain.posts.iter().enumerate() {
            if chain.root.is_some() || j > 0 {
                let label = format!("{} starts", training_type(post));
                if !markers.iter().any(|m| m.x == offset && m.label == label) {
                    markers.push(Marker { x: offset, label });
                }
            }
            let mut steps: Vec<&StepRow> = input
                .steps
                .iter()
                .filter(|s| &s.run_uid == post && s.variant == 0)
                .collect();
            steps.sort_by_key(|s| s.step);
            let tokens_at: BTreeMap<i64, f64> = steps
                .iter()
                .filter_map(|s| s.total_tokens.map(|t| (s.step, t)))
                .collect();
            let end = tokens_at.values().copied().fold(0.0, f64::max);
            match y {
                YSpec::Train(c) => {
                    for s in &steps {
                        let what = format!("{post} step {}", s.step);
                        match (s.total_tokens, s.value) {
                            (Some(t), Some(v)) if keep(offset + t, v, &what, &mut notes) => {
                                points.push((offset + t, v));
                            }
                            (None, Some(_)) => {
                                notes.push(format!("{what}: no total_tokens, `{c}` left out"));
                            }
                            _ => {}
                        }
                    }
                }
                YSpec::Eval { .. } => {
                    let rows = pick_sources(
                        input
                            .evals
                            .iter()
                            .filter(|e| &e.run_uid == post && e.phase == "posttrain"),
                        &mut notes,
                    );
                    let mut pts = Vec::new();
                    for e in rows {
                        primary_name = primary_name.or(e.primary_metric_name.clone());
                        let Some(v) = e.value else {
                            notes.push(format!("{post}: metric missing in a {} row", e.source));
                            continue;
                        };
                        // Evals not tied to a step (final summaries) belong at the run's end.
                        let t = match e.step {
                            Some(s) => match tokens_at.get(&s) {
                                Some(t) => *t,
                                None => {
                                    notes.push(format!(
                                        "{post} step {s}: no total_tokens logged, eval left out"
                                    ));
                                    continue;
                                }
                            },
                            None => end,
                        };
                        if keep(offset + t, v, &format!("{post} eval"), &mut notes) {
                            pts.push((offset + t, v));
                        }
                    }
                    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                    points.extend(pts);
                }
            }
            if tokens_at.is_empty() {
                notes.push(format!(
                    "{post}: no total_tokens logged; its length is unknown"
                ));
            }
            offset += end;
        }
        let run = input.runs.iter().find(|r| r.run_uid == uid);
        let label = run
            .and_then(|r| r.run_name.clone())
            .unwrap_or_else(|| uid.clone());
        post_series.push(Series {
            group: label.clone(),
            label,
            points,
            style: Style {
                color: palette::color(k).to_owned(),
                dash: palette::dash_for(k),
            },
        });
    }

    let series: Vec<Series> = pre_series.into_iter().chain(post_series).collect();
    if series.iter().all(|s| s.points.is_empty()) {
        return Err(PlotError::Empty(format!(
            "no {} values for the chosen runs",
            y.label(None)
        )));
    }
    let legend = series
        .iter()
        .map(|s| LegendEntry {
            label: s.label.clone(),
            style: s.style.clone(),
        })
        .collect();
    let y_label = y.label(primary_name.as_deref());
    // Post-training is short next to pretraining (100M tokens after 50B): give it its own part
    // of the axis when every run leaves pretraining at the same point.
    let mut break_at = None;
    if opts.zoom_post_training {
        let starts = &roots_at;
        let first = starts.first().copied();
        let max_x = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .fold(f64::NEG_INFINITY, f64::max);
        if let Some(at) = first
            && starts.iter().all(|s| *s == at)
            && at > 0.0
            && max_x > at
            && max_x - at < 0.2 * at
        {
            break_at = Some(at);
        } else if starts.len() > 1 && starts.iter().any(|s| Some(*s) != first) {
            notes.push(
                "runs leave pretraining at different tokens; post-training is not zoomed".into(),
            );
        }
    }
    Ok(Plot {
        title: format!("{y_label} over pretraining and post-training"),
        x: Axis {
            label: "Tokens (pretraining + post-training)".to_owned(),
            scale: opts.x_scale,
            unit: Unit::Tokens,
            break_at,
        },
        y: Axis::linear(y_label),
        series,
        bands: Vec::new(),
        markers,
        legend_title: None,
        legend,
        notes,
    })
}

/// One eval row per step: when several sources report the same step, the first source in the
/// spec's precedence (`runlake_vocab::EVAL_SOURCE_PRECEDENCE`) wins and the others are noted.
pub(crate) fn pick_sources<'r>(
    rows: impl Iterator<Item = &'r EvalRow>,
    notes: &mut Vec<String>,
) -> Vec<&'r EvalRow> {
    let mut by_step: BTreeMap<(String, Option<i64>), Vec<&EvalRow>> = BTreeMap::new();
    for r in rows {
        by_step
            .entry((r.run_uid.clone(), r.step))
            .or_default()
            .push(r);
    }
    let mut out = Vec::new();
    for ((run, step), mut rows) in by_step {
        // The spec's total precedence over eval sources, as the reader applies it.
        rows.sort_by(|a, b| {
            runlake_vocab::source_rank(&a.source).cmp(&runlake_vocab::source_rank(&b.source))
        });
        if rows.len() > 1 {
            let others: Vec<&str> = rows[1..].iter().map(|r| r.source.as_str()).collect();
            notes.push(format!(
                "{run} step {}: several sources; used {}, not {}",
                step.map_or("none".to_owned(), |s| s.to_string()),
                rows[0].source,
                others.join(", ")
            ));
        }
        out.push(rows[0]);
    }
    out
}
