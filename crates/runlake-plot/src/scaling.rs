//! DataDecide-style scaling plots: a pretraining metric against tokens or compute, one line per
//! recipe, the mean over seeds with a band for their spread.

use std::collections::{BTreeMap, BTreeSet};

use runlake_format::tables::Phase;

use crate::data::{CkptRow, EvalRow, LakeData};
use crate::error::{PlotError, Result};
use crate::palette;
use crate::plot::{Axis, Band, LegendEntry, Plot, Series, Style};
use crate::scale::ScaleKind;
use crate::sources::pick_sources;
use crate::units::Unit;
pub use runlake_vocab::FinalRule;

/// The x axis of a scaling plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScalingX {
    /// Tokens seen.
    #[default]
    Tokens,
    /// Training FLOPs.
    Compute,
}

/// Options of [`plot_scaling`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScalingOptions {
    /// Recipes to draw (canonical names); empty draws every recipe.
    pub recipes: Vec<String>,
    /// Sizes to draw (`150M`, `1B`); empty draws every size.
    pub sizes: Vec<String>,
    /// Tokens or compute.
    pub x: ScalingX,
    /// Scale of x; log by default (`None`).
    pub x_scale: Option<ScaleKind>,
    /// Only each size's final checkpoint: one point per size, so each recipe is one line across
    /// sizes. Otherwise every checkpoint, one line per recipe and size.
    pub final_only: bool,
    /// How `final_only` picks each recipe x size's final checkpoint: datadec's
    /// `MAX_STEP_TO_USE` by default (seeds without a value there are left out, with a note),
    /// or each seed's own last step.
    pub final_rule: FinalRule,
}

/// Reads the lake and draws `metric` of `task` for pretraining runs.
pub async fn plot_scaling(
    lake: &runlake_lake::Lake,
    task: &str,
    metric: &str,
    opts: &ScalingOptions,
) -> Result<Plot> {
    let data = LakeData::latest(lake).await?;
    let evals = data.evals(task, metric).await?;
    let ckpts = data.ckpts().await?;
    build_scaling(&evals, &ckpts, task, metric, opts)
}

/// (recipe, size, seed).
type RunKey = (String, String, String);
/// (x, y) of one seed.
type XY = (f64, f64);

/// `150M` → 1.5e8, for ordering sizes by parameters.
fn size_order(size: &str) -> f64 {
    let (num, mult) = match size.chars().last() {
        Some('K') => (&size[..size.len() - 1], 1e3),
        Some('M') => (&size[..size.len() - 1], 1e6),
        Some('B') => (&size[..size.len() - 1], 1e9),
        _ => (size, 1.0),
    };
    num.parse::<f64>().map_or(f64::MAX, |n| n * mult)
}

/// A recipe's canonical slug where the vocabulary knows the spelling, else the spelling.
fn recipe_key(r: &str) -> String {
    runlake_vocab::Recipe::parse(r).map_or_else(|_| r.to_owned(), |r| r.slug.to_owned())
}

/// A size's label where the vocabulary knows it in any case, else the spelling.
fn size_key(s: &str) -> String {
    runlake_vocab::Size::parse_any_case(s).map_or_else(|_| s.to_owned(), |s| s.label.to_owned())
}

/// One seed's drawable points by step.
type SeedSteps<'a> = (&'a String, &'a BTreeMap<i64, XY>);

