//! Plots drawn with plotters, each saved as PNG and SVG. Text uses the DejaVu Sans font
//! embedded in this crate, so drawing needs no system fonts.

pub mod bars;
pub mod heatmap;
pub mod lines;

use std::fs;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle, RGBColor};

use crate::error::ReportError;

/// The family every text of the plots uses (registered from the embedded font).
pub const FONT: &str = "sans-serif";

/// DejaVu Sans (Bitstream Vera license: `assets/fonts/LICENSE-DejaVu.txt`).
static FONT_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Distinct line and bar colours (Tableau 10), cycled.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of series `i`.
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Registers the embedded font once; false if it could not be parsed.
fn font_ready() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| register_font(FONT, FontStyle::Normal, FONT_TTF).is_ok())
}

/// A drawing error, as text.
pub type DrawResult = Result<(), String>;

/// Converts a plotters drawing error into text.
pub fn drawn<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

/// A plot that draws itself on any plotters backend.
pub trait Figure {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws the figure on `root` (already filled white).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult;
}

/// The two files a figure is saved as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// The PNG image.
    pub png: PathBuf,
    /// The SVG image.
    pub svg: PathBuf,
}

/// Draws `figure` into `dir/NAME.png` and `dir/NAME.svg`.
pub fn save(figure: &impl Figure, dir: &Path, name: &str) -> Result<Saved, ReportError> {
    let png = dir.join(format!("{name}.png"));
    let svg = dir.join(format!("{name}.svg"));
    if !font_ready() {
        return Err(ReportError::output(
            &png,
            "the embedded font could not be loaded",
        ));
    }
    let (w, h) = figure.size();
    let mut pixels = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        paint(figure, &root).map_err(|e| ReportError::output(&png, e))?;
    }
    write_png(&png, &pixels, (w, h))?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (w, h)).into_drawing_area();
        paint(figure, &root).map_err(|e| ReportError::output(&svg, e))?;
    }
    fs::write(&svg, text).map_err(|e| ReportError::output(&svg, e))?;
    Ok(Saved { png, svg })
}

fn paint<DB: DrawingBackend>(figure: &impl Figure, root: &DrawingArea<DB, Shift>) -> DrawResult {
    drawn(root.fill(&WHITE))?;
    figure.draw(root)?;
    drawn(root.present())
}

/// Encodes 8-bit RGB `pixels` as a PNG file.
fn write_png(path: &Path, pixels: &[u8], (w, h): (u32, u32)) -> Result<(), ReportError> {
    let file = fs::File::create(path).map_err(|e| ReportError::output(path, e))?;
    let mut encoder = png::Encoder::new(BufWriter::new(file), w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|e| ReportError::output(path, e))?;
    writer
        .write_image_data(pixels)
        .and_then(|()| writer.finish())
        .map_err(|e| ReportError::output(path, e))
}

/// A text style of the embedded font at `size` pixels.
pub fn text(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().into()
}

/// An axis tick label: whole numbers without decimals, others with at most three.
pub fn axis_number(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{x:.0}")
    } else {
        let text = format!("{x:.3}");
        text.trim_end_matches('0').to_string()
    }
}

/// An axis range covering `values` (finite ones) with 5 % headroom, from zero when all are
/// non-negative; (0, 1) when there are none.
pub fn value_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return (0.0, 1.0);
    }
    let lo = lo.min(0.0);
    let span = if hi > lo { hi - lo } else { hi.abs().max(1.0) };
    (lo, hi + 0.05 * span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_numbers_drop_useless_decimals() {
        assert_eq!(axis_number(10.0), "10");
        assert_eq!(axis_number(0.5), "0.5");
        assert_eq!(axis_number(0.125), "0.125");
    }

    #[test]
    fn ranges_start_at_zero_for_non_negative_values() {
        assert_eq!(value_range([2.0, 4.0].into_iter()), (0.0, 4.2));
        assert_eq!(value_range([-1.0, 1.0].into_iter()), (-1.0, 1.1));
        assert_eq!(value_range(std::iter::empty()), (0.0, 1.0));
        assert_eq!(value_range([0.0, f64::NAN].into_iter()), (0.0, 0.05));
    }
}
