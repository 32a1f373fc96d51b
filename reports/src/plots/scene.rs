//! A figure as a display list: plotters lays the chart out and draws into a [`Recorder`], which
//! keeps every line, shape and text as a vector item ([`Item`]). The list is then rendered as
//! PNG, SVG or PDF, so the three formats show exactly the same drawing.

use std::cell::RefCell;
use std::convert::Infallible;
use std::rc::Rc;

use plotters::prelude::DrawingBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontTransform,
};

use super::font;

/// A colour with opacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgba {
    /// Red, green, blue.
    pub rgb: (u8, u8, u8),
    /// Opacity, 0–1.
    pub alpha: f64,
}

impl From<BackendColor> for Rgba {
    fn from(c: BackendColor) -> Rgba {
        Rgba {
            rgb: c.rgb,
            alpha: c.alpha.clamp(0.0, 1.0),
        }
    }
}

/// One drawn item, in pixels of the scene (origin top left, y down).
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A polyline of `width` pixels (round joins, butt caps).
    Stroke {
        /// Its vertices.
        points: Vec<(f64, f64)>,
        /// Colour.
        color: Rgba,
        /// Line width in pixels.
        width: f64,
    },
    /// A filled polygon.
    Fill {
        /// Its vertices.
        points: Vec<(f64, f64)>,
        /// Colour.
        color: Rgba,
    },
    /// A circle, filled or outlined.
    Circle {
        /// Centre.
        center: (f64, f64),
        /// Radius in pixels.
        radius: f64,
        /// Colour.
        color: Rgba,
        /// Filled, or outlined with `width`.
        fill: bool,
        /// Outline width in pixels.
        width: f64,
    },
    /// A line of text.
    Text {
        /// The text.
        text: String,
        /// Start of its baseline.
        origin: (f64, f64),
        /// Its em size in pixels.
        em: f64,
        /// Reading direction (unit vector).
        dir: (f64, f64),
        /// The glyphs' up direction (unit vector).
        up: (f64, f64),
        /// Colour.
        color: Rgba,
    },
}

/// A recorded figure: its size in pixels at `dpi` pixels per inch, and its items in drawing
/// order.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    /// Width and height in pixels.
    pub size: (u32, u32),
    /// Pixels per inch of the scene (it prints at size / dpi inches).
    pub dpi: f64,
    /// The items, first drawn first.
    pub items: Vec<Item>,
}

impl Scene {
    /// The scene's size in points (1/72 inch).
    pub fn size_pt(&self) -> (f64, f64) {
        let k = 72.0 / self.dpi;
        (f64::from(self.size.0) * k, f64::from(self.size.1) * k)
    }
}

/// The line height (ascent − descent) of text whose em is `em` pixels: plotters' font size.
pub fn line_height(em: f64) -> f64 {
    let m = font::metrics();
    em * (m.ascent - m.descent) / m.units_per_em
}

/// The em of text of plotters' font size `size` (its line height) in pixels.
fn em_of(size: f64) -> f64 {
    let m = font::metrics();
    size * m.units_per_em / (m.ascent - m.descent)
}

/// A plotters backend that records what is drawn (see [`Scene`]). Plotters owns its
/// backend, so the scene is shared: [`Recorder::scene`] keeps a handle to take it back.
#[derive(Debug)]
pub struct Recorder {
    scene: Rc<RefCell<Scene>>,
}

impl Recorder {
    /// An empty scene of `size` pixels at `dpi`.
    pub fn new(size: (u32, u32), dpi: f64) -> Recorder {
        Recorder {
            scene: Rc::new(RefCell::new(Scene {
                size,
                dpi,
                items: Vec::new(),
            })),
        }
    }

    /// A handle on the scene being recorded.
    pub fn scene(&self) -> Rc<RefCell<Scene>> {
        Rc::clone(&self.scene)
    }

    fn push(&mut self, item: Item) {
        self.scene.borrow_mut().items.push(item);
    }
}

fn pt(c: BackendCoord) -> (f64, f64) {
    (f64::from(c.0), f64::from(c.1))
}

/// Where a line of text goes on the page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Start of its baseline.
    pub origin: (f64, f64),
    /// Its em, in pixels.
    pub em: f64,
    /// Unit vector along the reading direction.
    pub dir: (f64, f64),
    /// Unit vector from the baseline up to the glyphs' tops.
    pub up: (f64, f64),
}

