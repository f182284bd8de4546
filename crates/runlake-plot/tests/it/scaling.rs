//! DataDecide-style scaling plots of the fixture's four pretraining runs per recipe.

use runlake_plot::data::{CkptRow, EvalRow};
use runlake_plot::{FinalRule, ScalingOptions, ScalingX, build_scaling, plot_scaling};

use crate::fixture::{lake, tokens_150m};
use crate::svg::{attr, elements, series, text};

const TOKENS_60M_FINAL: f64 = (29042_i64 * 96 * 2048) as f64;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[tokio::test]
async fn one_line_per_recipe_and_size_with_seed_bands() {
    let lake = lake().await;
    let plot = plot_scaling(
        &lake,
        "arc_challenge",
        "primary",
        &ScalingOptions::default(),
    )
    .await
    .expect("plot");
    let labels: Vec<&str> = plot.series.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(
        labels,
        vec!["c4 60M", "c4 150M", "dolma17 60M", "dolma17 150M"]
    );
    // Mean over the two seeds; the band spans them.
    let c4 = &plot.series[1];
    assert_eq!(c4.points[0].0, tokens_150m(1250));
    assert!(
        close(c4.points[0].1, (0.2146 + 0.2246) / 2.0),
        "{:?}",
        c4.points[0]
    );
    let band = plot
        .bands
        .iter()
        .find(|b| b.label == "c4 150M")
        .expect("band");
    assert_eq!(band.points[0], (tokens_150m(1250), 0.2146, 0.2246));
    assert_eq!(band.points[5], (tokens_150m(38157), 0.2888, 0.2988));
    // Recipes share a colour across sizes.
    assert_eq!(plot.series[0].style.color, plot.series[1].style.color);
    assert_ne!(plot.series[1].style.color, plot.series[2].style.color);

    let svg = plot.to_svg();
    let counts: Vec<(String, usize)> = series(&svg)
        .into_iter()
        .map(|p| (p.label, p.points.len()))
        .collect();
    assert_eq!(
        counts,
        vec![
            ("c4 60M".to_owned(), 5),
            ("c4 150M".to_owned(), 6),
            ("dolma17 60M".to_owned(), 5),
            ("dolma17 150M".to_owned(), 6)
        ]
    );
    let bands: Vec<String> = elements(&svg, "band")
        .iter()
        .filter_map(|b| attr(b, "data-points"))
        .collect();
    assert_eq!(bands, vec!["5", "6", "5", "6"]);
    let legend: Vec<String> = elements(&svg, "legend-entry")
        .into_iter()
        .map(text)
        .collect();
    assert_eq!(legend, vec!["c4", "dolma17"]);
    assert_eq!(text(elements(&svg, "legend-title")[0]), "recipe");
    assert_eq!(text(elements(&svg, "axis-label x")[0]), "Tokens");
}

#[tokio::test]
async fn final_checkpoints_across_sizes_against_compute() {
    let lake = lake().await;
    let opts = ScalingOptions {
        recipes: vec!["dolma17".into()],
        x: ScalingX::Compute,
        final_only: true,
        ..ScalingOptions::default()
    };
    let plot = plot_scaling(&lake, "arc_challenge", "acc_per_char", &opts)
        .await
        .expect("plot");
    assert_eq!(plot.series.len(), 1);
    let s = &plot.series[0];
    assert_eq!(s.label, "dolma17");
    assert_eq!(s.points.len(), 2);
    assert!(close(s.points[0].0, 6.0 * 60e6 * TOKENS_60M_FINAL));
    assert!(close(s.points[0].1, (0.2878 + 0.2978) / 2.0));
    // datadec's final 150M checkpoint is the last one up to MAX_STEP_TO_USE (37500), not the
    // last one trained (38157).
    assert!(close(s.points[1].0, 6.0 * 150e6 * tokens_150m(30000)));
    let per_seed = plot_scaling(
        &lake,
        "arc_challenge",
        "acc_per_char",
        &ScalingOptions {
            final_rule: FinalRule::PerSeedLast,
            ..opts.clone()
        },
    )
    .await
    .expect("plot");
    assert!(close(
        per_seed.series[0].points[1].0,
        6.0 * 150e6 * tokens_150m(38157)
    ));
    assert_eq!(plot.x.label, "Compute (FLOPs)");
    let svg = plot.to_svg();
    assert_eq!(series(&svg)[0].points.len(), 2);
    let ticks: Vec<String> = elements(&svg, "tick x").into_iter().map(text).collect();
    assert!(ticks.len() >= 2, "an axis needs ticks: {ticks:?}");
    assert!(ticks.iter().all(|t| t.contains('e')), "{ticks:?}");
}

