//! Comparisons across labelled rows: a dot per row at its mean with whiskers (its interval)
//! and every replica as an open circle, or plain bars from zero for single values.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{around, range, Quantity};
use super::frame::{wrap, x_area, Axis, Frame, Grid};
use super::scene::Recorder;
use super::{colour, drawn, DrawResult, Figure, Style};

/// One row: a label, a value or mean, its interval and the values behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Dot {
    /// The row's label.
    pub label: String,
    /// The value, or the mean of `values`.
    pub mean: f64,
    /// Low end of the whisker (equal to `mean` for none).
    pub lo: f64,
    /// High end of the whisker.
    pub hi: f64,
    /// The values behind the mean (each drawn as an open circle), empty for a single value.
    pub values: Vec<f64>,
}

/// Rows compared along one value axis, top to bottom in the given order.
#[derive(Debug, Clone, PartialEq)]
pub struct DotFigure {
    /// The value axis' description.
    pub axis: String,
    /// What the values measure (decides the axis range).
    pub quantity: Quantity,
    /// The rows.
    pub rows: Vec<Dot>,
    /// Bars from zero instead of dots (single values of a non-negative quantity).
    pub bars: bool,
}

impl DotFigure {
    fn label_width(&self, style: &Style) -> f64 {
        f64::from(style.width()) * 0.42
    }

    fn labels(&self, style: &Style) -> Vec<Vec<String>> {
        let w = self.label_width(style);
        self.rows.iter().map(|r| wrap(style, &r.label, w)).collect()
    }

    fn row_height(&self, style: &Style) -> f64 {
        let lines = self.labels(style).iter().map(Vec::len).max().unwrap_or(1) as f64;
        (lines * style.line() * 1.1 + style.px(5.0)).max(style.px(14.0))
    }
}

impl Figure for DotFigure {
    fn size(&self, style: &Style) -> (u32, u32) {
        let rows = self.rows.len().max(1) as f64;
        let h =
            style.px(6.0) + rows * self.row_height(style) + f64::from(x_area(style, true) as u32);
        (style.width(), h.ceil() as u32)
    }

    fn draw(&self, root: &DrawingArea<Recorder, Shift>, style: &Style) -> DrawResult {
        let labels = self.labels(style);
        let widest = labels
            .iter()
            .flatten()
            .map(|l| style.text_width(l))
            .fold(0.0, f64::max);
        let left = (widest + style.px(8.0)).ceil() as i32;
        let top = style.px(6.0) as i32;
        let row_h = self.row_height(style);
        let bottom = top + (row_h * self.rows.len().max(1) as f64) as i32;
        let values = self.rows.iter().flat_map(|r| {
            [r.mean, r.lo, r.hi]
                .into_iter()
                .chain(r.values.iter().copied())
        });
        let xr = if self.bars {
            range(self.quantity, values)
        } else {
            around(self.quantity, values)
        };
        let frame = Frame {
            left,
            top,
            right: style.width() as i32 - style.px(10.0) as i32,
            bottom,
            x: Axis::of(self.quantity, xr, 6, &self.axis),
            y: Axis {
                lo: 0.0,
                hi: self.rows.len().max(1) as f64,
                ticks: Vec::new(),
                decimals: 0,
                label: String::new(),
            },
        };
        frame.draw(root, style, (true, true), (false, false), Grid::X)?;
        let ink = colour(0);
        let whisker = RGBColor(30, 30, 30).stroke_width(style.ipx(0.9));
        let cap = style.px(3.0) as i32;
        for (i, r) in self.rows.iter().enumerate() {
            // Row i from the top: y value rows − i − 0.5.
            let yv = self.rows.len() as f64 - i as f64 - 0.5;
            let y = frame.px_y(yv);
            let s = style.text().pos(Pos::new(HPos::Right, VPos::Center));
            let n = labels[i].len() as f64;
            for (k, line) in labels[i].iter().enumerate() {
                let dy = ((k as f64 - (n - 1.0) / 2.0) * style.line() * 1.1) as i32;
                let x = left - style.px(5.0) as i32;
                drawn(root.draw(&Text::new(line.clone(), (x, y + dy), s.clone())))?;
            }
            if self.bars {
                let half = (row_h * 0.28) as i32;
                let (x0, x1) = (frame.px_x(0.0), frame.px_x(r.mean));
                drawn(root.draw(&Rectangle::new(
                    [(x0, y - half), (x1, y + half)],
                    ink.mix(0.85).filled(),
                )))?;
                continue;
            }
            if r.hi > r.lo {
                let (a, b) = (frame.px_x(r.lo), frame.px_x(r.hi));
                drawn(root.draw(&PathElement::new(vec![(a, y), (b, y)], whisker)))?;
                for x in [a, b] {
                    drawn(root.draw(&PathElement::new(vec![(x, y - cap), (x, y + cap)], whisker)))?;
                }
            }
            // Each replica: an open circle just above the line, so it never hides the mean.
            let lift = (row_h * 0.22) as i32;
            for v in &r.values {
                let at = (frame.px_x(*v), y - lift);
                let ring = RGBColor(90, 90, 90).stroke_width(style.ipx(0.5));
                drawn(root.draw(&Circle::new(at, style.px(1.6) as i32, ring)))?;
            }
            drawn(root.draw(&Circle::new(
                (frame.px_x(r.mean), y),
                style.px(2.4) as i32,
                ink.filled(),
            )))?;
        }
        Ok(())
    }
}