/// Where text of `size` (plotters' size: line height) anchored at `pos` with `anchor` and
/// `transform` goes.
pub fn place_text(
    text: &str,
    size: f64,
    anchor: plotters_backend::text_anchor::Pos,
    transform: FontTransform,
    pos: (f64, f64),
) -> Placement {
    let em = em_of(size);
    let (_, width_em) = font::layout(text);
    let width = width_em * em;
    let m = font::metrics();
    let ascent = em * m.ascent / m.units_per_em;
    let dx = match anchor.h_pos {
        HPos::Left => 0.0,
        HPos::Center => -width / 2.0,
        HPos::Right => -width,
    };
    let dy = match anchor.v_pos {
        VPos::Top => 0.0,
        VPos::Center => -size / 2.0,
        VPos::Bottom => -size,
    };
    // Text space (x along the line, y down) to the page.
    let (dir, down) = match transform {
        FontTransform::Rotate90 => ((0.0, 1.0), (-1.0, 0.0)),
        FontTransform::Rotate180 => ((-1.0, 0.0), (0.0, -1.0)),
        FontTransform::Rotate270 => ((0.0, -1.0), (1.0, 0.0)),
        FontTransform::None => ((1.0, 0.0), (0.0, 1.0)),
    };
    let (bx, by) = (dx, dy + ascent);
    let origin = (
        pos.0 + bx * dir.0 + by * down.0,
        pos.1 + bx * dir.1 + by * down.1,
    );
    Placement {
        origin,
        em,
        dir,
        up: (-down.0, -down.1),
    }
}

impl DrawingBackend for Recorder {
    type ErrorType = Infallible;

    fn get_size(&self) -> (u32, u32) {
        self.scene.borrow().size
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let (x, y) = pt(point);
        self.push(Item::Fill {
            points: vec![(x, y), (x + 1.0, y), (x + 1.0, y + 1.0), (x, y + 1.0)],
            color: color.into(),
        });
        Ok(())
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        self.push(Item::Stroke {
            points: vec![pt(from), pt(to)],
            color: style.color().into(),
            width: f64::from(style.stroke_width()),
        });
        Ok(())
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        a: BackendCoord,
        b: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let (x0, y0) = pt(a);
        let (x1, y1) = pt(b);
        let color = style.color().into();
        if fill {
            // Plotters' rectangles include their last pixel row and column.
            let (x1, y1) = (x1 + 1.0, y1 + 1.0);
            self.push(Item::Fill {
                points: vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1)],
                color,
            });
        } else {
            self.push(Item::Stroke {
                points: vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)],
                color,
                width: f64::from(style.stroke_width()),
            });
        }
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let points: Vec<(f64, f64)> = path.into_iter().map(pt).collect();
        if points.len() >= 2 {
            self.push(Item::Stroke {
                points,
                color: style.color().into(),
                width: f64::from(style.stroke_width()),
            });
        }
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        self.push(Item::Circle {
            center: pt(center),
            radius: f64::from(radius),
            color: style.color().into(),
            fill,
            width: f64::from(style.stroke_width()),
        });
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let points: Vec<(f64, f64)> = vert.into_iter().map(pt).collect();
        if points.len() >= 3 {
            self.push(Item::Fill {
                points,
                color: style.color().into(),
            });
        }
        Ok(())
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let color: Rgba = style.color().into();
        if color.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        let Placement {
            origin,
            em,
            dir,
            up,
        } = place_text(
            text,
            style.size(),
            style.anchor(),
            style.transform(),
            pt(pos),
        );
        self.push(Item::Text {
            text: text.to_string(),
            origin,
            em,
            dir,
            up,
            color,
        });
        Ok(())
    }

    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        text: &str,
        style: &T,
    ) -> Result<(u32, u32), DrawingErrorKind<Infallible>> {
        let size = style.size();
        let (_, width_em) = font::layout(text);
        let w = (width_em * em_of(size)).ceil().max(0.0) as u32;
        let (w, h) = (w, size.ceil().max(0.0) as u32);
        Ok(match style.transform() {
            FontTransform::Rotate90 | FontTransform::Rotate270 => (h, w),
            _ => (w, h),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters_backend::text_anchor::Pos;

    #[test]
    fn text_is_placed_by_its_anchor_and_rotation() {
        let size = 40.0;
        let em = em_of(size);
        let Placement {
            origin,
            em: e,
            dir,
            up,
        } = place_text(
            "x",
            size,
            Pos::new(HPos::Left, VPos::Top),
            FontTransform::None,
            (10.0, 20.0),
        );
        assert!((e - em).abs() < 1e-9);
        assert_eq!((dir, up), ((1.0, 0.0), (0.0, -1.0)));
        // The baseline is an ascent below the top.
        assert!(origin.1 > 20.0 + 0.5 * size && origin.1 < 20.0 + size);
        assert_eq!(origin.0, 10.0);
        // Rotated to read upwards (a y axis' label), centred: the baseline is right of the
        // anchor and the text starts below it.
        let Placement {
            origin, dir, up, ..
        } = place_text(
            "label",
            size,
            Pos::new(HPos::Center, VPos::Center),
            FontTransform::Rotate270,
            (100.0, 100.0),
        );
        assert_eq!((dir, up), ((0.0, -1.0), (-1.0, 0.0)));
        assert!(origin.0 > 100.0 && origin.1 > 100.0, "{origin:?}");
    }
}
