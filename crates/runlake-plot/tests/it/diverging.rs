//! A comparison where one run diverges (a loss of 4,293, then NaN) stays readable: the other
//! runs keep the height of the plot, the far value is marked at the edge, and a run with no
//! drawable point gets no legend row.

use std::collections::BTreeMap;

use runlake_plot::data::{HValue, RunRow, StepRow};
use runlake_plot::{CompareOptions, ScaleKind, YSpec, build_compare};

use crate::svg::{elements, series, text};

fn run(id: &str, lr: f64) -> RunRow {
    RunRow {
        run_uid: format!("wandb/e/p/{id}"),
        phase: "posttrain".into(),
        training_type: "sft".into(),
        run_name: Some(id.into()),
        typed: BTreeMap::from([("learning_rate".to_owned(), HValue::Num(lr))]),
        hparams: BTreeMap::new(),
    }
}

fn steps(id: &str, losses: &[f64]) -> Vec<StepRow> {
    losses
        .iter()
        .enumerate()
        .map(|(i, v)| StepRow {
            run_uid: format!("wandb/e/p/{id}"),
            step: i64::try_from(i).expect("small") * 100,
            variant: 0,
            total_tokens: None,
            value: Some(*v),
        })
        .collect()
}

fn rows() -> (Vec<RunRow>, Vec<StepRow>) {
    let runs = vec![run("calm", 5e-6), run("wild", 5e-5), run("empty", 1e-4)];
    let mut all = steps("calm", &[3.0, 2.6, 2.4, 2.2, 2.1, 2.0, 1.95, 1.9]);
    all.extend(steps(
        "wild",
        &[3.1, 2.8, 4293.0, f64::NAN, 2.9, 2.7, 2.5, 2.3],
    ));
    all.extend(steps("empty", &[f64::NAN, f64::NAN]));
    (runs, all)
}

fn options() -> CompareOptions {
    CompareOptions {
        training_type: "sft".into(),
        color_by: "learning_rate".into(),
        ..CompareOptions::default()
    }
}

#[test]
fn a_diverging_run_leaves_the_others_readable() {
    let (runs, all) = rows();
    let y = YSpec::Train("train_loss".into());
    let plot = build_compare(&runs, &all, &[], &y, &options()).expect("plot");
    let svg = plot.to_svg();
    let lines = series(&svg);
    let calm = lines
        .iter()
        .find(|s| s.label == "calm")
        .expect("calm drawn");
    let ys: Vec<f64> = calm.points.iter().map(|p| p.1).collect();
    let spread =
        ys.iter().copied().fold(f64::MIN, f64::max) - ys.iter().copied().fold(f64::MAX, f64::min);
    assert!(
        spread > 200.0,
        "the calm run spans the plot, not a flat line: {spread}px"
    );
    let wild = lines
        .iter()
        .find(|s| s.label == "wild")
        .expect("wild drawn");
    assert_eq!(wild.points.len(), 6, "4,293 and NaN are not on the line");
    let marks = elements(&svg, "beyond-range");
    assert_eq!(marks.len(), 1, "{svg}");
    assert!(marks[0].contains(r#"data-y="4293""#), "{}", marks[0]);
    let note = elements(&svg, "beyond-note");
    assert_eq!(
        note.iter().map(|l| text(l)).collect::<Vec<_>>(),
        ["1 point beyond the y range, marked at its edge"]
    );
    let legend: Vec<String> = elements(&svg, "legend-entry")
        .into_iter()
        .map(text)
        .collect();
    assert_eq!(
        legend,
        ["5e-6 (1 run)", "5e-5 (1 run)"],
        "no row for the run with no points"
    );
}

/// The Vega-Lite output keeps to the same range: its y domain is the calm runs' values (not
/// 4,293), and points beyond it are clamped to the edge.
#[test]
fn vega_lite_uses_the_same_y_range() {
    let (runs, all) = rows();
    let y = YSpec::Train("train_loss".into());
    let plot = build_compare(&runs, &all, &[], &y, &options()).expect("plot");
    let spec = plot.to_vega_lite();
    let line = spec["layer"]
        .as_array()
        .expect("layers")
        .iter()
        .find(|l| l["mark"]["type"] == "line")
        .expect("line layer");
    let scale = &line["encoding"]["y"]["scale"];
    assert_eq!(scale["clamp"], true, "{scale}");
    let domain: Vec<f64> = scale["domain"]
        .as_array()
        .expect("domain")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect();
    assert_eq!(domain.len(), 2);
    // Every drawn value but the diverging one lies inside; the diverging one does not.
    let finite: Vec<f64> = all
        .iter()
        .filter_map(|r| r.value)
        .filter(|v| v.is_finite())
        .collect();
    for v in finite.iter().filter(|v| **v < 100.0) {
        assert!(domain[0] <= *v && *v <= domain[1], "{v} outside {domain:?}");
    }
    assert!(domain[1] < 4293.0, "{domain:?}");
}

#[test]
fn a_log_y_axis_shows_every_positive_value() {
    let (runs, all) = rows();
    let y = YSpec::Train("train_loss".into());
    let opts = CompareOptions {
        y_scale: Some(ScaleKind::Log),
        ..options()
    };
    let plot = build_compare(&runs, &all, &[], &y, &opts).expect("plot");
    assert_eq!(plot.y.scale, ScaleKind::Log);
    let svg = plot.to_svg();
    let wild = series(&svg)
        .into_iter()
        .find(|s| s.label == "wild")
        .expect("wild drawn");
    assert_eq!(wild.points.len(), 7, "4,293 is on a log axis, NaN is not");
    assert!(elements(&svg, "beyond-range").is_empty());
}

#[test]
fn a_change_of_x_scale_is_marked() {
    let (runs, all) = rows();
    let y = YSpec::Train("train_loss".into());
    let mut plot = build_compare(&runs, &all, &[], &y, &options()).expect("plot");
    assert!(
        elements(&plot.to_svg(), "axis-break").is_empty(),
        "no break, no mark"
    );
    plot.x.break_at = Some(350.0);
    let svg = plot.to_svg();
    let marks = elements(&svg, "axis-break");
    assert_eq!(marks.len(), 1);
    assert!(marks[0].contains(r#"data-x="350""#), "{}", marks[0]);
    let note: Vec<String> = elements(&svg, "break-note").into_iter().map(text).collect();
    assert_eq!(note, ["x scale changes: linear from here"]);
}
