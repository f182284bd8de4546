//! A y range that one diverging run cannot flatten: values far outside the bulk of the data
//! (a loss of 4,293 among losses near 2) are left outside the range and marked at its edge.

use crate::plot::Plot;
use crate::scale::{Scale, ScaleKind};

/// Fewer values than this are all shown: too few to tell an outlier from the data.
const MIN_VALUES: usize = 8;

/// How far beyond the central 90% of the values (on the scale's own terms: decades on a log
/// scale) the range still reaches, in widths of that central part.
const REACH: f64 = 3.0;

/// The y scale of `plot`, the same for every output format. A log y axis is how a reader
/// asks to see every value; a linear one keeps to the bulk.
pub(crate) fn y_scale(plot: &Plot) -> Scale {
    let ys = plot
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(
            plot.bands
                .iter()
                .flat_map(|b| b.points.iter().flat_map(|p| [p.1, p.2])),
        );
    match plot.y.scale {
        ScaleKind::Linear => fit(plot.y.scale, ys, 0.06),
        ScaleKind::Log => Scale::fit(plot.y.scale, ys, 0.06),
    }
}

/// A scale covering `values` padded by `pad`, except values further than [`REACH`] widths of
/// the central 90% beyond it. With fewer than [`MIN_VALUES`] values, or when the central part
/// has no width, every value is covered.
pub fn fit(kind: ScaleKind, values: impl IntoIterator<Item = f64>, pad: f64) -> Scale {
    let on_scale = |v: f64| match kind {
        ScaleKind::Linear => v,
        ScaleKind::Log => v.log10(),
    };
    let mut sorted: Vec<f64> = values
        .into_iter()
        .filter(|v| v.is_finite() && (kind == ScaleKind::Linear || *v > 0.0))
        .collect();
    if sorted.len() < MIN_VALUES {
        return Scale::fit(kind, sorted, pad);
    }
    sorted.sort_by(f64::total_cmp);
    let (lo, hi) = (
        quantile(&sorted, 0.05, on_scale),
        quantile(&sorted, 0.95, on_scale),
    );
    let reach = (hi - lo) * REACH;
    if reach <= 0.0 {
        return Scale::fit(kind, sorted, pad);
    }
    let kept = sorted.iter().copied().filter(|v| {
        let s = on_scale(*v);
        s >= lo - reach && s <= hi + reach
    });
    Scale::fit(kind, kept, pad)
}

/// The `p` quantile of `sorted` (nearest rank), on the scale's terms.
fn quantile(sorted: &[f64], p: f64, on_scale: impl Fn(f64) -> f64) -> f64 {
    let last = sorted.len() - 1;
    // The index is a rounded fraction of a list length: it fits in usize.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "0 <= p <= 1"
    )]
    let i = ((last as f64) * p).round() as usize;
    on_scale(sorted[i.min(last)])
}

/// Whether `v` lies outside the scale's domain (a value the plot marks instead of drawing).
pub fn beyond(scale: &Scale, v: f64) -> Option<Edge> {
    if !scale.accepts(v) {
        return None;
    }
    if v > scale.max {
        Some(Edge::Above)
    } else if v < scale.min {
        Some(Edge::Below)
    } else {
        None
    }
}

/// Which edge of the range a value lies beyond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// Larger than the range's maximum.
    Above,
    /// Smaller than its minimum.
    Below,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn losses() -> Vec<f64> {
        vec![10.0, 6.0, 4.0, 3.0, 2.6, 2.4, 2.2, 2.1, 2.0, 1.95, 1.9, 1.9]
    }

    #[test]
    fn ordinary_values_are_all_covered() {
        let values = losses();
        let robust = fit(ScaleKind::Linear, values.clone(), 0.0);
        let plain = Scale::fit(ScaleKind::Linear, values, 0.0);
        assert_eq!(robust, plain);
    }

    #[test]
    fn a_diverging_value_is_left_outside() {
        let mut values = losses();
        values.push(4293.0);
        values.push(f64::NAN);
        let s = fit(ScaleKind::Linear, values, 0.0);
        assert_eq!((s.min, s.max), (1.9, 10.0));
        assert_eq!(beyond(&s, 4293.0), Some(Edge::Above));
        assert_eq!(beyond(&s, 1.0), Some(Edge::Below));
        assert_eq!(beyond(&s, 5.0), None);
        assert_eq!(beyond(&s, f64::NAN), None, "NaN is not drawn at all");
    }

    #[test]
    fn few_or_equal_values_are_all_covered() {
        let s = fit(ScaleKind::Linear, [1.0, 2.0, 1000.0], 0.0);
        assert_eq!((s.min, s.max), (1.0, 1000.0));
        let mut same = vec![2.0; 10];
        same.push(50.0);
        let s = fit(ScaleKind::Linear, same, 0.0);
        assert_eq!((s.min, s.max), (2.0, 50.0));
    }

    #[test]
    fn log_scales_measure_in_decades() {
        let mut values: Vec<f64> = (1..=12).map(|i| f64::from(i) * 10.0).collect();
        values.push(1e9);
        let s = fit(ScaleKind::Log, values, 0.0);
        assert!(
            (s.min - 10.0).abs() < 1e-9 && (s.max - 120.0).abs() < 1e-9,
            "{s:?}"
        );
    }
}
