//! Temperatures as a heat map over hosts × time, with a colour scale.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::Quantity;
use super::frame::{x_area, y_area, Axis, Frame, Grid};
use super::scene::Recorder;
use super::{drawn, DrawResult, Figure, Size, Style, INK};
use crate::series::HeatGrid;

/// At most this many time columns and host rows are drawn; larger grids are averaged in blocks.
const MAX_COLUMNS: usize = 300;
const MAX_ROWS: usize = 200;
/// Cells without a value.
const MISSING: RGBColor = RGBColor(220, 220, 220);

/// The "inferno" colour scale (dark = cool, bright = hot), as evenly spaced anchors.
const INFERNO: [RGBColor; 8] = [
    RGBColor(0, 0, 4),
    RGBColor(40, 11, 84),
    RGBColor(101, 21, 110),
    RGBColor(159, 42, 99),
    RGBColor(212, 72, 66),
    RGBColor(245, 125, 21),
    RGBColor(250, 193, 39),
    RGBColor(252, 255, 164),
];

/// A heat map of a run's host temperatures, with its colour scale on the right.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatMap {
    /// The temperatures.
    pub grid: HeatGrid,
}

/// One drawn cell: [x0, x1) hours × [y0, y1) hosts and its mean temperature (NaN: none).
type Cell = (f64, f64, f64, f64, f64);

/// Splits `0..n` into at most `max` consecutive blocks of near-equal length.
fn blocks(n: usize, max: usize) -> Vec<(usize, usize)> {
    let k = n.min(max);
    (0..k).map(|b| (b * n / k, (b + 1) * n / k)).collect()
}

impl HeatMap {
    /// The edges of each time sample's cell, in hours: midway between samples, half a step
    /// beyond the first and last.
    fn time_edges(&self) -> Vec<f64> {
        let t: Vec<f64> = self.grid.times_s.iter().map(|s| s / 3600.0).collect();
        let step = if t.len() > 1 { t[1] - t[0] } else { 1.0 };
        let mut edges = vec![t[0] - step / 2.0];
        edges.extend(t.windows(2).map(|w| (w[0] + w[1]) / 2.0));
        edges.push(t[t.len() - 1] + step / 2.0);
        edges
    }

    /// The cells to draw, averaged in blocks when the grid is large.
    fn cells(&self) -> Vec<Cell> {
        let edges = self.time_edges();
        let mut cells = Vec::new();
        for (t0, t1) in blocks(self.grid.times_s.len(), MAX_COLUMNS) {
            for (h0, h1) in blocks(self.grid.hosts, MAX_ROWS) {
                let values: Vec<f64> = self.grid.celsius[t0..t1]
                    .iter()
                    .flat_map(|row| row[h0..h1].iter().copied())
                    .filter(|v| v.is_finite())
                    .collect();
                let mean = if values.is_empty() {
                    f64::NAN
                } else {
                    values.iter().sum::<f64>() / values.len() as f64
                };
                cells.push((edges[t0], edges[t1], h0 as f64, h1 as f64, mean));
            }
        }
        cells
    }
}

impl Figure for HeatMap {
    fn size(&self, style: &Style) -> (u32, u32) {
        let h = match style.size {
            Size::Single => 2.3,
            Size::Double => 2.8,
        };
        (style.width(), style.inch_px(h))
    }

