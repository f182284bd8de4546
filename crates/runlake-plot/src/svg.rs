//! A small hand-written SVG writer: layout (title, axes, plot area, legend outside on the right)
//! and drawing. Elements carry `class` and `data-*` attributes naming what they show, so tests
//! and scripts can read a plot back without guessing from coordinates.

use std::fmt::Write;

use crate::plot::{Plot, Style};
use crate::scale::{Scale, ScaleKind};
use crate::units::format_value;

/// Font stack: the bundled face first (PNG output), then what browsers commonly have.
pub(crate) const FONT_FAMILY: &str = "Noto Sans, DejaVu Sans, Arial, Helvetica, sans-serif";

const TITLE_SIZE: f64 = 17.0;
const LABEL_SIZE: f64 = 13.0;
const TICK_SIZE: f64 = 11.0;
const LEGEND_SIZE: f64 = 12.0;
const SWATCH: f64 = 26.0;
/// Series with at most this many points also get a dot per point, so that single points and
/// sparse checkpoints stay visible.
const MAX_DOTTED_POINTS: usize = 60;

/// Approximate advance width of `text` in the bundled sans face (Noto Sans averages about
/// 0.55 em for mixed text); enough to size margins and the legend.
pub(crate) fn text_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | ' ' => 0.28,
            'm' | 'w' | 'M' | 'W' => 0.85,
            c if c.is_ascii_uppercase() => 0.65,
            c if c.is_ascii_digit() => 0.57,
            _ => 0.55,
        })
        .sum::<f64>()
        * size
}

/// `text` cut to fit `max_width`, with an ellipsis when cut.
fn fit_text(text: &str, size: f64, max_width: f64) -> String {
    if text_width(text, size) <= max_width {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        out.push(c);
        if text_width(&out, size) + text_width("…", size) > max_width {
            out.pop();
            break;
        }
    }
    out.push('…');
    out
}

pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Share of the axis width left of a break (the pretraining part of a curve).
const BREAK_SHARE: f64 = 0.62;

/// The x mapping: one scale, or a scale up to a break and a linear one after it.
pub(crate) struct XMap {
    left: Scale,
    right: Option<(f64, Scale)>,
}

impl XMap {
    fn accepts(&self, x: f64) -> bool {
        self.left.accepts(x)
    }

    fn position(&self, x: f64) -> f64 {
        match &self.right {
            None => self.left.position(x),
            Some((at, _)) if x <= *at => BREAK_SHARE * self.left.position(x),
            Some((_, r)) => BREAK_SHARE + (1.0 - BREAK_SHARE) * r.position(x),
        }
    }

    /// Tick values and labels; after a break, labels count from the break (`+50M`).
    fn ticks(&self, unit: crate::units::Unit, target: usize) -> Vec<(f64, String)> {
        match &self.right {
            None => self
                .left
                .ticks(target)
                .into_iter()
                .map(|v| (v, format_value(v, unit)))
                .collect(),
            Some((at, r)) => {
                let left_target = ((target as f64 * BREAK_SHARE).round() as usize).max(2);
                let mut out: Vec<(f64, String)> = self
                    .left
                    .ticks(left_target)
                    .into_iter()
                    .filter(|v| *v < at * 0.999)
                    .filter(|v| self.left.position(*v) < 0.85)
                    .map(|v| (v, format_value(v, unit)))
                    .collect();
                // The boundary itself, so the relative ticks after it have an origin.
                out.push((*at, format_value(*at, unit)));
                let rel = Scale {
                    kind: ScaleKind::Linear,
                    min: 0.0,
                    max: r.max - at,
                };
                out.extend(
                    rel.ticks((target - left_target).max(2))
                        .into_iter()
                        .filter(|d| *d > 0.0)
                        .map(|d| (at + d, format!("+{}", format_value(d, unit)))),
                );
                out
            }
        }
    }
}

/// Where everything goes, in pixels.
struct Layout {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    legend_x: f64,
    legend_width: f64,
}

impl Layout {
    fn px(&self, xs: &XMap, x: f64) -> f64 {
        self.left + xs.position(x) * (self.right - self.left)
    }

    fn py(&self, ys: &Scale, y: f64) -> f64 {
        self.bottom - ys.position(y) * (self.bottom - self.top)
    }
}