/// The step each seed is drawn at when only final checkpoints are drawn; a seed without one is
/// left out with a note, and seeds are never silently drawn at different steps.
fn final_steps(
    runs: &BTreeMap<RunKey, BTreeMap<i64, XY>>,
    rule: FinalRule,
    notes: &mut Vec<String>,
) -> BTreeMap<RunKey, i64> {
    let mut by_cell: BTreeMap<(&String, &String), Vec<SeedSteps<'_>>> = BTreeMap::new();
    for ((recipe, size, seed), steps) in runs {
        by_cell
            .entry((recipe, size))
            .or_default()
            .push((seed, steps));
    }
    let mut out = BTreeMap::new();
    for ((recipe, size), seeds) in by_cell {
        let key = |seed: &String| (recipe.clone(), size.clone(), seed.clone());
        match rule {
            FinalRule::MaxStepToUse => {
                let Ok(cap) = runlake_vocab::Size::parse_any_case(size) else {
                    notes.push(format!(
                        "{recipe} {size}: no MAX_STEP_TO_USE for this size, left out"
                    ));
                    continue;
                };
                let cap = i64::try_from(cap.max_step_to_use).unwrap_or(i64::MAX);
                let Some(step) = seeds
                    .iter()
                    .filter_map(|(_, steps)| steps.range(..=cap).next_back().map(|(s, _)| *s))
                    .max()
                else {
                    notes.push(format!(
                        "{recipe} {size}: no value at or below MAX_STEP_TO_USE {cap}, left out"
                    ));
                    continue;
                };
                for (seed, steps) in seeds {
                    if steps.contains_key(&step) {
                        out.insert(key(seed), step);
                    } else {
                        notes.push(format!(
                            "{recipe} {size} seed {seed}: no value at the final step {step} \
                             (MAX_STEP_TO_USE {cap}), left out"
                        ));
                    }
                }
            }
            FinalRule::PerSeedLast => {
                let lasts: Vec<(&String, i64)> = seeds
                    .iter()
                    .filter_map(|(seed, steps)| steps.keys().next_back().map(|s| (*seed, *s)))
                    .collect();
                if lasts.windows(2).any(|w| w[0].1 != w[1].1) {
                    let list: Vec<String> = lasts
                        .iter()
                        .map(|(seed, s)| format!("{seed} at {s}"))
                        .collect();
                    notes.push(format!(
                        "{recipe} {size}: seeds' last steps differ ({}), drawn as their mean",
                        list.join(", ")
                    ));
                }
                for (seed, step) in lasts {
                    out.insert(key(seed), step);
                }
            }
        }
    }
    out
}

