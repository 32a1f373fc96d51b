//! The one font of every figure, DejaVu Sans, embedded in this crate: text measured and laid
//! out glyph by glyph, the same way for every output format. No system font is ever used.

use std::sync::OnceLock;

use ab_glyph::{Font as _, FontRef, GlyphId, OutlineCurve};

/// DejaVu Sans (Bitstream Vera license: `assets/fonts/LICENSE-DejaVu.txt`).
pub static FONT_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// The font's PostScript name, as PDF files name it.
pub const FONT_NAME: &str = "DejaVuSans";

/// The parsed embedded font; `None` if it could not be parsed (it always can: it is a fixed
/// file, and a test checks it).
pub fn font() -> Option<&'static FontRef<'static>> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(FONT_TTF).ok())
        .as_ref()
}

/// The font's metrics in font units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// Units per em.
    pub units_per_em: f64,
    /// Ascent above the baseline (positive).
    pub ascent: f64,
    /// Descent below the baseline (negative).
    pub descent: f64,
}

/// The embedded font's metrics.
pub fn metrics() -> Metrics {
    font().map_or(
        Metrics {
            units_per_em: 2048.0,
            ascent: 1901.0,
            descent: -483.0,
        },
        |f| Metrics {
            units_per_em: f64::from(f.units_per_em().unwrap_or(2048.0)),
            ascent: f64::from(f.ascent_unscaled()),
            descent: f64::from(f.descent_unscaled()),
        },
    )
}

/// One placed glyph of a line of text: its id and its pen position along the line, in em.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    /// The glyph.
    pub glyph: u16,
    /// The character it shows.
    pub ch: char,
    /// Pen position from the start of the line, in em.
    pub x_em: f64,
}

/// Lays out `text` on one line (kerning applied): its glyphs and the line's advance, in em.
pub fn layout(text: &str) -> (Vec<Placed>, f64) {
    let Some(f) = font() else {
        return (Vec::new(), 0.0);
    };
    let upem = metrics().units_per_em;
    let mut x = 0.0;
    let mut prev: Option<GlyphId> = None;
    let mut out = Vec::with_capacity(text.len());
    for ch in text.chars() {
        let id = f.glyph_id(ch);
        if let Some(p) = prev {
            x += f64::from(f.kern_unscaled(p, id)) / upem;
        }
        out.push(Placed {
            glyph: id.0,
            ch,
            x_em: x,
        });
        x += f64::from(f.h_advance_unscaled(id)) / upem;
        prev = Some(id);
    }
    (out, x)
}

/// The advance width of glyph `id`, in font units.
pub fn advance(id: u16) -> f64 {
    font().map_or(0.0, |f| f64::from(f.h_advance_unscaled(GlyphId(id))))
}

/// A glyph outline as closed contours of path commands, in em (y up).
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    /// Start a contour.
    Move(f64, f64),
    /// A straight line.
    Line(f64, f64),
    /// A quadratic Bézier curve: control, end.
    Quad(f64, f64, f64, f64),
    /// A cubic Bézier curve: two controls, end.
    Cubic(f64, f64, f64, f64, f64, f64),
}

/// The outline of glyph `id` in em, y up (empty for blanks).
pub fn outline(id: u16) -> Vec<Seg> {
    let Some(f) = font() else {
        return Vec::new();
    };
    let Some(o) = f.outline(GlyphId(id)) else {
        return Vec::new();
    };
    let s = 1.0 / metrics().units_per_em;
    let p = |v: ab_glyph::Point| (f64::from(v.x) * s, f64::from(v.y) * s);
    let mut out = Vec::new();
    let mut at: Option<(f64, f64)> = None;
    for c in &o.curves {
        let (start, seg) = match *c {
            OutlineCurve::Line(a, b) => (p(a), Seg::Line(p(b).0, p(b).1)),
            OutlineCurve::Quad(a, b, c) => (p(a), Seg::Quad(p(b).0, p(b).1, p(c).0, p(c).1)),
            OutlineCurve::Cubic(a, b, c, d) => (
                p(a),
                Seg::Cubic(p(b).0, p(b).1, p(c).0, p(c).1, p(d).0, p(d).1),
            ),
        };
        let near = |q: (f64, f64)| (q.0 - start.0).abs() < 1e-9 && (q.1 - start.1).abs() < 1e-9;
        if !at.is_some_and(near) {
            out.push(Seg::Move(start.0, start.1));
        }
        at = Some(match seg {
            Seg::Line(x, y) | Seg::Quad(_, _, x, y) | Seg::Cubic(_, _, _, _, x, y) => (x, y),
            Seg::Move(x, y) => (x, y),
        });
        out.push(seg);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_font_parses_and_lays_out_text() {
        assert!(font().is_some());
        let m = metrics();
        assert_eq!(m.units_per_em, 2048.0);
        let (glyphs, width) = layout("AV 10");
        assert_eq!(glyphs.len(), 5);
        // Kerning pulls V towards A: less than the two advances.
        let a = advance(glyphs[0].glyph) / m.units_per_em;
        assert!(glyphs[1].x_em < a, "{} vs {a}", glyphs[1].x_em);
        assert!(width > 2.0 && width < 4.0, "{width}");
        assert!(!outline(glyphs[0].glyph).is_empty());
        assert!(
            outline(glyphs[2].glyph).is_empty(),
            "a space has no outline"
        );
    }
}