/// The scales a plot is drawn with (also used by tests to find expected pixel positions).
pub(crate) fn scales(plot: &Plot) -> (XMap, Scale) {
    let xs = plot
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .chain(plot.bands.iter().flat_map(|b| b.points.iter().map(|p| p.0)))
        .chain(plot.markers.iter().map(|m| m.x));
    let ys = crate::robust::y_scale(plot);
    let xs: Vec<f64> = xs.collect();
    let xmap = match plot.x.break_at {
        Some(at) if xs.iter().any(|x| *x > at) && xs.iter().any(|x| *x < at) => {
            let mut left = Scale::fit(plot.x.scale, xs.iter().copied().filter(|x| *x <= at), 0.03);
            left.max = at;
            let mut right = Scale::fit(
                ScaleKind::Linear,
                xs.iter().copied().filter(|x| *x >= at),
                0.04,
            );
            right.min = at;
            XMap {
                left,
                right: Some((at, right)),
            }
        }
        _ => XMap {
            left: Scale::fit(plot.x.scale, xs, 0.03),
            right: None,
        },
    };
    (xmap, ys)
}

fn attr_style(style: &Style, width: f64) -> String {
    let mut s = format!(
        r#"fill="none" stroke="{}" stroke-width="{width}" stroke-linejoin="round" stroke-linecap="round""#,
        style.color
    );
    if let Some(d) = style.dash.dasharray() {
        let _ = write!(s, r#" stroke-dasharray="{d}""#);
    }
    s
}

/// Renders `plot` as an SVG document of `width` x `height` pixels.
pub(crate) fn render(plot: &Plot, width: f64, height: f64) -> String {
    let (xs, ys) = scales(plot);
    let (x_ticks, x_labels): (Vec<f64>, Vec<String>) = xs
        .ticks(
            plot.x.unit,
            ((width - 300.0) / 110.0).clamp(3.0, 10.0) as usize,
        )
        .into_iter()
        .unzip();
    let y_ticks = ys.ticks(((height - 120.0) / 60.0).clamp(3.0, 10.0) as usize);
    let y_labels: Vec<String> = y_ticks
        .iter()
        .map(|v| format_value(*v, plot.y.unit))
        .collect();

    let legend_width = if plot.legend.is_empty() {
        0.0
    } else {
        let widest = plot
            .legend
            .iter()
            .map(|e| SWATCH + 8.0 + text_width(&e.label, LEGEND_SIZE))
            .chain(plot.legend_title.iter().map(|t| text_width(t, LEGEND_SIZE)))
            .fold(0.0, f64::max);
        (widest + 16.0).min(width * 0.36)
    };
    let y_tick_width = y_labels
        .iter()
        .map(|l| text_width(l, TICK_SIZE))
        .fold(0.0, f64::max);
    let left = 14.0 + LABEL_SIZE + 10.0 + y_tick_width + 8.0;
    let right = width
        - 20.0
        - if legend_width > 0.0 {
            legend_width + 16.0
        } else {
            0.0
        };
    let layout = Layout {
        left,
        right,
        top: 16.0 + TITLE_SIZE + 18.0,
        bottom: height - (14.0 + LABEL_SIZE + 10.0 + TICK_SIZE + 10.0),
        legend_x: right + 16.0,
        legend_width,
    };

    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT_FAMILY}">"#
    );
    out.push('\n');
    let _ = writeln!(
        out,
        r##"<rect class="background" x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##
    );
    let title = fit_text(&plot.title, TITLE_SIZE, width - 40.0);
    let _ = writeln!(
        out,
        r##"<text class="title" x="{:.1}" y="{:.1}" font-size="{TITLE_SIZE}" font-weight="bold" text-anchor="middle" fill="#222222">{}</text>"##,
        width / 2.0,
        16.0 + TITLE_SIZE,
        escape(&title)
    );
    draw_axes(
        &mut out, plot, &layout, &xs, &ys, &x_ticks, &x_labels, &y_ticks, &y_labels,
    );
    let _ = writeln!(
        out,
        r#"<clipPath id="plot-area"><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}"/></clipPath>"#,
        layout.left,
        layout.top,
        layout.right - layout.left,
        layout.bottom - layout.top
    );
    out.push_str("<g clip-path=\"url(#plot-area)\">\n");
    draw_bands(&mut out, plot, &layout, &xs, &ys);
    draw_markers(&mut out, plot, &layout, &xs);
    draw_series(&mut out, plot, &layout, &xs, &ys);
    out.push_str("</g>\n");
    draw_legend(&mut out, plot, &layout);
    out.push_str("</svg>\n");
    out
}