#[tokio::test]
async fn unknown_selection_is_an_error() {
    let lake = lake().await;
    let opts = ScalingOptions {
        recipes: vec!["fineweb_edu".into()],
        ..ScalingOptions::default()
    };
    let err = plot_scaling(&lake, "arc_challenge", "primary", &opts)
        .await
        .expect_err("nothing selected");
    assert!(err.to_string().contains("nothing to plot"), "{err}");
}

fn run(seed: &str, steps: &[(i64, f64)]) -> (Vec<EvalRow>, Vec<CkptRow>) {
    let uid = format!("dd/c4/4M/{seed}");
    let evals = steps
        .iter()
        .map(|&(step, value)| EvalRow {
            run_uid: uid.clone(),
            phase: "pretrain".into(),
            step: Some(step),
            source: "dd_hf_train".into(),
            recipe: Some("c4".into()),
            size: Some("4M".into()),
            seed: Some(seed.into()),
            primary_metric_name: None,
            value: Some(value),
        })
        .collect();
    let ckpts = steps
        .iter()
        .map(|&(step, _)| CkptRow {
            run_uid: uid.clone(),
            step,
            recipe: Some("c4".into()),
            size: Some("4M".into()),
            seed: Some(seed.into()),
            tokens: Some(step * 65536),
            tokens_expected: None,
            compute: None,
            train_loss: None,
        })
        .collect();
    (evals, ckpts)
}

#[test]
fn a_seed_without_the_final_step_is_left_out_with_a_note() {
    // 4M's MAX_STEP_TO_USE is 5725: the default seed stops at 3750, the other is read at 5725
    // (its step 5735 lies past the limit).
    let (mut evals, mut ckpts) = run("default", &[(2500, 0.20), (3750, 0.22)]);
    let (e, c) = run("small-aux-2", &[(3750, 0.23), (5725, 0.26), (5735, 0.27)]);
    evals.extend(e);
    ckpts.extend(c);
    let opts = ScalingOptions {
        recipes: vec!["C4".into()],
        sizes: vec!["4m".into()],
        final_only: true,
        ..ScalingOptions::default()
    };
    let plot = build_scaling(&evals, &ckpts, "arc_challenge", "primary", &opts).expect("plot");
    assert_eq!(plot.series[0].points, vec![(5725.0 * 65536.0, 0.26)]);
    assert!(
        plot.notes
            .iter()
            .any(|n| n.contains("c4 4M seed default: no value at the final step 5725")),
        "{:?}",
        plot.notes
    );
    let per_seed = build_scaling(
        &evals,
        &ckpts,
        "arc_challenge",
        "primary",
        &ScalingOptions {
            final_rule: FinalRule::PerSeedLast,
            ..opts
        },
    )
    .expect("plot");
    // Each seed's own last step, and a note that they differ.
    let (x, y) = per_seed.series[0].points[0];
    assert!(close(x, (3750.0 + 5735.0) / 2.0 * 65536.0) && close(y, (0.22 + 0.27) / 2.0));
    assert!(
        per_seed
            .notes
            .iter()
            .any(|n| n.contains("seeds' last steps differ")),
        "{:?}",
        per_seed.notes
    );
}
