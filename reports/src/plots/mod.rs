//! Figures for print: plotters lays each chart out into a display list ([`scene`]), which is
//! saved as PNG ([`raster`]), SVG ([`svg`], glyphs as paths) and PDF ([`pdf`], font embedded).
//! Sizes follow a paper's columns ([`Size`]); every length is given in points, so text keeps
//! its size in print whatever the resolution. Text uses the DejaVu Sans font embedded in this
//! crate ([`font`]); no system font is ever read.

pub mod axis;
pub mod dots;
pub mod font;
pub mod frame;
pub mod heatmap;
pub mod lines;
pub mod pdf;
pub mod raster;
pub mod scene;
pub mod subset;
pub mod svg;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle, RGBColor};

use crate::error::ReportError;
use scene::{line_height, Recorder, Scene};

/// The family every text of the plots uses (registered from the embedded font).
pub const FONT: &str = "sans-serif";

/// The resolution figures are laid out at (pixels per inch); PNGs are resampled from it.
pub const SCENE_DPI: f64 = 300.0;

/// The Okabe–Ito colour-blind-safe palette, in the order series take it (its yellow last: it
/// is faint on white).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
    RGBColor(0, 0, 0),
    RGBColor(240, 228, 66),
];

/// The colour of series `i`.
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Grey for grid lines.
pub const GRID: RGBColor = RGBColor(225, 225, 225);
/// Dark grey for axes and ticks.
pub const INK: RGBColor = RGBColor(40, 40, 40);

/// The width of a figure: one column of a two-column paper, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// 3.5 in wide: one column.
    Single,
    /// 7.16 in wide: the whole text width.
    Double,
}

impl Size {
    /// The width in inches.
    pub fn inches(self) -> f64 {
        match self {
            Size::Single => 3.5,
            Size::Double => 7.16,
        }
    }
}

/// An output format of the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// A bitmap at [`Style::dpi`].
    Png,
    /// Vector, text as outlines.
    Svg,
    /// Vector, text in the embedded font.
    Pdf,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 3] = [Format::Png, Format::Svg, Format::Pdf];

    /// The file extension.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
            Format::Pdf => "pdf",
        }
    }
}

/// How figures are drawn: their width, base font size and the PNG resolution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    /// Column width.
    pub size: Size,
    /// Font size of every text in points (axis labels, ticks, legends).
    pub font_pt: f64,
    /// PNG resolution in pixels per inch.
    pub dpi: f64,
}

impl Default for Style {
    /// One column, 8 pt text, 200 dpi PNGs.
    fn default() -> Style {
        Style {
            size: Size::Single,
            font_pt: 8.0,
            dpi: 200.0,
        }
    }
}

impl Style {
    /// `pt` points in scene pixels.
    pub fn px(&self, pt: f64) -> f64 {
        pt * SCENE_DPI / 72.0
    }

    /// `pt` points in whole scene pixels (at least 1).
    pub fn ipx(&self, pt: f64) -> u32 {
        self.px(pt).round().max(1.0) as u32
    }

    /// `inches` in whole scene pixels.
    pub fn inch_px(&self, inches: f64) -> u32 {
        (inches * SCENE_DPI).round() as u32
    }

    /// The figure width in scene pixels.
    pub fn width(&self) -> u32 {
        self.inch_px(self.size.inches())
    }

    /// The text style (every text of a figure has the base font size).
    pub fn text(&self) -> TextStyle<'static> {
        let em = self.px(self.font_pt);
        TextStyle::from((FONT, line_height(em)).into_font()).color(&INK)
    }

    /// The height of a line of text in scene pixels.
    pub fn line(&self) -> f64 {
        line_height(self.px(self.font_pt))
    }

    /// The width of `text` in scene pixels.
    pub fn text_width(&self, text: &str) -> f64 {
        font::layout(text).1 * self.px(self.font_pt)
    }
}

/// Registers the embedded font with plotters once; false if it could not be parsed.
fn font_ready() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| {
        font::font().is_some() && register_font(FONT, FontStyle::Normal, font::FONT_TTF).is_ok()
    })
}

/// A drawing error, as text.
pub type DrawResult = Result<(), String>;

/// Converts a plotters drawing error into text.
pub fn drawn<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

