//! Vega-Lite output: the same plot as a v5 specification with its data inlined, for notebooks
//! (Altair, JupyterLab, the Vega editor).

use serde_json::{Value, json};

use crate::plot::{Dash, Plot};
use crate::scale::ScaleKind;

fn scale_type(kind: ScaleKind) -> &'static str {
    match kind {
        ScaleKind::Linear => "linear",
        ScaleKind::Log => "log",
    }
}

/// The specification. Rows carry `kind` (`line`, `band`, `marker`) so one inline data set feeds
/// every layer; lines are coloured by their legend group with the plot's own colours.
pub(crate) fn spec(plot: &Plot) -> Value {
    let mut values = Vec::new();
    for s in &plot.series {
        for (i, (x, y)) in s.points.iter().enumerate() {
            values.push(json!({"kind": "line", "series": s.label, "group": s.group,
                "order": i, "x": x, "y": y}));
        }
    }
    for b in &plot.bands {
        let group = plot
            .series
            .iter()
            .find(|s| s.label == b.label)
            .map_or(b.label.as_str(), |s| s.group.as_str());
        for (x, lo, hi) in &b.points {
            values.push(json!({"kind": "band", "series": b.label, "group": group,
                "x": x, "lo": lo, "hi": hi}));
        }
    }
    for m in &plot.markers {
        values.push(json!({"kind": "marker", "x": m.x, "label": m.label}));
    }
    let mut domain: Vec<&str> = Vec::new();
    let mut range: Vec<&str> = Vec::new();
    let mut dashes: Vec<Value> = Vec::new();
    for s in &plot.series {
        if !domain.contains(&s.group.as_str()) {
            domain.push(&s.group);
            range.push(&s.style.color);
            dashes.push(match s.style.dash {
                Dash::Solid => json!([1, 0]),
                Dash::Dashed => json!([6, 4]),
                Dash::Dotted => json!([2, 3]),
            });
        }
    }
    // The same y range as the SVG: values beyond it are drawn at its edge rather than
    // flattening every other line.
    let y_scale = match plot.y.scale {
        ScaleKind::Linear => {
            let s = crate::robust::y_scale(plot);
            json!({"type": "linear", "zero": false, "domain": [s.min, s.max], "clamp": true})
        }
        ScaleKind::Log => json!({"type": "log", "zero": false}),
    };
    let x = json!({"field": "x", "type": "quantitative", "title": plot.x.label,
        "scale": {"type": scale_type(plot.x.scale), "zero": false}});
    let color = json!({"field": "group", "type": "nominal",
        "title": plot.legend_title.clone().unwrap_or_default(),
        "scale": {"domain": domain, "range": range},
        "legend": {"orient": "right"}});
    // Same field and title as the colour, so the two share one legend.
    let dash = json!({"field": "group", "type": "nominal",
        "title": plot.legend_title.clone().unwrap_or_default(),
        "scale": {"domain": domain, "range": dashes}});
    json!({
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": plot.title,
        "width": 640,
        "height": 400,
        "data": {"values": values},
        "layer": [
            {
                "transform": [{"filter": "datum.kind === 'band'"}],
                "mark": {"type": "area", "opacity": 0.18},
                "encoding": {
                    "x": x,
                    "y": {"field": "lo", "type": "quantitative", "title": plot.y.label,
                          "scale": y_scale},
                    "y2": {"field": "hi"},
                    "color": color,
                    "detail": {"field": "series"}
                }
            },
            {
                "transform": [{"filter": "datum.kind === 'line'"}],
                "mark": {"type": "line", "point": true},
                "encoding": {
                    "x": x,
                    "y": {"field": "y", "type": "quantitative", "title": plot.y.label,
                          "scale": y_scale},
                    "color": color,
                    "strokeDash": dash,
                    "detail": {"field": "series"},
                    "order": {"field": "order"},
                    "tooltip": [{"field": "series"}, {"field": "x"}, {"field": "y"}]
                }
            },
            {
                "transform": [{"filter": "datum.kind === 'marker'"}],
                "mark": {"type": "rule", "strokeDash": [5, 4], "color": "#555555"},
                "encoding": {"x": x}
            },
            {
                "transform": [{"filter": "datum.kind === 'marker'"}],
                "mark": {"type": "text", "align": "right", "dx": -4, "dy": 8, "color": "#555555",
                         "y": 0},
                "encoding": {"x": x, "text": {"field": "label"}}
            }
        ]
    })
}