#[allow(clippy::too_many_arguments)] // reason: one call site; bundling would only rename them
fn draw_axes(
    out: &mut String,
    plot: &Plot,
    l: &Layout,
    xs: &XMap,
    ys: &Scale,
    x_ticks: &[f64],
    x_labels: &[String],
    y_ticks: &[f64],
    y_labels: &[String],
) {
    out.push_str("<g class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">\n");
    for v in y_ticks {
        let y = l.py(ys, *v);
        let _ = writeln!(
            out,
            r#"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/>"#,
            l.left, l.right
        );
    }
    for v in x_ticks {
        let x = l.px(xs, *v);
        let _ = writeln!(
            out,
            r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"/>"#,
            l.top, l.bottom
        );
    }
    out.push_str("</g>\n");
    let _ = writeln!(
        out,
        r##"<rect class="frame" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="#888888" stroke-width="1"/>"##,
        l.left,
        l.top,
        l.right - l.left,
        l.bottom - l.top
    );
    if let Some((at, _)) = &xs.right {
        draw_break(out, l, l.px(xs, *at), *at);
    }
    // Thin x tick labels that would collide.
    let widest = x_labels
        .iter()
        .map(|s| text_width(s, TICK_SIZE))
        .fold(0.0, f64::max);
    let spacing = if x_ticks.len() > 1 {
        (l.right - l.left) / (x_ticks.len() - 1) as f64 * 0.9
    } else {
        f64::INFINITY
    };
    let every = ((widest + 8.0) / spacing).ceil().max(1.0) as usize;
    for (i, (v, label)) in x_ticks.iter().zip(x_labels).enumerate() {
        if i % every != 0 {
            continue;
        }
        let _ = writeln!(
            out,
            r##"<text class="tick x" x="{:.1}" y="{:.1}" font-size="{TICK_SIZE}" text-anchor="middle" fill="#444444">{}</text>"##,
            l.px(xs, *v),
            l.bottom + 6.0 + TICK_SIZE,
            escape(label)
        );
    }
    for (v, label) in y_ticks.iter().zip(y_labels) {
        let _ = writeln!(
            out,
            r##"<text class="tick y" x="{:.1}" y="{:.1}" font-size="{TICK_SIZE}" text-anchor="end" fill="#444444">{}</text>"##,
            l.left - 6.0,
            l.py(ys, *v) + TICK_SIZE * 0.35,
            escape(label)
        );
    }
    let _ = writeln!(
        out,
        r##"<text class="axis-label x" x="{:.1}" y="{:.1}" font-size="{LABEL_SIZE}" text-anchor="middle" fill="#222222">{}</text>"##,
        (l.left + l.right) / 2.0,
        l.bottom + 6.0 + TICK_SIZE + 10.0 + LABEL_SIZE,
        escape(&fit_text(&plot.x.label, LABEL_SIZE, l.right - l.left))
    );
    let cy = (l.top + l.bottom) / 2.0;
    let _ = writeln!(
        out,
        r##"<text class="axis-label y" x="{:.1}" y="{cy:.1}" font-size="{LABEL_SIZE}" text-anchor="middle" fill="#222222" transform="rotate(-90 {:.1} {cy:.1})">{}</text>"##,
        14.0 + LABEL_SIZE * 0.8,
        14.0 + LABEL_SIZE * 0.8,
        escape(&fit_text(&plot.y.label, LABEL_SIZE, l.bottom - l.top))
    );
}

/// Where the x axis changes scale: a gap with two slanted strokes on the bottom and top edges
/// of the frame, and a note, so the change cannot be missed.
fn draw_break(out: &mut String, l: &Layout, x: f64, at: f64) {
    let _ = writeln!(out, r#"<g class="axis-break" data-x="{at}">"#);
    for y in [l.bottom, l.top] {
        let _ = writeln!(
            out,
            r##"<rect x="{:.1}" y="{:.1}" width="6" height="8" fill="#ffffff"/>"##,
            x - 3.0,
            y - 4.0
        );
        for dx in [-3.0, 3.0] {
            let _ = writeln!(
                out,
                r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#555555" stroke-width="1.2"/>"##,
                x + dx - 2.0,
                y + 5.0,
                x + dx + 2.0,
                y - 5.0
            );
        }
    }
    let _ = writeln!(
        out,
        r##"<text class="break-note" x="{:.1}" y="{:.1}" font-size="{TICK_SIZE}" text-anchor="start" fill="#555555">x scale changes: linear from here</text>"##,
        x + 6.0,
        l.bottom - 6.0
    );
    out.push_str("</g>\n");
}

fn draw_bands(out: &mut String, plot: &Plot, l: &Layout, xs: &XMap, ys: &Scale) {
    for band in &plot.bands {
        let pts: Vec<_> = band
            .points
            .iter()
            .filter(|(x, lo, hi)| xs.accepts(*x) && ys.accepts(*lo) && ys.accepts(*hi))
            .collect();
        if pts.is_empty() {
            continue;
        }
        let mut d = String::new();
        for (i, (x, _, hi)) in pts.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.2} {:.2} ",
                if i == 0 { "M" } else { "L" },
                l.px(xs, *x),
                l.py(ys, *hi)
            );
        }
        for (x, lo, _) in pts.iter().rev() {
            let _ = write!(d, "L{:.2} {:.2} ", l.px(xs, *x), l.py(ys, *lo));
        }
        d.push('Z');
        let _ = writeln!(
            out,
            r#"<path class="band" data-label="{}" data-points="{}" d="{d}" fill="{}" fill-opacity="0.18" stroke="none"/>"#,
            escape(&band.label),
            pts.len(),
            band.color
        );
    }
}

