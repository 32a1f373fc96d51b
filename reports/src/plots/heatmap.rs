//! Temperatures as a heat map over hosts × time, with a colour scale.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{axis_number, drawn, text, DrawResult, Figure};
use crate::series::HeatGrid;

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 560;
const TITLE_HEIGHT: u32 = 40;
const SCALE_WIDTH: u32 = 120;
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

/// A heat map of a run's host temperatures.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatMap {
    /// The figure's title.
    pub title: String,
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
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let (title, rest) = root.split_vertically(TITLE_HEIGHT);
        drawn(title.draw(&Text::new(self.title.clone(), (15, 12), text(20))))?;
        if self.grid.times_s.is_empty() || self.grid.hosts == 0 {
            return Ok(());
        }
        let (map, scale) = rest.split_horizontally(WIDTH - SCALE_WIDTH);
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
        } else {
            (lo - 0.5, lo + 0.5)
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
        let mut chart = drawn(
            ChartBuilder::on(&map)
                .margin(10)
                .x_label_area_size(45)
                .y_label_area_size(70)
                .build_cartesian_2d(x0..x1, 0.0..self.grid.hosts as f64),
        )?;
        drawn(
            chart
                .configure_mesh()
                .disable_mesh()
                .x_desc("time (h)")
                .y_desc("host")
                .label_style(text(14))
                .axis_desc_style(text(15))
                .x_label_formatter(&|x| axis_number(*x))
                .y_label_formatter(&|y| format!("{y:.0}"))
                .draw(),
        )?;
        drawn(
            chart.draw_series(
                cells
                    .iter()
                    .map(|&(a, b, c, d, v)| Rectangle::new([(a, c), (b, d)], paint(v).filled())),
            ),
        )?;
        // The scale: its unit above, its labels on its right.
        let mut bar = drawn(
            ChartBuilder::on(&scale)
                .caption("°C", text(15))
                .margin_top(2)
                .margin_bottom(55)
                .margin_left(25)
                .margin_right(10)
                .set_label_area_size(LabelAreaPosition::Right, 45)
                .build_cartesian_2d(0.0..1.0, lo..hi),
        )?;
        drawn(
            bar.configure_mesh()
                .disable_mesh()
                .disable_x_axis()
                .y_label_formatter(&|y| axis_number(*y))
                .label_style(text(14))
                .axis_desc_style(text(15))
                .draw(),
        )?;
        let steps = 100;
        let step = (hi - lo) / steps as f64;
        drawn(bar.draw_series((0..steps).map(|i| {
            let v = lo + step * i as f64;
            Rectangle::new([(0.0, v), (1.0, v + step)], paint(v + step / 2.0).filled())
        })))?;
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
            title: String::new(),
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