/// A plot that draws itself on the recording backend.
pub trait Figure {
    /// Width and height in scene pixels for `style`.
    fn size(&self, style: &Style) -> (u32, u32);
    /// Draws the figure on `root` (already filled white).
    fn draw(&self, root: &DrawingArea<Recorder, Shift>, style: &Style) -> DrawResult;
}

/// Records `figure` drawn in `style`.
pub fn record(figure: &impl Figure, style: &Style) -> Result<Scene, String> {
    if !font_ready() {
        return Err("the embedded font could not be loaded".into());
    }
    let size = figure.size(style);
    let backend = Recorder::new(size, SCENE_DPI);
    let scene = backend.scene();
    {
        let root = backend.into_drawing_area();
        figure.draw(&root, style)?;
        drawn(root.present())?;
    }
    let scene = scene.borrow().clone();
    Ok(scene)
}

/// The files a figure was saved as, and its PNG (for the HTML page) whether or not it was
/// written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// The written files, in format order.
    pub files: Vec<PathBuf>,
    /// The PNG image.
    pub png: Vec<u8>,
}

/// Draws `figure` into `dir/NAME.EXT` for every format of `formats`.
pub fn save(
    figure: &impl Figure,
    style: &Style,
    formats: &[Format],
    dir: &Path,
    name: &str,
) -> Result<Saved, ReportError> {
    let path = |f: Format| dir.join(format!("{name}.{}", f.ext()));
    let scene = record(figure, style).map_err(|e| ReportError::output(&path(Format::Png), e))?;
    let png =
        raster::png(&scene, style.dpi).map_err(|e| ReportError::output(&path(Format::Png), e))?;
    let mut files = Vec::new();
    for &f in formats {
        let p = path(f);
        let bytes = match f {
            Format::Png => png.clone(),
            Format::Svg => svg::svg(&scene).into_bytes(),
            Format::Pdf => pdf::pdf(&scene).map_err(|e| ReportError::output(&p, e))?,
        };
        fs::write(&p, bytes).map_err(|e| ReportError::output(&p, e))?;
        files.push(p);
    }
    Ok(Saved { files, png })
}

/// An axis tick label: whole numbers without decimals, others with at most three.
pub fn axis_number(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        let s = format!("{x:.0}");
        if s == "-0" {
            "0".into()
        } else {
            s
        }
    } else {
        let text = format!("{x:.3}");
        text.trim_end_matches('0').to_string()
    }
}

/// A series marker: one shape per series index, filled, drawn `r` pixels in radius at `at`.
pub fn marker<'a, C: Clone + 'a>(
    i: usize,
    at: C,
    r: i32,
    color: RGBColor,
) -> DynElement<'a, Recorder, C> {
    let style = color.filled();
    let poly = |pts: Vec<(i32, i32)>| EmptyElement::at(at.clone()) + Polygon::new(pts, style);
    match i % 6 {
        0 => (EmptyElement::at(at.clone()) + Circle::new((0, 0), r, style)).into_dyn(),
        1 => poly(vec![(-r, -r), (r, -r), (r, r), (-r, r)]).into_dyn(),
        2 => {
            let h = (r as f64 * 1.25) as i32;
            poly(vec![(0, -h), (h, r), (-h, r)]).into_dyn()
        }
        3 => {
            let h = (r as f64 * 1.35) as i32;
            poly(vec![(0, -h), (h, 0), (0, h), (-h, 0)]).into_dyn()
        }
        4 => {
            let h = (r as f64 * 1.25) as i32;
            poly(vec![(0, h), (h, -r), (-h, -r)]).into_dyn()
        }
        _ => (EmptyElement::at(at.clone())
            + Circle::new((0, 0), r, color.stroke_width((r / 3).max(1) as u32)))
        .into_dyn(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_numbers_drop_useless_decimals() {
        assert_eq!(axis_number(10.0), "10");
        assert_eq!(axis_number(0.5), "0.5");
        assert_eq!(axis_number(0.125), "0.125");
        assert_eq!(axis_number(-0.0), "0");
    }

    #[test]
    fn text_is_at_least_seven_points_in_print() {
        let s = Style::default();
        // 8 pt at 300 dpi is 33 pixels of em; a line is taller than the em.
        assert!((s.px(s.font_pt) - 8.0 * 300.0 / 72.0).abs() < 1e-9);
        assert!(s.line() > s.px(8.0));
        assert_eq!(s.width(), 1050);
        let d = Style {
            size: Size::Double,
            ..s
        };
        assert_eq!(d.width(), 2148);
    }
}
