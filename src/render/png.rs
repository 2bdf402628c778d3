//! The sweep chart as PNG: an SVG from [`super::chart`] rasterised by `resvg` at twice its size,
//! with the system's fonts for the text.
//!
//! Owns rasterising only; it never lays anything out and never writes the file.

use resvg::{tiny_skia, usvg};

/// Why an SVG could not be turned into a PNG.
#[derive(Debug, thiserror::Error)]
pub enum PngError {
    /// `usvg` refused the SVG.
    #[error("the chart is not valid SVG: {0}")]
    Svg(#[from] usvg::Error),
    /// The chart has a zero width or height.
    #[error("the chart has no area to draw")]
    NoArea,
    /// The pixels could not be encoded.
    #[error("cannot encode the PNG: {0}")]
    Encode(String),
}

/// Rasterises an SVG to PNG.
pub fn render(svg: &str) -> Result<Vec<u8>, PngError> {
    let mut opt = usvg::Options::default();
    opt.fontdb_mut().load_system_fonts();
    let tree = usvg::Tree::from_str(svg, &opt)?;
    let size = tree.size().to_int_size();
    let scale = 2.0;
    let mut pixmap =
        tiny_skia::Pixmap::new((size.width() as f32 * scale) as u32, (size.height() as f32 * scale) as u32)
            .ok_or(PngError::NoArea)?;
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| PngError::Encode(e.to_string()))
}
