//! The Vega-Lite spec carries the plot's data and encodings.

use runlake_plot::{CurveOptions, YSpec, plot_curve};

use crate::fixture::lake;

#[tokio::test]
async fn spec_inlines_every_point_and_marker() {
    let lake = lake().await;
    let y = YSpec::Eval {
        task: "arc_challenge".into(),
        metric: "primary".into(),
    };
    let plot = plot_curve(&lake, &["dpo-a"], &y, &CurveOptions::default())
        .await
        .expect("plot");
    let spec = plot.to_vega_lite();
    assert_eq!(
        spec["$schema"],
        "https://vega.github.io/schema/vega-lite/v5.json"
    );
    let values = spec["data"]["values"].as_array().expect("values");
    let lines = values.iter().filter(|v| v["kind"] == "line").count();
    let markers: Vec<f64> = values
        .iter()
        .filter(|v| v["kind"] == "marker")
        .filter_map(|v| v["x"].as_f64())
        .collect();
    // Pretraining, SFT and DPO; each post-training line repeats the point it starts from.
    assert_eq!(lines, 4 + 3 + 3);
    assert_eq!(markers, vec![7_864_320_000.0, 7_964_320_000.0]);
    let first = values
        .iter()
        .find(|v| v["series"] == "DPO: dpo-of-sft-a-lr2e-7")
        .expect("dpo row");
    assert_eq!(first["x"], 7_964_320_000.0);
    assert_eq!(first["y"], 0.3248);
    let line = &spec["layer"][1]["encoding"];
    assert_eq!(line["x"]["scale"]["type"], "log");
    assert_eq!(line["x"]["title"], "Tokens (pretraining + post-training)");
    assert_eq!(
        line["y"]["title"],
        "arc_challenge: primary score (acc_per_char)"
    );
    assert_eq!(
        line["color"]["scale"]["range"],
        serde_json::json!(["#4D4D4D", "#0072B2", "#0072B2"])
    );
    // SFT and DPO share the chain's colour and differ in pattern.
    assert_eq!(
        line["strokeDash"]["scale"]["range"],
        serde_json::json!([[1, 0], [1, 0], [6, 4]])
    );
}
