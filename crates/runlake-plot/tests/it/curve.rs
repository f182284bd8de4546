//! The continuous pretraining + post-training curve of fixture runs.

use runlake_plot::{CurveOptions, PlotError, ScaleKind, YSpec, plot_curve};

use crate::fixture::{lake, tokens_150m};
use crate::svg::{attr, elements, series, text};

fn arc() -> YSpec {
    YSpec::Eval {
        task: "arc_challenge".into(),
        metric: "primary".into(),
    }
}

const PRE_A: &str = "dd/dolma17/150M/default @ step 20000";
const SFT_A: &str = "SFT: sft-d17-150M-step20000-lr5e-6";

#[tokio::test]
async fn sft_run_continues_its_pretraining_checkpoint() {
    let lake = lake().await;
    let plot = plot_curve(&lake, &["sft-a"], &arc(), &CurveOptions::default())
        .await
        .expect("plot");
    let boundary = tokens_150m(20000);
    assert_eq!(boundary, 7_864_320_000.0);

    // The data: the parent's evals up to step 20000, then the run's evals at +50M and +100M
    // tokens, starting from the parent's last point.
    assert_eq!(plot.series.len(), 2);
    assert_eq!(plot.series[0].label, PRE_A);
    assert_eq!(
        plot.series[0].points,
        vec![
            (tokens_150m(1250), 0.2346),
            (tokens_150m(5000), 0.2647),
            (tokens_150m(10000), 0.2797),
            (boundary, 0.2948),
        ]
    );
    assert_eq!(plot.series[1].label, SFT_A);
    assert_eq!(
        plot.series[1].points,
        vec![
            (boundary, 0.2948),
            (boundary + 50e6, 0.3098),
            (boundary + 100e6, 0.3248)
        ]
    );
    assert!(plot.notes.is_empty(), "{:?}", plot.notes);

    // The picture: one path per series with its points, labels, legend and the marker.
    let svg = plot.to_svg();
    let paths = series(&svg);
    assert_eq!(paths.len(), 2);
    assert_eq!(paths[0].label, PRE_A);
    assert_eq!(paths[0].points.len(), 4);
    assert_eq!(paths[1].label, SFT_A);
    assert_eq!(paths[1].points.len(), 3);
    let x_label = elements(&svg, "axis-label x");
    assert_eq!(text(x_label[0]), "Tokens (pretraining + post-training)");
    let y_label = elements(&svg, "axis-label y");
    assert_eq!(
        text(y_label[0]),
        "arc_challenge: primary score (acc_per_char)"
    );
    let legend: Vec<String> = elements(&svg, "legend-entry")
        .into_iter()
        .map(text)
        .collect();
    assert_eq!(legend, vec![PRE_A.to_owned(), SFT_A.to_owned()]);
    let markers = elements(&svg, "phase-marker");
    assert_eq!(markers.len(), 1);
    assert_eq!(attr(markers[0], "data-x").as_deref(), Some("7864320000"));
    let marker_px: f64 = attr(markers[0], "x1").expect("x1").parse().expect("number");
    // The boundary is where the pretraining line ends and the post-training line starts.
    let last_pre = paths[0].points[3].0;
    assert!(
        (marker_px - last_pre).abs() < 0.01,
        "{marker_px} vs {last_pre}"
    );
    assert!(paths[1].points[1].0 > marker_px);
    let labels: Vec<String> = elements(&svg, "marker-label")
        .into_iter()
        .map(text)
        .collect();
    assert_eq!(labels, vec!["sft starts"]);
    // Tick labels read in human units.
    // Post-training gets its own part of the axis: ticks count tokens from the boundary.
    assert_eq!(plot.x.break_at, Some(boundary));
    let ticks: Vec<String> = elements(&svg, "tick x").into_iter().map(text).collect();
    for t in ["1B", "7.86B", "+50M", "+100M"] {
        assert!(ticks.contains(&t.to_owned()), "{t} not in {ticks:?}");
    }
    let width = paths[1].points[2].0 - paths[1].points[0].0;
    assert!(width > 100.0, "post-training spans {width} px");
}

