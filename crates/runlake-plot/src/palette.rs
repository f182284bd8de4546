//! Colours: the Okabe-Ito palette, which stays distinguishable under the common forms of
//! colour blindness, ordered so that the first colours contrast most on white.

/// Okabe-Ito, without black (kept for pretraining) and with yellow last (faint on white).
pub const OKABE_ITO: [&str; 7] = [
    "#0072B2", // blue
    "#E69F00", // orange
    "#009E73", // bluish green
    "#D55E00", // vermillion
    "#CC79A7", // reddish purple
    "#56B4E9", // sky blue
    "#F0E442", // yellow
];

/// The colour of pretraining segments: neutral, so post-training runs stand out.
pub const PRETRAIN: &str = "#4D4D4D";

/// The colour of runs that lack the value they are coloured by.
pub const MISSING: &str = "#999999";

/// The `i`-th series colour; after the palette runs out colours repeat and [`dash_for`]
/// tells the repeats apart.
pub fn color(i: usize) -> &'static str {
    OKABE_ITO[i % OKABE_ITO.len()]
}

/// The dash pattern of the `i`-th series: solid for the first round of colours, then dashed,
/// then dotted.
pub fn dash_for(i: usize) -> crate::Dash {
    match (i / OKABE_ITO.len()) % 3 {
        0 => crate::Dash::Solid,
        1 => crate::Dash::Dashed,
        _ => crate::Dash::Dotted,
    }
}
