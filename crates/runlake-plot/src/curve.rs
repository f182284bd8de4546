//! The continuous curve of post-training runs: their pretraining checkpoints up to the step
//! they started from, then post-training, on one cumulative-tokens axis. The points are the
//! reader's ([`DataDecide::chain_curve`]); this file only turns them into series.

use runlake_domain::PointKind;
use runlake_format::tables::TrainingType;
use runlake_reader::{ChainCurve, CurveValue, DataDecide, LakeReader};

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

/// Reads the lake and draws the curve of `runs` (uids, run ids or run names).
pub async fn plot_curve(
    lake: &runlake_lake::Lake,
    runs: &[&str],
    y: &YSpec,
    opts: &CurveOptions,
) -> Result<Plot> {
    let dd = DataDecide::new(LakeReader::open(lake, None).await?);
    let value = match y {
        YSpec::Eval { task, metric } => CurveValue::Eval {
            task: task.clone(),
            metric: metric.clone(),
        },
        YSpec::Train(column) => CurveValue::Train(column.clone()),
    };
    let mut curves = Vec::with_capacity(runs.len());
    for run in runs {
        curves.push(dd.chain_curve(run, &value).await?);
    }
    build_curve(&curves, y, opts)
}

/// Draws the reader's curves: one pretraining series per distinct parent checkpoint, one
/// series per post-training run (starting at the previous run's last point so the line is
/// continuous; a chain's runs share its colour, SFT solid and DPO dashed), and a marker where
/// each post-training phase starts.
pub fn build_curve(curves: &[ChainCurve], y: &YSpec, opts: &CurveOptions) -> Result<Plot> {
    if curves.is_empty() {
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
    let mut primary_name = None;
    // Where each run's first post-training phase starts (pretraining tokens at its parent).
    let mut roots_at: Vec<f64> = Vec::new();

    for (k, chain) in curves.iter().enumerate() {
        notes.extend(chain.curve.notes.iter().cloned());
        primary_name = primary_name.or(chain.primary_metric_name.clone());
        let segments = &chain.curve.segments;
        let root = segments.first().filter(|s| s.is_root);
        let mut junction = None;
        if let Some(root) = root {
            let mut points = Vec::new();
            let mut last_step = None;
            for p in chain.curve.points.iter().filter(|p| p.segment == 0) {
                last_step = p.step.or(last_step);
                let what = format!("{} step {}", root.run_uid, p.step.unwrap_or_default());
                if let Some(v) = p.value
                    && keep(p.tokens, v, &what, &mut notes)
                {
                    points.push((p.tokens, v));
                }
            }
            junction = points.last().copied();
            let step = root
                .stop_step
                .or(last_step)
                .map_or_else(|| "?".to_owned(), |s| s.to_string());
            let label = format!("{} @ step {step}", root.run_uid);
            if !pre_series.iter().any(|s| s.label == label) {
                pre_series.push(Series {
                    group: label.clone(),
                    label,
                    points,
                    // Several parents: told apart by pattern, all in the neutral grey.
                    style: Style {
                        color: palette::PRETRAIN.to_owned(),
                        dash: [Dash::Solid, Dash::Dashed, Dash::Dotted][pre_series.len() % 3],
                    },
                });
            }
        }
        let first_post = usize::from(root.is_some());
        if root.is_some()
            && let Some(s) = segments.get(first_post)
        {
            roots_at.push(s.start);
        }
        for (j, seg) in segments.iter().enumerate().skip(first_post) {
            if root.is_some() || j > first_post {
                let label = format!("{} starts", seg.phase);
                if !markers.iter().any(|m| m.x == seg.start && m.label == label) {
                    markers.push(Marker {
                        x: seg.start,
                        label,
                    });
                }
            }
        }
        // One series per post-training run, in the chain's colour and its phase's pattern,
        // each starting where the previous one ends so the line is continuous.
        for (j, seg) in segments.iter().enumerate().skip(first_post) {
            let mut points: Vec<(f64, f64)> = junction.into_iter().collect();
            for p in chain.curve.points.iter().filter(|p| p.segment == j) {
                let what = match p.step {
                    Some(s) => format!("{} step {s}", p.run_uid),
                    None => format!("{} eval", p.run_uid),
                };
                match p.value {
                    Some(v) if keep(p.tokens, v, &what, &mut notes) => points.push((p.tokens, v)),
                    None if p.kind == PointKind::Eval => {
                        notes.push(format!("{what}: metric missing, left out"));
                    }
                    _ => {}
                }
            }
            junction = points.last().copied().or(junction);
            let name = seg.run_name.clone().unwrap_or_else(|| seg.run_uid.clone());
            // The phase first: legends shorten long run names from the end.
            let label = format!("{}: {name}", seg.phase.to_uppercase());
            // A run shared by several chains (an SFT run and its DPO children) is drawn once.
            if post_series.iter().any(|s| s.label == label) {
                continue;
            }
            post_series.push(Series {
                group: label.clone(),
                label,
                points,
                style: Style {
                    color: palette::color(k).to_owned(),
                    dash: phase_dash(&seg.phase),
                },
            });
        }
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
        .filter(|s| !s.points.is_empty())
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

/// The line pattern of a post-training phase: SFT solid, DPO dashed, anything else dotted, so
/// the phases of one chain (one colour) stay apart.
fn phase_dash(phase: &str) -> Dash {
    match TrainingType::posttrain(phase) {
        TrainingType::Sft => Dash::Solid,
        TrainingType::Dpo => Dash::Dashed,
        TrainingType::Pretrain | TrainingType::Other => Dash::Dotted,
    }
}