fn draw_markers(out: &mut String, plot: &Plot, l: &Layout, xs: &XMap) {
    for (i, m) in plot.markers.iter().enumerate() {
        if !xs.accepts(m.x) {
            continue;
        }
        let x = l.px(xs, m.x);
        let _ = writeln!(
            out,
            r##"<line class="phase-marker" data-x="{}" x1="{x:.2}" y1="{:.1}" x2="{x:.2}" y2="{:.1}" stroke="#555555" stroke-width="1.2" stroke-dasharray="5 4"/>"##,
            m.x, l.top, l.bottom
        );
        // Labels sit inside the plot area, left of the line (right of it when there is no
        // room on the left), staggered when several boundaries are close together.
        let (label_x, anchor) = if x - 4.0 - text_width(&m.label, TICK_SIZE) < l.left {
            (x + 4.0, "start")
        } else {
            (x - 4.0, "end")
        };
        let _ = writeln!(
            out,
            r##"<text class="marker-label" x="{label_x:.1}" y="{:.1}" font-size="{TICK_SIZE}" text-anchor="{anchor}" fill="#555555">{}</text>"##,
            l.top + TICK_SIZE + 4.0 + (i % 4) as f64 * (TICK_SIZE + 3.0),
            escape(&m.label)
        );
    }
}

fn draw_series(out: &mut String, plot: &Plot, l: &Layout, xs: &XMap, ys: &Scale) {
    let mut beyond = 0;
    for s in &plot.series {
        // A point beyond the y range breaks the line there and is marked at the edge.
        let mut d = String::new();
        let mut drawn = Vec::new();
        let mut pen_down = false;
        for &(x, y) in s
            .points
            .iter()
            .filter(|(x, y)| xs.accepts(*x) && ys.accepts(*y))
        {
            let px = l.px(xs, x);
            if let Some(edge) = crate::robust::beyond(ys, y) {
                beyond += 1;
                pen_down = false;
                let (tip, base) = match edge {
                    crate::robust::Edge::Above => (l.top + 1.0, l.top + 9.0),
                    crate::robust::Edge::Below => (l.bottom - 1.0, l.bottom - 9.0),
                };
                let _ = writeln!(
                    out,
                    r#"<path class="beyond-range" data-label="{}" data-y="{y}" d="M{px:.2} {tip:.2} L{:.2} {base:.2} L{:.2} {base:.2} Z" fill="{}"/>"#,
                    escape(&s.label),
                    px - 5.0,
                    px + 5.0,
                    s.style.color
                );
                continue;
            }
            let py = l.py(ys, y);
            let _ = write!(
                d,
                "{}{px:.2} {py:.2}",
                if pen_down {
                    " L"
                } else if d.is_empty() {
                    "M"
                } else {
                    " M"
                }
            );
            pen_down = true;
            drawn.push((px, py));
        }
        if drawn.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            r#"<path class="series" data-label="{}" data-points="{}" d="{d}" {}/>"#,
            escape(&s.label),
            drawn.len(),
            attr_style(&s.style, 2.0)
        );
        if drawn.len() <= MAX_DOTTED_POINTS {
            for (x, y) in &drawn {
                let _ = writeln!(
                    out,
                    r#"<circle class="point" cx="{x:.2}" cy="{y:.2}" r="2.6" fill="{}"/>"#,
                    s.style.color
                );
            }
        }
    }
    if beyond > 0 {
        let _ = writeln!(
            out,
            r##"<text class="beyond-note" x="{:.1}" y="{:.1}" font-size="{TICK_SIZE}" text-anchor="end" fill="#555555">{beyond} point{} beyond the y range, marked at its edge</text>"##,
            l.right - 6.0,
            l.bottom - 6.0,
            if beyond == 1 { "" } else { "s" }
        );
    }
}

