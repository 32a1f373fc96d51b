//! Time series: panels of lines (or steps, for counts) over a shared x axis, stacked or as a
//! grid of small multiples, with bands, markers and a legend below the panels that never
//! covers data.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{range, Quantity};
use super::frame::{wrap, x_area, y_area, Axis, Frame, Grid};
use super::scene::Recorder;
use super::{colour, drawn, marker, DrawResult, Figure, Size, Style};

/// How a series joins its points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Straight lines between points (a quantity sampled at instants).
    Line,
    /// A step holding each value until the next point (a count at each instant).
    StepPost,
    /// A step holding each value back to the previous point (a count per interval).
    StepPre,
}

impl Shape {
    /// The vertices that draw `points` with this shape.
    pub fn vertices(self, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
        let mut out = Vec::with_capacity(points.len() * 2);
        for (i, &(x, y)) in points.iter().enumerate() {
            match (self, i) {
                (Shape::Line, _) | (_, 0) => out.push((x, y)),
                (Shape::StepPost, _) => {
                    out.push((x, points[i - 1].1));
                    out.push((x, y));
                }
                (Shape::StepPre, _) => {
                    out.push((points[i - 1].0, y));
                    out.push((x, y));
                }
            }
        }
        out
    }

    /// The drawn value of `points` (ordered by x) at `x`: on the line between its neighbours,
    /// or the step's level; none outside the points or where a neighbour has no value.
    pub fn value_at(self, points: &[(f64, f64)], x: f64) -> Option<f64> {
        let i = points.partition_point(|p| p.0 <= x);
        if i == 0 || i == points.len() && points[i - 1].0 < x {
            return None;
        }
        let (x0, y0) = points[i - 1];
        let (x1, y1) = points.get(i).copied().unwrap_or((x0, y0));
        let y = match self {
            _ if x == x0 => y0,
            Shape::Line => y0 + (y1 - y0) * (x - x0) / (x1 - x0),
            Shape::StepPost => y0,
            Shape::StepPre => y1,
        };
        y.is_finite().then_some(y)
    }
}

/// One series: points, and optionally a band (x, low, high) around them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Its legend entry.
    pub label: String,
    /// (x, y) points in x order.
    pub points: Vec<(f64, f64)>,
    /// (x, low, high): a shaded band, empty for none.
    pub band: Vec<(f64, f64, f64)>,
}

/// One panel: series drawn in the colour and marker of their index.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// A title above the panel (a small multiple's point), or none.
    pub title: Option<String>,
    /// The y axis' description.
    pub y_label: String,
    /// What y measures: decides its range, ticks and shape.
    pub quantity: Quantity,
    /// How points are joined.
    pub shape: Shape,
    /// The series; series `i` has colour and marker `i` (so the legend is shared).
    pub series: Vec<Series>,
}

/// Panels over a shared x axis: stacked in one column, or a grid of small multiples that
/// share their y range too.
#[derive(Debug, Clone, PartialEq)]
pub struct LineFigure {
    /// The x axis' description.
    pub x_label: String,
    /// What x measures.
    pub x_quantity: Quantity,
    /// The panels, in reading order.
    pub panels: Vec<Panel>,
    /// Panels per row (1: stacked).
    pub columns: usize,
    /// Legend entries by series index (empty: no legend).
    pub legend: Vec<String>,
}

/// Markers drawn along each line (they tell series apart in grey print).
const MARKS: usize = 7;

impl LineFigure {
    fn rows(&self) -> usize {
        self.panels.len().div_ceil(self.columns.max(1))
    }

    fn grid(&self) -> bool {
        self.columns > 1
    }

    fn panel_height(&self, style: &Style) -> u32 {
        let inches = match (self.grid(), style.size) {
            (true, Size::Single) => 1.25,
            (true, Size::Double) => 1.35,
            (false, Size::Single) => 1.5,
            (false, Size::Double) => 1.8,
        };
        style.inch_px(inches)
    }

