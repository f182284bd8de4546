//! runlake plots: the continuous pretraining and post-training curve of lineage chains,
//! DataDecide-style scaling plots, and post-training comparisons, as SVG, PNG or Vega-Lite.
//!
//! Plots are built in two steps. [`data`] reads plain rows from a lake (the curve's points come
//! from `runlake-reader`'s chain curve); the builders
//! ([`build_curve`], [`build_scaling`], [`build_compare`]) turn rows into a [`Plot`], plain
//! data (series of points, bands, phase markers, legend rows). Rendering is separate:
//! [`Plot::to_svg`] writes SVG by hand, [`Plot::to_png`] rasterises that SVG with resvg and the
//! bundled Noto Sans (no display or system fonts needed), [`Plot::to_vega_lite`] writes a
//! Vega-Lite spec with the data inlined.
//!
//! ```
//! # async fn demo(lake: &runlake_lake::Lake) -> runlake_plot::Result<()> {
//! use runlake_plot::{CurveOptions, YSpec, plot_curve};
//! let y = YSpec::Eval { task: "arc_challenge".into(), metric: "primary".into() };
//! let plot = plot_curve(lake, &["my-sft-run"], &y, &CurveOptions::default()).await?;
//! let svg: String = plot.to_svg();
//! let png: Vec<u8> = plot.to_png(1200, 700)?;
//! # let _ = (svg, png);
//! # Ok(())
//! # }
//! ```
//!
//! Defaults aim at a readable picture: titles and axis labels from the data, the legend outside
//! the plot area on the right, the Okabe-Ito palette (colour-blind safe), tick labels in human
//! units (`150M`, `1.2B` tokens; `3e20` FLOPs). Points that cannot be drawn (NaN, no tokens, x
//! <= 0 on a log axis) are never dropped silently: each is listed in [`Plot::notes`].

mod compare;
mod curve;
pub mod data;
mod error;
pub mod palette;
mod plot;
mod png;
mod robust;
pub mod rows;
mod scale;
mod scaling;
mod sources;
mod svg;
pub mod units;
mod vega;

pub use compare::{CompareOptions, CompareX, build_compare, plot_compare};
pub use curve::{CurveOptions, YSpec, build_curve, plot_curve};
pub use error::{PlotError, Result};
pub use plot::{Axis, Band, DEFAULT_SIZE, Dash, LegendEntry, Marker, Plot, Series, Style};
pub use scale::{Scale, ScaleKind};
pub use scaling::{FinalRule, ScalingOptions, ScalingX, build_scaling, plot_scaling};
