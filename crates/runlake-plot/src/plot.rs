//! The plot model: plain data that every output format renders.

use crate::error::Result;
use crate::scale::ScaleKind;
use crate::units::Unit;

/// One axis: its label, scale and the unit its ticks are written in.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Label under (x) or beside (y) the axis, e.g. `Tokens (pretraining + post-training)`.
    pub label: String,
    /// Linear or log.
    pub scale: ScaleKind,
    /// How tick labels read.
    pub unit: Unit,
    /// Split the axis here: values up to it take the left part of the axis on `scale`, values
    /// after it the rest on a linear scale with ticks relative to it (`+50M`). Lets a short
    /// post-training phase be read after a long pretraining one. SVG and PNG only.
    pub break_at: Option<f64>,
}

impl Axis {
    /// A linear axis of plain numbers: the y axis of every plot.
    pub fn linear(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            scale: ScaleKind::Linear,
            unit: Unit::Plain,
            break_at: None,
        }
    }
}

/// Line pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dash {
    /// A continuous line.
    #[default]
    Solid,
    /// Long dashes.
    Dashed,
    /// Dots.
    Dotted,
}

impl Dash {
    /// The SVG `stroke-dasharray`, if any.
    pub fn dasharray(self) -> Option<&'static str> {
        match self {
            Dash::Solid => None,
            Dash::Dashed => Some("7 4"),
            Dash::Dotted => Some("2 3"),
        }
    }
}

/// How a line is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Style {
    /// `#RRGGBB`.
    pub color: String,
    /// Line pattern.
    pub dash: Dash,
}

impl Style {
    /// A solid line of `color`.
    pub fn solid(color: &str) -> Style {
        Style {
            color: color.to_owned(),
            dash: Dash::Solid,
        }
    }
}

/// A line through points, in data units, in drawing order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The series' name (a run, a recipe).
    pub label: String,
    /// The legend row this series is drawn as (several runs can share one, e.g. all runs with
    /// the same learning rate); the label itself when the series has its own row.
    pub group: String,
    /// `(x, y)` points.
    pub points: Vec<(f64, f64)>,
    /// Colour and pattern.
    pub style: Style,
}

/// A shaded area between `lo` and `hi` (the spread over seeds).
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// The series the band belongs to.
    pub label: String,
    /// `(x, lo, hi)` in data units.
    pub points: Vec<(f64, f64, f64)>,
    /// `#RRGGBB`, drawn translucent.
    pub color: String,
}

/// A vertical line at `x`: a phase boundary.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Where, in data units.
    pub x: f64,
    /// Short text next to the line, e.g. `post-training`.
    pub label: String,
}

/// One row of the legend.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// Text.
    pub label: String,
    /// Swatch.
    pub style: Style,
}

/// A finished plot, ready to render as SVG, PNG or Vega-Lite.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    /// Title above the plot area.
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// Lines, drawn in order (later ones on top).
    pub series: Vec<Series>,
    /// Shaded spreads, drawn under the lines.
    pub bands: Vec<Band>,
    /// Vertical phase boundaries.
    pub markers: Vec<Marker>,
    /// Heading of the legend, e.g. the hyperparameter that colours the lines.
    pub legend_title: Option<String>,
    /// Legend rows, shown outside the plot area on the right.
    pub legend: Vec<LegendEntry>,
    /// Points the builder could not place and why (the CLI prints them to stderr).
    pub notes: Vec<String>,
}

/// Default logical size of the drawing, in CSS pixels.
pub const DEFAULT_SIZE: (u32, u32) = (900, 520);

impl Plot {
    /// The plot as a standalone SVG document of the default size.
    pub fn to_svg(&self) -> String {
        crate::svg::render(self, DEFAULT_SIZE.0 as f64, DEFAULT_SIZE.1 as f64)
    }

    /// The plot as an SVG document laid out for `width` x `height` pixels.
    pub fn to_svg_sized(&self, width: u32, height: u32) -> String {
        crate::svg::render(self, width as f64, height as f64)
    }

    /// The plot as a PNG image of exactly `width` x `height` pixels, drawn with the bundled
    /// font (no system fonts are read).
    pub fn to_png(&self, width: u32, height: u32) -> Result<Vec<u8>> {
        crate::png::render(self, width, height)
    }

    /// A Vega-Lite v5 specification with the data inlined.
    pub fn to_vega_lite(&self) -> serde_json::Value {
        crate::vega::spec(self)
    }
}