    /// The y axis of each panel.
    fn y_axes(&self) -> Vec<Axis> {
        let max = if self.grid() { 4 } else { 5 };
        (0..self.panels.len())
            .map(|i| {
                let p = &self.panels[i];
                Axis::of(p.quantity, self.y_range(i), max, &p.y_label)
            })
            .collect()
    }

    /// The left margin shared by every panel (so the plots line up) and the width of a grid
    /// cell.
    fn cells(&self, style: &Style, axes: &[Axis]) -> (i32, i32) {
        let left = axes
            .iter()
            .map(|a| y_area(style, a, true))
            .max()
            .unwrap_or(0);
        let right_pad = style.px(8.0) as i32;
        let cell_w = (style.width() as i32 - left - right_pad) / self.columns.max(1) as i32;
        (left, cell_w)
    }

    /// The title lines of each panel, wrapped to its cell's width.
    fn titles(&self, style: &Style) -> Vec<Vec<String>> {
        let (_, cell_w) = self.cells(style, &self.y_axes());
        let w = f64::from(cell_w) - style.px(3.0);
        self.panels
            .iter()
            .map(|p| match &p.title {
                Some(t) => wrap(style, t, w),
                None => Vec::new(),
            })
            .collect()
    }

    fn title_height(&self, style: &Style) -> u32 {
        let lines = self.titles(style).iter().map(Vec::len).max().unwrap_or(0);
        (lines as f64 * style.line() * 1.1).ceil() as u32
    }

    /// Legend layout: entry width and entries per row.
    fn legend_layout(&self, style: &Style) -> (f64, usize) {
        let widest = self
            .legend
            .iter()
            .map(|l| style.text_width(l))
            .fold(0.0, f64::max);
        let entry = style.px(16.0) + widest + style.px(8.0);
        let usable = f64::from(style.width()) - style.px(8.0);
        let per_row = ((usable / entry).floor() as usize).clamp(1, self.legend.len().max(1));
        (entry, per_row)
    }

    fn legend_height(&self, style: &Style) -> u32 {
        if self.legend.len() < 2 {
            return 0;
        }
        let (_, per_row) = self.legend_layout(style);
        let rows = self.legend.len().div_ceil(per_row);
        (rows as f64 * style.line() * 1.35 + style.px(4.0)).ceil() as u32
    }

    /// The y range of panel `i` (shared across panels in a grid).
    fn y_range(&self, i: usize) -> (f64, f64) {
        let values = |p: &Panel| -> Vec<f64> {
            p.series
                .iter()
                .flat_map(|s| {
                    s.points
                        .iter()
                        .map(|&(_, y)| y)
                        .chain(s.band.iter().flat_map(|&(_, lo, hi)| [lo, hi]))
                })
                .collect()
        };
        if self.grid() {
            let q = self
                .panels
                .first()
                .map_or(Quantity::NonNegative, |p| p.quantity);
            range(q, self.panels.iter().flat_map(values))
        } else {
            range(self.panels[i].quantity, values(&self.panels[i]))
        }
    }

    fn x_range(&self) -> (f64, f64) {
        let xs = self.panels.iter().flat_map(|p| {
            p.series
                .iter()
                .flat_map(|s| s.points.iter().map(|&(x, _)| x))
        });
        let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        if lo > hi {
            (0.0, 1.0)
        } else if self.x_quantity == Quantity::Free {
            (lo, if hi > lo { hi } else { lo + 1.0 })
        } else {
            (lo.min(0.0), if hi > lo.min(0.0) { hi } else { 1.0 })
        }
    }
}

impl Figure for LineFigure {
    fn size(&self, style: &Style) -> (u32, u32) {
        let rows = self.rows() as u32;
        let row = self.panel_height(style) + self.title_height(style);
        let top = style.ipx(6.0);
        let bottom = x_area(style, true) as u32;
        (
            style.width(),
            top + rows * row + bottom + self.legend_height(style),
        )
    }

