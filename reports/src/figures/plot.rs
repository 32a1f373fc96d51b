//! A report's figure: what is drawn (a [`Drawing`]), its name and caption, and the helpers
//! every kind of figure is built with.

use plotters::coord::Shift;
use plotters::prelude::DrawingArea;

use crate::plots::axis::Quantity;
use crate::plots::dots::DotFigure;
use crate::plots::heatmap::HeatMap;
use crate::plots::lines::{LineFigure, Panel, Series, Shape};
use crate::plots::scene::Recorder;
use crate::plots::{DrawResult, Figure, Style};

/// Any of the figure kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum Drawing {
    /// Time series.
    Lines(LineFigure),
    /// Dots with intervals, or bars.
    Dots(DotFigure),
    /// A heat map.
    Heat(HeatMap),
}

impl Figure for Drawing {
    fn size(&self, style: &Style) -> (u32, u32) {
        match self {
            Drawing::Lines(f) => f.size(style),
            Drawing::Dots(f) => f.size(style),
            Drawing::Heat(f) => f.size(style),
        }
    }

    fn draw(&self, root: &DrawingArea<Recorder, Shift>, style: &Style) -> DrawResult {
        match self {
            Drawing::Lines(f) => f.draw(root, style),
            Drawing::Dots(f) => f.draw(root, style),
            Drawing::Heat(f) => f.draw(root, style),
        }
    }
}

/// One figure of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    /// Its file stem.
    pub name: String,
    /// The key `--metrics` selects it by.
    pub metric: String,
    /// What it shows.
    pub caption: String,
    /// The figure.
    pub drawing: Drawing,
}

pub(super) fn plot(name: &str, caption: String, drawing: Drawing) -> Plot {
    Plot {
        name: name.to_string(),
        metric: name.to_string(),
        caption,
        drawing,
    }
}

/// Hours of a time in seconds.
pub(super) fn hours(s: f64) -> f64 {
    s / 3600.0
}

pub(super) fn lines(x_label: &str, panels: Vec<Panel>, legend: Vec<String>) -> LineFigure {
    LineFigure {
        x_label: x_label.to_string(),
        x_quantity: Quantity::NonNegative,
        panels,
        columns: 1,
        legend,
    }
}

pub(super) fn panel(y_label: &str, quantity: Quantity, shape: Shape, series: Vec<Series>) -> Panel {
    Panel {
        title: None,
        y_label: y_label.to_string(),
        quantity,
        shape,
        series,
    }
}

pub(super) fn series(label: &str, points: Vec<(f64, f64)>) -> Series {
    Series {
        label: label.to_string(),
        points,
        band: Vec::new(),
    }
}