/// Builds the scaling plot from rows.
pub fn build_scaling(
    evals: &[EvalRow],
    ckpts: &[CkptRow],
    task: &str,
    metric: &str,
    opts: &ScalingOptions,
) -> Result<Plot> {
    let mut notes = Vec::new();
    let x_scale = opts.x_scale.unwrap_or(ScaleKind::Log);
    let ckpt: BTreeMap<(&str, i64), &CkptRow> = ckpts
        .iter()
        .map(|c| ((c.run_uid.as_str(), c.step), c))
        .collect();
    // Any known spelling selects, in the lake's values or the options' (`Dolma1.7`, `150m`).
    let recipes: Vec<String> = opts.recipes.iter().map(|r| recipe_key(r)).collect();
    let sizes: Vec<String> = opts.sizes.iter().map(|s| size_key(s)).collect();
    let wanted = |v: &Option<String>, list: &[String], key: fn(&str) -> String| {
        list.is_empty() || v.as_ref().is_some_and(|v| list.contains(&key(v)))
    };
    let rows = pick_sources(
        evals.iter().filter(|e| {
            e.phase == Phase::Pretrain.as_str()
                && e.step.is_some()
                && wanted(&e.recipe, &recipes, recipe_key)
                && wanted(&e.size, &sizes, size_key)
        }),
        &mut notes,
    );
    // (recipe, size, seed) -> step -> (x, y)
    let mut runs: BTreeMap<RunKey, BTreeMap<i64, (f64, f64)>> = BTreeMap::new();
    let mut primary_name = None;
    for e in rows {
        let step = e.step.unwrap_or_default();
        let what = format!("{} step {step}", e.run_uid);
        let (Some(recipe), Some(size)) = (&e.recipe, &e.size) else {
            notes.push(format!("{what}: no recipe or size, left out"));
            continue;
        };
        let Some(c) = ckpt.get(&(e.run_uid.as_str(), step)) else {
            notes.push(format!("{what}: no pretraining checkpoint row, left out"));
            continue;
        };
        let x = match opts.x {
            ScalingX::Tokens => c.tokens.or(c.tokens_expected).map(|t| t as f64),
            ScalingX::Compute => c.compute,
        };
        let (Some(x), Some(y)) = (x, e.value) else {
            notes.push(format!("{what}: x or metric missing, left out"));
            continue;
        };
        if !y.is_finite() || (x_scale == ScaleKind::Log && x <= 0.0) {
            notes.push(format!("{what}: ({x}, {y}) cannot be drawn, left out"));
            continue;
        }
        primary_name = primary_name.or(e.primary_metric_name.clone());
        let seed = e.seed.clone().unwrap_or_else(|| e.run_uid.clone());
        runs.entry((recipe.clone(), size.clone(), seed))
            .or_default()
            .insert(step, (x, y));
    }
    if runs.is_empty() {
        return Err(PlotError::Empty(format!(
            "no pretraining `{metric}` values of `{task}` for the chosen recipes and sizes"
        )));
    }
    let recipes: BTreeSet<&String> = runs.keys().map(|k| &k.0).collect();
    let color_of: BTreeMap<&String, usize> =
        recipes.iter().enumerate().map(|(i, r)| (*r, i)).collect();
    // Group key -> x-position key -> values over seeds.
    let mut groups: BTreeMap<(String, String), BTreeMap<i64, Vec<XY>>> = BTreeMap::new();
    let finals = if opts.final_only {
        final_steps(&runs, opts.final_rule, &mut notes)
    } else {
        BTreeMap::new()
    };
    for ((recipe, size, seed), steps) in &runs {
        if opts.final_only {
            let Some(&step) = finals.get(&(recipe.clone(), size.clone(), seed.clone())) else {
                continue;
            };
            if let Some(xy) = steps.get(&step) {
                // One line per recipe across sizes; sizes ordered by parameters.
                let key = (size_order(size) * 1e3) as i64;
                groups
                    .entry((recipe.clone(), String::new()))
                    .or_default()
                    .entry(key)
                    .or_default()
                    .push(*xy);
            }
        } else {
            for (step, xy) in steps {
                groups
                    .entry((recipe.clone(), size.clone()))
                    .or_default()
                    .entry(*step)
                    .or_default()
                    .push(*xy);
            }
        }
    }
    let mut ordered: Vec<_> = groups.into_iter().collect();
    ordered.sort_by(|a, b| {
        (&a.0.0, size_order(&a.0.1))
            .partial_cmp(&(&b.0.0, size_order(&b.0.1)))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut series = Vec::new();
    let mut bands = Vec::new();
    for ((recipe, size), points) in ordered {
        let i = color_of.get(&recipe).copied().unwrap_or_default();
        let style = Style {
            color: palette::color(i).to_owned(),
            dash: palette::dash_for(i),
        };
        let mut line = Vec::new();
        let mut band = Vec::new();
        for vals in points.values() {
            let n = vals.len() as f64;
            let x = vals.iter().map(|v| v.0).sum::<f64>() / n;
            let y = vals.iter().map(|v| v.1).sum::<f64>() / n;
            line.push((x, y));
            if vals.len() > 1 {
                let lo = vals.iter().map(|v| v.1).fold(f64::INFINITY, f64::min);
                let hi = vals.iter().map(|v| v.1).fold(f64::NEG_INFINITY, f64::max);
                band.push((x, lo, hi));
            }
        }
        line.sort_by(|a, b| a.0.total_cmp(&b.0));
        band.sort_by(|a, b| a.0.total_cmp(&b.0));
        let label = if size.is_empty() {
            recipe.clone()
        } else {
            format!("{recipe} {size}")
        };
        if !band.is_empty() {
            bands.push(Band {
                label: label.clone(),
                points: band,
                color: style.color.clone(),
            });
        }
        series.push(Series {
            label,
            group: recipe.clone(),
            points: line,
            style,
        });
    }
    let legend = recipes
        .iter()
        .map(|r| {
            let i = color_of.get(r).copied().unwrap_or_default();
            LegendEntry {
                label: (*r).clone(),
                style: Style {
                    color: palette::color(i).to_owned(),
                    dash: palette::dash_for(i),
                },
            }
        })
        .collect();
    let y_label = crate::curve::YSpec::Eval {
        task: task.to_owned(),
        metric: metric.to_owned(),
    }
    .label(primary_name.as_deref());
    let sizes: BTreeSet<&String> = runs.keys().map(|k| &k.1).collect();
    let mut sizes: Vec<&String> = sizes.into_iter().collect();
    sizes.sort_by(|a, b| size_order(a).total_cmp(&size_order(b)));
    let sizes: Vec<&str> = sizes.iter().map(|s| s.as_str()).collect();
    let (x_label, unit, x_word) = match opts.x {
        ScalingX::Tokens => ("Tokens", Unit::Tokens, "tokens"),
        ScalingX::Compute => ("Compute (FLOPs)", Unit::Flops, "compute"),
    };
    Ok(Plot {
        title: format!(
            "{y_label} vs {x_word}{} ({}; mean over seeds, band = min-max)",
            if opts.final_only {
                match opts.final_rule {
                    FinalRule::MaxStepToUse => " at final checkpoints (MAX_STEP_TO_USE)",
                    FinalRule::PerSeedLast => " at each seed's last checkpoint",
                }
            } else {
                ""
            },
            sizes.join(", ")
        ),
        x: Axis {
            label: x_label.to_owned(),
            scale: x_scale,
            unit,
            break_at: None,
        },
        y: Axis::linear(y_label),
        series,
        bands,
        markers: Vec::new(),
        legend_title: Some("recipe".to_owned()),
        legend,
        notes,
    })
}