    fn draw(&self, root: &DrawingArea<Recorder, Shift>, style: &Style) -> DrawResult {
        if self.panels.is_empty() {
            return Ok(());
        }
        let cols = self.columns.max(1);
        let width = style.width() as i32;
        let top = style.px(6.0) as i32;
        let title_h = self.title_height(style) as i32;
        let panel_h = self.panel_height(style) as i32;
        let xr = self.x_range();
        let x_ticks = if self.grid() && style.size == Size::Single {
            4
        } else {
            7
        };
        let x_axis = Axis::of(self.x_quantity, xr, x_ticks, &self.x_label);
        let axes = self.y_axes();
        let (left, cell_w) = self.cells(style, &axes);
        let inner_gap = if self.grid() { style.px(8.0) as i32 } else { 0 };
        let titles = self.titles(style);
        let rows = self.rows();
        let row_gap = if self.grid() {
            x_area(style, false) / 2
        } else {
            style.px(4.0) as i32
        };
        for (i, panel) in self.panels.iter().enumerate() {
            let (r, c) = (i / cols, i % cols);
            let y0 = top + r as i32 * (panel_h + title_h) + title_h;
            let x0 = left + c as i32 * cell_w;
            let frame = Frame {
                left: x0,
                top: y0,
                right: x0 + cell_w - inner_gap,
                bottom: y0 + panel_h - row_gap,
                x: x_axis.clone(),
                y: axes[i].clone(),
            };
            let last_row = r + 1 == rows || i + cols >= self.panels.len();
            let first_col = c == 0;
            frame.draw(
                root,
                style,
                (last_row, last_row && (c == cols / 2 || cols == 1)),
                (first_col, first_col),
                Grid::Y,
            )?;
            for (k, line) in titles[i].iter().enumerate() {
                let y = y0 - title_h + (k as f64 * style.line() * 1.1) as i32;
                let s = style.text().pos(Pos::new(HPos::Left, VPos::Top));
                drawn(root.draw(&Text::new(line.clone(), (x0, y), s)))?;
            }
            self.draw_series(root, style, &frame, panel)?;
        }
        if self.legend.len() >= 2 {
            let (entry, per_row) = self.legend_layout(style);
            let total_h = self.size(style).1 as i32;
            let base = total_h - self.legend_height(style) as i32 + style.px(2.0) as i32;
            let row_h = style.line() * 1.35;
            let used = entry * per_row.min(self.legend.len()) as f64;
            let start = ((f64::from(width) - used) / 2.0).max(0.0);
            for (i, label) in self.legend.iter().enumerate() {
                let (r, c) = (i / per_row, i % per_row);
                let x = (start + c as f64 * entry) as i32;
                let y = base + (r as f64 * row_h + row_h / 2.0) as i32;
                let sample = style.px(14.0) as i32;
                let stroke = colour(i).stroke_width(style.ipx(1.2));
                drawn(root.draw(&PathElement::new(vec![(x, y), (x + sample, y)], stroke)))?;
                drawn(root.draw(&marker(
                    i,
                    (x + sample / 2, y),
                    style.px(2.0) as i32,
                    colour(i),
                )))?;
                let s = style.text().pos(Pos::new(HPos::Left, VPos::Center));
                let tx = x + sample + style.px(3.0) as i32;
                drawn(root.draw(&Text::new(label.clone(), (tx, y), s)))?;
            }
        }
        Ok(())
    }
}