    fn draw(&self, root: &DrawingArea<Recorder, Shift>, style: &Style) -> DrawResult {
        if self.grid.times_s.is_empty() || self.grid.hosts == 0 {
            return Ok(());
        }
        let (w, h) = self.size(style);
        let cells = self.cells();
        let (lo, hi) = cells
            .iter()
            .map(|c| c.4)
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        let (lo, hi) = if lo < hi {
            (lo, hi)
        } else if lo.is_finite() {
            (lo - 0.5, lo + 0.5)
        } else {
            (0.0, 1.0)
        };
        let colours = DerivedColorMap::new(&INFERNO);
        let paint = |v: f64| {
            if v.is_finite() {
                colours.get_color_normalized(v, lo, hi)
            } else {
                MISSING
            }
        };
        let edges = self.time_edges();
        let (x0, x1) = (edges[0], edges[edges.len() - 1]);
        let hosts = self.grid.hosts as f64;
        let y = Axis::new(0.0, hosts, 6, true, "host");
        let scale = Axis::of(Quantity::Free, (lo, hi), 6, "temperature (°C)");
        let scale_w = style.px(8.0) as i32;
        let scale_labels = y_area(style, &scale, true);
        let right = w as i32 - scale_labels - scale_w - style.px(10.0) as i32;
        let top = style.px(6.0) as i32;
        let bottom = h as i32 - x_area(style, true);
        let frame = Frame {
            left: y_area(style, &y, true),
            top,
            right,
            bottom,
            x: Axis::new(x0.max(0.0), x1, 7, false, "time (h)"),
            y,
        };
        // Each cell reaches one scene pixel into its right and lower neighbours (within the
        // frame), so vector renderers show no hairline seams between anti-aliased edges.
        for &(a, b, c, d, v) in &cells {
            let (p, q) = (frame.px(a, d), frame.px(b, c));
            let q = ((q.0 + 1).min(frame.right), (q.1 + 1).min(frame.bottom));
            drawn(root.draw(&Rectangle::new([p, q], paint(v).filled())))?;
        }
        frame.draw(root, style, (true, true), (true, true), Grid::None)?;
        // The colour scale: a bar with its ticks and unit on its right.
        let bar_left = right + style.px(10.0) as i32;
        let bar = Frame {
            left: bar_left,
            top,
            right: bar_left + scale_w,
            bottom,
            x: Axis {
                lo: 0.0,
                hi: 1.0,
                ticks: Vec::new(),
                decimals: 0,
                label: String::new(),
            },
            y: scale.clone(),
        };
        let steps = 120;
        let step = (hi - lo) / f64::from(steps);
        for i in 0..steps {
            let v = lo + step * f64::from(i);
            let (p, q) = (bar.px(0.0, v + step), bar.px(1.0, v));
            let p = (p.0, (p.1 - 1).max(top));
            drawn(root.draw(&Rectangle::new([p, q], paint(v + step / 2.0).filled())))?;
        }
        let ink = INK.stroke_width(style.ipx(0.6));
        let tick = style.px(2.5) as i32;
        let gap = style.px(1.5) as i32;
        let text = style.text();
        let mut widest = 0;
        for (t, label) in scale.ticks.iter().zip(scale.labels()) {
            let y = bar.px_y(*t);
            let x = bar.right;
            drawn(root.draw(&PathElement::new(vec![(x, y), (x + tick, y)], ink)))?;
            widest = widest.max(style.text_width(&label) as i32);
            let s = text.clone().pos(Pos::new(HPos::Left, VPos::Center));
            drawn(root.draw(&Text::new(label, (x + tick + gap, y), s)))?;
        }
        let s = text
            .clone()
            .transform(FontTransform::Rotate90)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        let x = bar.right + tick + gap + widest + style.px(3.0) as i32;
        drawn(root.draw(&Text::new(scale.label.clone(), (x, (top + bottom) / 2), s)))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_the_range_evenly() {
        assert_eq!(blocks(10, 3), [(0, 3), (3, 6), (6, 10)]);
        assert_eq!(blocks(3, 300), [(0, 1), (1, 2), (2, 3)]);
    }

    #[test]
    fn large_grids_are_averaged_in_blocks() {
        // One time, 2 · MAX_ROWS hosts at 0, 1, 2, …: rows average host pairs 2k, 2k + 1.
        let hosts = 2 * MAX_ROWS;
        let map = HeatMap {
            grid: HeatGrid {
                times_s: vec![600.0],
                hosts,
                celsius: vec![(0..hosts).map(|h| h as f64).collect()],
            },
        };
        let cells = map.cells();
        assert_eq!(cells.len(), MAX_ROWS);
        // A lone sample spans half an hour-long default step either side of 600 s.
        assert_eq!(
            cells[0],
            (600.0 / 3600.0 - 0.5, 600.0 / 3600.0 + 0.5, 0.0, 2.0, 0.5)
        );
        assert_eq!(cells[7].4, 14.5);
    }
}
