//! PNG output: the SVG rasterised by resvg with the bundled Noto Sans faces, so the result is
//! the same on any machine and needs neither a display nor system fonts.

use resvg::{tiny_skia, usvg};

use crate::error::{PlotError, Result};
use crate::plot::{DEFAULT_SIZE, Plot};

const REGULAR: &[u8] = include_bytes!("../fonts/NotoSans-Regular.ttf");
const BOLD: &[u8] = include_bytes!("../fonts/NotoSans-Bold.ttf");

/// Renders `plot` to a PNG of exactly `width` x `height` pixels.
///
/// The layout is computed at a logical width of about the default size and scaled, so text
/// keeps its proportion to the plot at any resolution.
pub(crate) fn render(plot: &Plot, width: u32, height: u32) -> Result<Vec<u8>> {
    if width == 0 || height == 0 || width > 16_384 || height > 16_384 {
        return Err(PlotError::Size { width, height });
    }
    let scale = width as f64 / DEFAULT_SIZE.0 as f64;
    let (lw, lh) = (width as f64 / scale, height as f64 / scale);
    let svg = crate::svg::render(plot, lw, lh);
    let mut options = usvg::Options {
        font_family: "Noto Sans".to_owned(),
        ..usvg::Options::default()
    };
    let db = options.fontdb_mut();
    db.load_font_data(REGULAR.to_vec());
    db.load_font_data(BOLD.to_vec());
    let tree = usvg::Tree::from_str(&svg, &options).map_err(|e| PlotError::Svg(e.to_string()))?;
    let mut pixmap =
        tiny_skia::Pixmap::new(width, height).ok_or(PlotError::Size { width, height })?;
    let sx = width as f32 / tree.size().width();
    let sy = height as f32 / tree.size().height();
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(sx, sy),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| PlotError::Png(e.to_string()))
}