fn draw_legend(out: &mut String, plot: &Plot, l: &Layout) {
    if plot.legend.is_empty() {
        return;
    }
    out.push_str("<g class=\"legend\">\n");
    let mut y = l.top + 4.0;
    let text_room = l.legend_width - SWATCH - 8.0 - 8.0;
    if let Some(title) = &plot.legend_title {
        y += LEGEND_SIZE;
        let _ = writeln!(
            out,
            r##"<text class="legend-title" x="{:.1}" y="{y:.1}" font-size="{LEGEND_SIZE}" font-weight="bold" fill="#222222">{}</text>"##,
            l.legend_x,
            escape(&fit_text(title, LEGEND_SIZE, l.legend_width - 8.0))
        );
        y += 6.0;
    }
    let row = LEGEND_SIZE + 6.0;
    let room = ((l.bottom + 40.0 - y) / row).floor().max(1.0) as usize;
    let shown = if plot.legend.len() > room {
        room - 1
    } else {
        plot.legend.len()
    };
    for e in &plot.legend[..shown] {
        y += row;
        let cy = y - LEGEND_SIZE * 0.35;
        let _ = writeln!(
            out,
            r#"<line class="legend-swatch" x1="{:.1}" y1="{cy:.1}" x2="{:.1}" y2="{cy:.1}" {}/>"#,
            l.legend_x,
            l.legend_x + SWATCH,
            attr_style(&e.style, 2.5)
        );
        let _ = writeln!(
            out,
            r##"<text class="legend-entry" x="{:.1}" y="{y:.1}" font-size="{LEGEND_SIZE}" fill="#222222">{}</text>"##,
            l.legend_x + SWATCH + 8.0,
            escape(&fit_text(&e.label, LEGEND_SIZE, text_room))
        );
    }
    if shown < plot.legend.len() {
        // Too many rows for the height: say how many are left out rather than overflow.
        let _ = writeln!(
            out,
            r##"<text class="legend-more" x="{:.1}" y="{:.1}" font-size="{LEGEND_SIZE}" fill="#555555">… and {} more</text>"##,
            l.legend_x,
            y + row,
            plot.legend.len() - shown
        );
    }
    out.push_str("</g>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::{Axis, LegendEntry, Series};

    fn plot(n: usize) -> Plot {
        let axis = |label: &str| Axis::linear(label);
        let series: Vec<Series> = (0..n)
            .map(|i| Series {
                label: format!("run <{i}> & co"),
                group: format!("run <{i}> & co"),
                points: vec![(0.0, i as f64), (1.0, i as f64 + 1.0)],
                style: Style::solid(crate::palette::color(i)),
            })
            .collect();
        Plot {
            title: "t".into(),
            x: axis("x"),
            y: axis("y"),
            legend: series
                .iter()
                .map(|s| LegendEntry {
                    label: s.label.clone(),
                    style: s.style.clone(),
                })
                .collect(),
            series,
            bands: Vec::new(),
            markers: Vec::new(),
            legend_title: None,
            notes: Vec::new(),
        }
    }

    #[test]
    fn legend_rows_that_do_not_fit_are_counted() {
        let svg = render(&plot(3), 900.0, 520.0);
        assert_eq!(svg.matches("class=\"legend-entry\"").count(), 3);
        assert!(svg.contains(">run &lt;0&gt; &amp; co</text>"));
        assert!(!svg.contains("legend-more"));
        let svg = render(&plot(60), 900.0, 520.0);
        let shown = svg.matches("class=\"legend-entry\"").count();
        assert!(shown < 60 && shown > 10, "{shown}");
        assert!(svg.contains(&format!("… and {} more", 60 - shown)));
        assert_eq!(svg.matches("class=\"series\"").count(), 60);
    }
}
