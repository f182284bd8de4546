//! Axis scales: data values to a 0..1 position, and tick values a person can read.

/// How an axis maps values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScaleKind {
    /// Evenly spaced values.
    #[default]
    Linear,
    /// Evenly spaced decades; only positive values can be shown.
    Log,
}

/// A scale over a closed domain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// Linear or log.
    pub kind: ScaleKind,
    /// Lower end of the domain.
    pub min: f64,
    /// Upper end of the domain.
    pub max: f64,
}

impl Scale {
    /// A scale covering `values` (finite ones; positive ones for log), padded so that lines do
    /// not touch the frame. An empty or single-valued set gets a small domain around it.
    pub fn fit(kind: ScaleKind, values: impl IntoIterator<Item = f64>, pad: f64) -> Scale {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for v in values {
            if v.is_finite() && (kind == ScaleKind::Linear || v > 0.0) {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        if lo > hi {
            return match kind {
                ScaleKind::Linear => Scale {
                    kind,
                    min: 0.0,
                    max: 1.0,
                },
                ScaleKind::Log => Scale {
                    kind,
                    min: 1.0,
                    max: 10.0,
                },
            };
        }
        match kind {
            ScaleKind::Linear => {
                let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
                Scale {
                    kind,
                    min: lo - span * pad,
                    max: hi + span * pad,
                }
            }
            ScaleKind::Log => {
                let (l, h) = (lo.log10(), hi.log10());
                let span = if h > l { h - l } else { 1.0 };
                Scale {
                    kind,
                    min: 10f64.powf(l - span * pad),
                    max: 10f64.powf(h + span * pad),
                }
            }
        }
    }

    /// Whether `v` can be placed on this scale at all.
    pub fn accepts(&self, v: f64) -> bool {
        v.is_finite() && (self.kind == ScaleKind::Linear || v > 0.0)
    }

    /// The position of `v` in the domain, 0 at `min` and 1 at `max`.
    pub fn position(&self, v: f64) -> f64 {
        match self.kind {
            ScaleKind::Linear => (v - self.min) / (self.max - self.min),
            ScaleKind::Log => {
                (v.log10() - self.min.log10()) / (self.max.log10() - self.min.log10())
            }
        }
    }

    /// Tick values inside the domain: about `target` of them on a linear scale; decades (with
    /// 2 and 5 between them when the domain spans few decades) on a log scale.
    pub fn ticks(&self, target: usize) -> Vec<f64> {
        match self.kind {
            ScaleKind::Linear => linear_ticks(self.min, self.max, target),
            ScaleKind::Log => log_ticks(self.min, self.max, target),
        }
    }
}

fn linear_ticks(min: f64, max: f64, target: usize) -> Vec<f64> {
    let span = max - min;
    if span <= 0.0 || !span.is_finite() {
        return vec![min];
    }
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= target as f64 + 1.0)
        .unwrap_or(10.0 * mag);
    let first = (min / step).ceil() as i64;
    let last = (max / step).floor() as i64;
    // Multiplying an integer index keeps 0.1 * 3 from drifting to 0.30000000000000004.
    (first..=last)
        .map(|i| round_to(i as f64 * step, step))
        .collect()
}

fn round_to(v: f64, step: f64) -> f64 {
    let decimals = (-step.log10().floor()).max(0.0) as i32 + 2;
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

fn log_ticks(min: f64, max: f64, target: usize) -> Vec<f64> {
    let (lo, hi) = (min.log10(), max.log10());
    let decades = hi - lo;
    if decades < 0.5 {
        // Less than a factor of ~3: decades would leave the axis bare.
        return linear_ticks(min, max, target);
    }
    let multipliers: &[f64] = if decades <= 2.0 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let stride = ((decades / target.max(1) as f64).ceil() as i64).max(1);
    let mut out = Vec::new();
    let mut e = lo.floor() as i64;
    while e <= hi.ceil() as i64 {
        for m in multipliers {
            let v = m * 10f64.powi(e as i32);
            if v >= min * (1.0 - 1e-9) && v <= max * (1.0 + 1e-9) {
                out.push(v);
            }
        }
        e += stride;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_round() {
        let s = Scale {
            kind: ScaleKind::Linear,
            min: 0.0,
            max: 1.0,
        };
        assert_eq!(s.ticks(5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        let s = Scale {
            kind: ScaleKind::Linear,
            min: 0.23,
            max: 0.61,
        };
        assert_eq!(s.ticks(5), vec![0.3, 0.4, 0.5, 0.6]);
    }

    #[test]
    fn log_ticks_are_decades_or_1_2_5() {
        let s = Scale {
            kind: ScaleKind::Log,
            min: 1e8,
            max: 2e11,
        };
        assert_eq!(s.ticks(6), vec![1e8, 1e9, 1e10, 1e11]);
        let s = Scale {
            kind: ScaleKind::Log,
            min: 1e9,
            max: 3e10,
        };
        assert_eq!(s.ticks(6), vec![1e9, 2e9, 5e9, 1e10, 2e10]);
    }

    #[test]
    fn positions() {
        let s = Scale {
            kind: ScaleKind::Log,
            min: 1e8,
            max: 1e10,
        };
        assert!((s.position(1e9) - 0.5).abs() < 1e-12);
        let s = Scale::fit(ScaleKind::Linear, [2.0, 4.0], 0.0);
        assert_eq!((s.min, s.max), (2.0, 4.0));
        assert_eq!(s.position(3.0), 0.5);
        let s = Scale::fit(ScaleKind::Log, [0.0, -1.0, 10.0, 1000.0], 0.0);
        assert_eq!((s.min, s.max), (10.0, 1000.0));
        assert!(!s.accepts(0.0));
    }
}