#[tokio::test]
async fn dpo_run_chains_through_its_sft_parent() {
    let lake = lake().await;
    let plot = plot_curve(
        &lake,
        &["wandb/ml-moe/ft-scaling/dpo-a"],
        &arc(),
        &CurveOptions::default(),
    )
    .await
    .expect("plot");
    let b = tokens_150m(20000);
    assert_eq!(plot.series.len(), 3);
    assert_eq!(plot.series[0].label, PRE_A);
    assert_eq!(plot.series[1].label, SFT_A);
    assert_eq!(plot.series[2].label, "DPO: dpo-of-sft-a-lr2e-7");
    // The SFT parent's evals, then the DPO run's own after the SFT's 100M tokens, each
    // segment starting where the previous one ends.
    assert_eq!(
        plot.series[1].points,
        vec![(b, 0.2948), (b + 50e6, 0.3098), (b + 100e6, 0.3248)]
    );
    assert_eq!(
        plot.series[2].points,
        vec![
            (b + 100e6, 0.3248),
            (b + 100e6 + 8e6, 0.3288),
            (b + 100e6 + 20e6, 0.3348),
        ]
    );
    // One chain, one colour; SFT solid and DPO dashed, each with a legend entry.
    assert_eq!(plot.series[1].style.color, plot.series[2].style.color);
    assert_eq!(plot.series[1].style.dash, runlake_plot::Dash::Solid);
    assert_eq!(plot.series[2].style.dash, runlake_plot::Dash::Dashed);
    let svg = plot.to_svg();
    let markers = elements(&svg, "phase-marker");
    let xs: Vec<String> = markers.iter().filter_map(|m| attr(m, "data-x")).collect();
    assert_eq!(xs, vec!["7864320000", "7964320000"]);
    let labels: Vec<String> = elements(&svg, "marker-label")
        .into_iter()
        .map(text)
        .collect();
    assert_eq!(labels, vec!["sft starts", "dpo starts"]);
    let paths = series(&svg);
    assert_eq!(paths[1].points.len(), 3);
    assert_eq!(paths[2].points.len(), 3);
    let legend: Vec<String> = elements(&svg, "legend-entry")
        .into_iter()
        .map(text)
        .collect();
    assert_eq!(legend, vec![PRE_A, SFT_A, "DPO: dpo-of-sft-a-lr2e-7"]);
}

#[tokio::test]
async fn several_runs_get_their_own_parents_and_markers() {
    let lake = lake().await;
    let opts = CurveOptions {
        x_scale: ScaleKind::Linear,
        zoom_post_training: true,
    };
    let plot = plot_curve(&lake, &["sft-a", "sft-b", "sft-c"], &arc(), &opts)
        .await
        .expect("plot");
    let labels: Vec<&str> = plot.series.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(
        labels,
        vec![
            PRE_A,
            "dd/dolma17/150M/default @ step 38157",
            "dd/c4/150M/default @ step 38157",
            SFT_A,
            "SFT: sft-d17-150M-main-lr2e-5",
            "SFT: sft-c4-150M-main-lr5e-6",
        ]
    );
    let svg = plot.to_svg();
    let counts: Vec<usize> = series(&svg).iter().map(|p| p.points.len()).collect();
    assert_eq!(counts, vec![4, 6, 6, 3, 3, 3]);
    // sft-b and sft-c start at the same final checkpoint tokens: one marker there.
    let xs: Vec<String> = elements(&svg, "phase-marker")
        .iter()
        .filter_map(|m| attr(m, "data-x"))
        .collect();
    assert_eq!(xs, vec!["7864320000", "15003942912"]);
    assert_eq!(plot.x.break_at, None);
    assert_eq!(
        plot.notes,
        vec!["runs leave pretraining at different tokens; post-training is not zoomed"]
    );
    // Each post-training line has its own Okabe-Ito colour; pretraining lines are grey.
    let colors: Vec<&str> = plot.series.iter().map(|s| s.style.color.as_str()).collect();
    assert_eq!(
        colors,
        vec![
            "#4D4D4D", "#4D4D4D", "#4D4D4D", "#0072B2", "#E69F00", "#009E73"
        ]
    );
}

#[tokio::test]
async fn training_loss_joins_checkpoint_and_step_logs() {
    let lake = lake().await;
    let plot = plot_curve(
        &lake,
        &["sft-a"],
        &YSpec::Train("train_loss".into()),
        &CurveOptions::default(),
    )
    .await
    .expect("plot");
    assert_eq!(plot.y.label, "Training loss");
    assert_eq!(plot.series[0].points.len(), 4);
    assert_eq!(plot.series[0].points[3], (tokens_150m(20000), 3.2708));
    // Junction plus the ten logged steps, at parent tokens + total_tokens.
    let post = &plot.series[1].points;
    assert_eq!(post.len(), 11);
    assert_eq!(post[1], (tokens_150m(20000) + 10e6, 2.2));
    assert_eq!(post[10], (tokens_150m(20000) + 100e6, 1.5162));
    let svg = plot.to_svg();
    assert_eq!(series(&svg)[1].points.len(), 11);
}

#[tokio::test]
async fn unknown_and_unlinked_runs_are_errors_or_notes() {
    let lake = lake().await;
    let err = plot_curve(&lake, &["nope"], &arc(), &CurveOptions::default())
        .await
        .expect_err("unknown run");
    assert!(
        matches!(
            err,
            PlotError::Reader(runlake_reader::ReaderError::UnknownRun(_))
        ) && err.to_string().starts_with("unknown run `nope`"),
        "{err}"
    );
    // A pretraining run has no parent: drawn from 0 tokens with a note, and nothing to show on
    // a log axis at 0.
    let plot = plot_curve(
        &lake,
        &["dd/c4/60M/default"],
        &arc(),
        &CurveOptions::default(),
    )
    .await;
    match plot {
        Err(PlotError::Empty(_)) => {}
        other => panic!("expected an empty plot, got {other:?}"),
    }
}

