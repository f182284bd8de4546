//! Post-training comparisons coloured by a hyperparameter.

use runlake_plot::{CompareOptions, CompareX, YSpec, palette, plot_compare};

use crate::fixture::lake;
use crate::svg::{elements, series, text};

fn sft(color_by: &str) -> CompareOptions {
    CompareOptions {
        training_type: "sft".into(),
        color_by: color_by.into(),
        ..CompareOptions::default()
    }
}

#[tokio::test]
async fn runs_coloured_by_a_typed_hyperparameter() {
    let lake = lake().await;
    let loss = YSpec::Train("train_loss".into());
    let plot = plot_compare(&lake, &loss, &sft("learning_rate"))
        .await
        .expect("plot");
    let labels: Vec<&str> = plot.series.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(
        labels,
        vec![
            "sft-d17-150M-step20000-lr5e-6",
            "sft-c4-150M-main-lr5e-6",
            "sft-d17-150M-main-lr2e-5"
        ]
    );
    let colors: Vec<&str> = plot.series.iter().map(|s| s.style.color.as_str()).collect();
    assert_eq!(colors, vec!["#0072B2", "#0072B2", "#E69F00"]);
    assert_eq!(plot.series[2].points[0], (10.0, 2.3));
    let svg = plot.to_svg();
    let counts: Vec<usize> = series(&svg).iter().map(|p| p.points.len()).collect();
    assert_eq!(counts, vec![10, 10, 10]);
    let legend: Vec<String> = elements(&svg, "legend-entry")
        .into_iter()
        .map(text)
        .collect();
    assert_eq!(legend, vec!["5e-6 (2 runs)", "2e-5 (1 run)"]);
    assert_eq!(text(elements(&svg, "legend-title")[0]), "learning_rate");
    assert_eq!(
        text(elements(&svg, "axis-label x")[0]),
        "Post-training step"
    );
    assert_eq!(text(elements(&svg, "axis-label y")[0]), "Training loss");
}

#[tokio::test]
async fn hparams_keys_and_missing_values() {
    let lake = lake().await;
    let loss = YSpec::Train("train_loss".into());
    let plot = plot_compare(&lake, &loss, &sft("lr_scheduler_type"))
        .await
        .expect("plot");
    let legend: Vec<&str> = plot.legend.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(legend, vec!["linear (3 runs)"]);
    let plot = plot_compare(&lake, &loss, &sft("no_such_key"))
        .await
        .expect("plot");
    let legend: Vec<&str> = plot.legend.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(legend, vec!["not set (3 runs)"]);
    assert!(
        plot.series
            .iter()
            .all(|s| s.style.color == palette::MISSING)
    );
}

#[tokio::test]
async fn eval_metric_against_post_training_tokens() {
    let lake = lake().await;
    let y = YSpec::Eval {
        task: "arc_challenge".into(),
        metric: "primary".into(),
    };
    let opts = CompareOptions {
        x: CompareX::Tokens,
        runs: vec!["sft-a".into()],
        ..sft("learning_rate")
    };
    let plot = plot_compare(&lake, &y, &opts).await.expect("plot");
    assert_eq!(plot.series.len(), 1);
    assert_eq!(plot.series[0].points, vec![(50e6, 0.3098), (100e6, 0.3248)]);
    assert_eq!(plot.x.label, "Post-training tokens");
}
