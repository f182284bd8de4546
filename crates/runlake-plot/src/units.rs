//! Numbers as people read them on an axis: `150M`, `1.2B` tokens, `3e20` FLOPs.

/// What an axis counts, which decides how its ticks read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Tokens: `150M`, `1.2B`, `2T`.
    Tokens,
    /// Floating-point operations: `3e20`.
    Flops,
    /// Training steps: `1.25K`, `57.8K`.
    Steps,
    /// A plain value (metrics, losses): `0.25`, `1.5`.
    Plain,
}

/// Formats `v` for a tick label of an axis counting `unit`.
pub fn format_value(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Tokens | Unit::Steps => format_si(v),
        Unit::Flops => format_sci(v),
        Unit::Plain => format_plain(v),
    }
}

/// `1_200_000_000` → `1.2B`; suffixes K, M, B, T with at most three significant digits.
pub fn format_si(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    const STEPS: [(f64, &str); 5] = [(1.0, ""), (1e3, "K"), (1e6, "M"), (1e9, "B"), (1e12, "T")];
    let a = v.abs();
    let mut i = STEPS.iter().rposition(|(div, _)| a >= *div).unwrap_or(0);
    // 999,999 rounds to 1000K: show it as 1M instead.
    if i + 1 < STEPS.len() && (v / STEPS[i].0).abs() >= 999.5 {
        i += 1;
    }
    let (div, suffix) = STEPS[i];
    format!("{}{suffix}", trim_number(v / div, 3))
}

/// `3e20`, `1.5e18`; values below 1e4 in plain notation.
pub fn format_sci(v: f64) -> String {
    if !v.is_finite() || v == 0.0 || v.abs() < 1e4 {
        return format_plain(v);
    }
    let exp = v.abs().log10().floor();
    let mantissa = v / 10f64.powf(exp);
    // Rounding can carry 9.999 up to 10.
    let (mantissa, exp) = if (trim_number(mantissa, 3)).starts_with("10") {
        (mantissa / 10.0, exp + 1.0)
    } else {
        (mantissa, exp)
    };
    format!("{}e{}", trim_number(mantissa, 3), exp as i64)
}

/// A metric or loss value: up to four significant digits, no trailing zeros.
pub fn format_plain(v: f64) -> String {
    if v == 0.0 {
        return "0".to_owned();
    }
    if v.abs() >= 1e5 || v.abs() < 1e-3 {
        return format_sci_small(v);
    }
    trim_number(v, 4)
}

fn format_sci_small(v: f64) -> String {
    let exp = v.abs().log10().floor();
    format!("{}e{}", trim_number(v / 10f64.powf(exp), 3), exp as i64)
}

/// `v` with `digits` significant digits and trailing zeros removed.
fn trim_number(v: f64, digits: i32) -> String {
    if v == 0.0 {
        return "0".to_owned();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    };
    if s == "-0" { "0".to_owned() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_read_in_human_units() {
        assert_eq!(format_si(150e6), "150M");
        assert_eq!(format_si(1.2e9), "1.2B");
        assert_eq!(format_si(53_018_886_144.0), "53B");
        assert_eq!(format_si(2e12), "2T");
        assert_eq!(format_si(1250.0), "1.25K");
        assert_eq!(format_si(500.0), "500");
        assert_eq!(format_si(0.0), "0");
        assert_eq!(format_si(999_999.0), "1M");
    }

    #[test]
    fn flops_in_scientific_notation() {
        assert_eq!(format_sci(3e20), "3e20");
        assert_eq!(format_sci(1.5e18), "1.5e18");
        assert_eq!(format_sci(9.9999e18), "1e19");
        assert_eq!(format_sci(100.0), "100");
    }

    #[test]
    fn plain_values() {
        assert_eq!(format_plain(0.25), "0.25");
        assert_eq!(format_plain(1.0 / 3.0), "0.3333");
        assert_eq!(format_plain(13.8496), "13.85");
        assert_eq!(format_plain(2e-4), "2e-4");
        assert_eq!(format_plain(-0.5), "-0.5");
    }
}