impl LineFigure {
    fn draw_series(
        &self,
        root: &DrawingArea<Recorder, Shift>,
        style: &Style,
        frame: &Frame,
        panel: &Panel,
    ) -> DrawResult {
        let n = panel.series.len().max(1);
        for (k, s) in panel.series.iter().enumerate() {
            let finite = |b: &&(f64, f64, f64)| b.1.is_finite() && b.2.is_finite();
            for part in runs(&s.band, |b| finite(&b)) {
                if part.len() < 2 {
                    continue;
                }
                let lo: Vec<(f64, f64)> = part.iter().map(|&(x, lo, _)| (x, lo)).collect();
                let hi: Vec<(f64, f64)> = part.iter().map(|&(x, _, hi)| (x, hi)).collect();
                let mut poly: Vec<(i32, i32)> = panel
                    .shape
                    .vertices(&lo)
                    .iter()
                    .map(|&(x, y)| frame.px(x, y))
                    .collect();
                poly.extend(
                    panel
                        .shape
                        .vertices(&hi)
                        .iter()
                        .rev()
                        .map(|&(x, y)| frame.px(x, y)),
                );
                drawn(root.draw(&Polygon::new(poly, colour(k).mix(0.2).filled())))?;
            }
        }
        for (k, s) in panel.series.iter().enumerate() {
            for part in runs(&s.points, |p| p.1.is_finite()) {
                let line: Vec<(i32, i32)> = panel
                    .shape
                    .vertices(part)
                    .iter()
                    .map(|&(x, y)| frame.px(x, y))
                    .collect();
                let stroke = colour(k).stroke_width(style.ipx(1.0));
                if line.len() == 1 {
                    drawn(root.draw(&Circle::new(
                        line[0],
                        style.px(0.8) as i32,
                        colour(k).filled(),
                    )))?;
                } else {
                    drawn(root.draw(&PathElement::new(line, stroke)))?;
                }
            }
        }
        // Markers, evenly spread along x and staggered between series, so they neither pile up
        // on a jump nor hide each other where lines coincide.
        if n == 1 && self.legend.len() < 2 {
            return Ok(());
        }
        let span = frame.x.hi - frame.x.lo;
        for (k, s) in panel.series.iter().enumerate() {
            for m in 0..MARKS {
                let x = frame.x.lo
                    + span * (m as f64 + 0.5 + k as f64 / n as f64 - 0.5 / n as f64) / MARKS as f64;
                let Some(y) = panel.shape.value_at(&s.points, x) else {
                    continue;
                };
                let at = frame.px(x, y);
                drawn(root.draw(&marker(k, at, style.px(1.8) as i32, colour(k))))?;
            }
        }
        Ok(())
    }
}

/// The maximal runs of consecutive items of `items` that pass `keep`.
fn runs<T>(items: &[T], keep: impl Fn(&T) -> bool) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, item) in items.iter().enumerate() {
        match (keep(item), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(&items[s..i]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&items[s..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_drawn_as_steps_not_ramps() {
        let p = [(0.0, 1.0), (1.0, 3.0), (2.0, 2.0)];
        assert_eq!(
            Shape::StepPost.vertices(&p),
            [(0.0, 1.0), (1.0, 1.0), (1.0, 3.0), (2.0, 3.0), (2.0, 2.0)]
        );
        assert_eq!(
            Shape::StepPre.vertices(&p),
            [(0.0, 1.0), (0.0, 3.0), (1.0, 3.0), (1.0, 2.0), (2.0, 2.0)]
        );
        assert_eq!(Shape::Line.vertices(&p), p);
    }

    #[test]
    fn markers_sit_on_the_drawn_line() {
        let p = [(0.0, 1.0), (1.0, 3.0), (2.0, f64::NAN)];
        assert_eq!(Shape::Line.value_at(&p, 0.5), Some(2.0));
        assert_eq!(Shape::StepPost.value_at(&p, 0.5), Some(1.0));
        assert_eq!(Shape::StepPre.value_at(&p, 0.5), Some(3.0));
        assert_eq!(Shape::StepPost.value_at(&p, 1.0), Some(3.0));
        assert_eq!(Shape::Line.value_at(&p, 1.5), None, "no value at 2");
        assert_eq!(Shape::Line.value_at(&p, -0.1), None);
        assert_eq!(Shape::Line.value_at(&p, 2.1), None);
    }
}