#[tokio::test]
async fn committed_example_matches_the_documented_command() {
    // README: `runlake plot LAKE curve --run dpo-a --task arc_challenge --output example.svg`
    let lake = lake().await;
    let plot = plot_curve(&lake, &["dpo-a"], &arc(), &CurveOptions::default())
        .await
        .expect("plot");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("example.svg");
    let committed = std::fs::read_to_string(&path).expect("example.svg");
    assert_eq!(
        plot.to_svg(),
        committed,
        "regenerate with the command in README.md"
    );
}

/// The committed example is made by the code it checks, so it is also checked against the
/// fixture rows themselves: one series per segment with the fixture's point counts, one
/// marker per point, a legend entry per series, and heights ordered as the scores are.
#[test]
fn committed_example_shows_the_fixture_chain() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let svg = std::fs::read_to_string(dir.join("example.svg")).expect("example.svg");
    let fixture = dir.join("../../testdata/plot");
    let rows = |file: &str| -> Vec<serde_json::Value> {
        std::fs::read_to_string(fixture.join(file))
            .expect("fixture")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect()
    };
    let lineage = rows("lineage.jsonl");
    let resolved = |child: &str| {
        lineage
            .iter()
            .find(|r| r["child_run_uid"] == child && r["resolved"] == true)
            .cloned()
            .expect("resolved parent")
    };
    let dpo = "wandb/ml-moe/ft-scaling/dpo-a";
    let sft = resolved(dpo)["parent_run_uid"]
        .as_str()
        .expect("sft")
        .to_owned();
    let pre = resolved(&sft);
    let (base, base_step) = (
        pre["parent_run_uid"].as_str().expect("base").to_owned(),
        pre["parent_step"].as_i64().expect("step"),
    );
    let evals = rows("evals.jsonl");
    let arc = |run: &str, upto: Option<i64>| -> Vec<f64> {
        evals
            .iter()
            .filter(|r| r["run_uid"] == run && r["task"] == "arc_challenge")
            .filter(|r| upto.is_none_or(|s| r["step"].as_i64().is_some_and(|x| x <= s)))
            .map(|r| r["primary_score"].as_f64().expect("score"))
            .collect()
    };
    let pretraining = arc(&base, Some(base_step));
    let (sft_scores, dpo_scores) = (arc(&sft, None), arc(dpo, None));
    let post: Vec<f64> = sft_scores.iter().chain(&dpo_scores).copied().collect();
    assert!(!pretraining.is_empty() && !sft_scores.is_empty() && !dpo_scores.is_empty());

    let attr = |tag: &str, name: &str| -> Option<String> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(tag[at..].split('"').next()?.to_owned())
    };
    let series: Vec<&str> = svg
        .lines()
        .filter(|l| l.starts_with("<path class=\"series\""))
        .collect();
    assert_eq!(series.len(), 3, "one series per segment");
    let counts: Vec<usize> = series
        .iter()
        .map(|s| attr(s, "data-points").expect("points").parse().expect("n"))
        .collect();
    // Each post-training segment starts where the run it was trained from ends.
    assert_eq!(
        counts,
        vec![
            pretraining.len(),
            sft_scores.len() + 1,
            dpo_scores.len() + 1
        ]
    );
    let labels: Vec<String> = series
        .iter()
        .map(|s| attr(s, "data-label").expect("label"))
        .collect();
    assert!(labels[0].contains(&base) && labels[0].contains(&base_step.to_string()));
    for label in &labels {
        assert!(
            svg.contains(&format!(">{label}</text>")),
            "legend entry for {label}"
        );
    }
    let mut points: Vec<(f64, f64)> = svg
        .lines()
        .filter(|l| l.starts_with("<circle class=\"point\""))
        .map(|l| {
            let f = |n| attr(l, n).expect("coord").parse::<f64>().expect("number");
            (f("cx"), f("cy"))
        })
        .collect();
    assert_eq!(points.len(), counts.iter().sum::<usize>());
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let scores: Vec<f64> = pretraining.iter().chain(&post).copied().collect();
    assert!(
        scores.windows(2).all(|w| w[0] < w[1]),
        "fixture scores rise"
    );
    // Rising scores, drawn left to right, climb the plot (SVG y grows downwards); the shared
    // junction point is drawn by both segments.
    assert!(points.windows(2).all(|w| w[1].1 <= w[0].1), "{points:?}");
    assert!(svg.contains("arc_challenge") && svg.contains("acc_per_char"));
}
