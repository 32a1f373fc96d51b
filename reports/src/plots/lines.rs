//! Time series: stacked panels of lines over time sharing one legend.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{axis_number, colour, drawn, text, value_range, DrawResult, Figure};

const WIDTH: u32 = 1000;
const TITLE_HEIGHT: u32 = 40;
const PANEL_HEIGHT: u32 = 300;
const LEGEND_ROW: u32 = 22;

/// One panel: lines over time, `series[i]` drawn in the colour of legend entry `i`.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// The y axis' description.
    pub y_label: String,
    /// Lines as (hours, value) points.
    pub series: Vec<Vec<(f64, f64)>>,
}

/// Panels stacked over a shared time axis (hours), with a legend below them when there is
/// more than one line per panel.
#[derive(Debug, Clone, PartialEq)]
pub struct LineFigure {
    /// The figure's title.
    pub title: String,
    /// What each line is, by index.
    pub legend: Vec<String>,
    /// The panels, top to bottom.
    pub panels: Vec<Panel>,
}

impl LineFigure {
    fn legend_height(&self) -> u32 {
        if self.legend.len() > 1 {
            LEGEND_ROW * self.legend.len() as u32 + 10
        } else {
            0
        }
    }
}

impl Figure for LineFigure {
    fn size(&self) -> (u32, u32) {
        let panels = self.panels.len() as u32;
        (
            WIDTH,
            TITLE_HEIGHT + PANEL_HEIGHT * panels + self.legend_height(),
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let (title, rest) = root.split_vertically(TITLE_HEIGHT);
        drawn(title.draw(&Text::new(self.title.clone(), (15, 12), text(20))))?;
        let (charts, legend) = rest.split_vertically(PANEL_HEIGHT * self.panels.len() as u32);
        let hours_max = self
            .panels
            .iter()
            .flat_map(|p| p.series.iter().flatten())
            .map(|&(x, _)| x)
            .fold(0.0_f64, f64::max);
        let hours_max = if hours_max > 0.0 { hours_max } else { 1.0 };
        for (area, panel) in charts
            .split_evenly((self.panels.len(), 1))
            .iter()
            .zip(&self.panels)
        {
            let (lo, hi) = value_range(panel.series.iter().flatten().map(|&(_, y)| y));
            let mut chart = drawn(
                ChartBuilder::on(area)
                    .margin(10)
                    .margin_right(30)
                    .x_label_area_size(45)
                    .y_label_area_size(85)
                    .build_cartesian_2d(0.0..hours_max, lo..hi),
            )?;
            drawn(
                chart
                    .configure_mesh()
                    .x_desc("time (h)")
                    .y_desc(panel.y_label.as_str())
                    .x_label_formatter(&|x| axis_number(*x))
                    .y_label_formatter(&|y| axis_number(*y))
                    .label_style(text(14))
                    .axis_desc_style(text(15))
                    .light_line_style(RGBColor(238, 238, 238))
                    .draw(),
            )?;
            for (i, line) in panel.series.iter().enumerate() {
                let style = colour(i).stroke_width(2);
                drawn(chart.draw_series(LineSeries::new(line.iter().copied(), style)))?;
            }
        }
        if self.legend.len() > 1 {
            for (i, label) in self.legend.iter().enumerate() {
                let y = 5 + (LEGEND_ROW * i as u32) as i32 + LEGEND_ROW as i32 / 2;
                let stroke = colour(i).stroke_width(3);
                drawn(legend.draw(&PathElement::new(vec![(95, y), (130, y)], stroke)))?;
                let style = text(14).pos(Pos::new(HPos::Left, VPos::Center));
                drawn(legend.draw(&Text::new(label.clone(), (140, y), style)))?;
            }
        }
        Ok(())
    }
}
