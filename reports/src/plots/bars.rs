//! Comparison bars: one horizontal bar per point with its 95 % confidence interval.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{axis_number, colour, drawn, text, DrawResult, Figure};
use crate::values::short_number;

const WIDTH: u32 = 1000;
const BAR_HEIGHT: u32 = 36;
/// Title, axis and margins.
const FRAME_HEIGHT: u32 = 110;
const LABEL_SIZE: u32 = 14;

/// One bar: a point's mean and the half-width of its 95 % confidence interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The point's label.
    pub label: String,
    /// The mean.
    pub mean: f64,
    /// Half-width of the 95 % confidence interval (none: no error bar).
    pub ci95: Option<f64>,
}

/// A metric compared across points, top to bottom in the given order.
#[derive(Debug, Clone, PartialEq)]
pub struct BarFigure {
    /// The figure's title.
    pub title: String,
    /// The value axis' description.
    pub axis: String,
    /// The bars.
    pub bars: Vec<Bar>,
}

impl Figure for BarFigure {
    fn size(&self) -> (u32, u32) {
        (
            WIDTH,
            FRAME_HEIGHT + BAR_HEIGHT * self.bars.len().max(1) as u32,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let n = self.bars.len() as i32;
        let label_width = self
            .bars
            .iter()
            .filter_map(|b| root.estimate_text_size(&b.label, &text(LABEL_SIZE)).ok())
            .map(|(w, _)| w)
            .max()
            .unwrap_or(0)
            .min(WIDTH / 2);
        let ends = self
            .bars
            .iter()
            .flat_map(|b| {
                let h = b.ci95.unwrap_or(0.0);
                [b.mean - h, b.mean + h]
            })
            .filter(|v| v.is_finite());
        let (lo, hi) = ends.fold((0.0_f64, 0.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
        // Room on the right for the value labels.
        let span = if hi > lo { hi - lo } else { 1.0 };
        let (lo, hi) = (
            lo - if lo < 0.0 { 0.05 * span } else { 0.0 },
            hi + 0.22 * span,
        );
        let mut chart = drawn(
            ChartBuilder::on(root)
                .caption(self.title.as_str(), text(20))
                .margin(15)
                .margin_right(30)
                .x_label_area_size(45)
                .y_label_area_size(label_width + 15)
                // An integer range is inclusive: 0..n − 1 gives n rows.
                .build_cartesian_2d(lo..hi, (0..n - 1).into_segmented()),
        )?;
        let labels: Vec<&str> = self.bars.iter().map(|b| b.label.as_str()).collect();
        // Bar i is drawn at row n − 1 − i so that the first is on top.
        let row = |i: usize| n - 1 - i as i32;
        drawn(
            chart
                .configure_mesh()
                .disable_y_mesh()
                .light_line_style(RGBColor(238, 238, 238))
                .y_labels(self.bars.len())
                .y_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(r) if (0..n).contains(r) => {
                        labels[(n - 1 - r) as usize].to_string()
                    }
                    _ => String::new(),
                })
                .x_desc(self.axis.as_str())
                .x_label_formatter(&|x| axis_number(*x))
                .label_style(text(LABEL_SIZE))
                .axis_desc_style(text(15))
                .draw(),
        )?;
        drawn(
            chart.draw_series(self.bars.iter().enumerate().map(|(i, b)| {
                let r = row(i);
                let mut rect = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(r)),
                        (b.mean, SegmentValue::Exact(r + 1)),
                    ],
                    colour(i).mix(0.85).filled(),
                );
                rect.set_margin(6, 6, 0, 0);
                rect
            })),
        )?;
        // Error bars: a whisker from mean − h to mean + h with a cap at each end.
        let whisker = BLACK.stroke_width(2);
        for (i, b) in self.bars.iter().enumerate() {
            let Some(h) = b.ci95 else { continue };
            let y = SegmentValue::CenterOf(row(i));
            let (a, z) = ((b.mean - h, y.clone()), (b.mean + h, y));
            drawn(chart.draw_series([PathElement::new(vec![a.clone(), z.clone()], whisker)]))?;
            drawn(chart.draw_series([a, z].into_iter().map(|end| {
                EmptyElement::at(end) + PathElement::new(vec![(0, -8), (0, 8)], whisker)
            })))?;
        }
        let value_style = text(13).pos(Pos::new(HPos::Left, VPos::Center));
        drawn(
            chart.draw_series(self.bars.iter().enumerate().map(|(i, b)| {
                let end = b.mean.max(b.mean + b.ci95.unwrap_or(0.0));
                let shown = match b.ci95 {
                    Some(h) => format!("  {} ± {}", short_number(b.mean), short_number(h)),
                    None => format!("  {}", short_number(b.mean)),
                };
                Text::new(
                    shown,
                    (end, SegmentValue::CenterOf(row(i))),
                    value_style.clone(),
                )
            })),
        )?;
        Ok(())
    }
}
