//! A plot's frame: the data-to-pixel mapping of one plot area, its grid, axes, ticks and their
//! labels, all sized in points from the [`Style`].

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{ticks, Quantity};
use super::scene::Recorder;
use super::{drawn, DrawResult, Style, GRID, INK};

/// One axis: its range, ticks and description.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Value at the start (left or bottom).
    pub lo: f64,
    /// Value at the end.
    pub hi: f64,
    /// Tick values.
    pub ticks: Vec<f64>,
    /// Decimals of the tick labels.
    pub decimals: usize,
    /// The description ("time (h)").
    pub label: String,
}

impl Axis {
    /// An axis over `lo..hi` with about `max` nice ticks (whole ones when `integer`).
    pub fn new(lo: f64, hi: f64, max: usize, integer: bool, label: &str) -> Axis {
        let t = ticks(lo, hi, max, integer);
        let step = if t.len() > 1 { t[1] - t[0] } else { 1.0 };
        let decimals = if integer {
            0
        } else {
            (-(step.log10() + 1e-9).floor()).max(0.0) as usize
        };
        Axis {
            lo,
            hi,
            ticks: t,
            decimals,
            label: label.to_string(),
        }
    }

    /// An axis for quantity `q` over `lo..hi`.
    pub fn of(q: Quantity, (lo, hi): (f64, f64), max: usize, label: &str) -> Axis {
        Axis::new(lo, hi, max, q.integer(), label)
    }

    /// The tick labels.
    pub fn labels(&self) -> Vec<String> {
        let d = self.decimals;
        self.ticks
            .iter()
            .map(|t| {
                let s = format!("{t:.d$}");
                if s.starts_with('-') && s.trim_start_matches(['-', '0', '.']).is_empty() {
                    s[1..].to_string()
                } else {
                    s
                }
            })
            .collect()
    }

    fn frac(&self, v: f64) -> f64 {
        if self.hi > self.lo {
            (v - self.lo) / (self.hi - self.lo)
        } else {
            0.5
        }
    }
}

/// The space left of a plot for `y`'s tick labels and description, in scene pixels.
pub fn y_area(style: &Style, y: &Axis, with_label: bool) -> i32 {
    let widest = y
        .labels()
        .iter()
        .map(|l| style.text_width(l))
        .fold(0.0, f64::max);
    let desc = if with_label {
        style.line() + style.px(3.0)
    } else {
        0.0
    };
    (style.px(2.5 + 2.0) + widest + desc + style.px(2.0)).ceil() as i32
}

/// The space below a plot for the x tick labels and description, in scene pixels.
pub fn x_area(style: &Style, with_label: bool) -> i32 {
    let desc = if with_label {
        style.line() + style.px(1.5)
    } else {
        0.0
    };
    (style.px(2.5 + 1.5) + style.line() + desc + style.px(2.0)).ceil() as i32
}

/// Which axis' ticks get grid lines across the plot area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grid {
    /// None (a heat map: lines would hide cells).
    None,
    /// Vertical lines at the x ticks.
    X,
    /// Horizontal lines at the y ticks.
    Y,
}

/// A plot area in scene pixels and its axes.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Left edge.
    pub left: i32,
    /// Top edge.
    pub top: i32,
    /// Right edge.
    pub right: i32,
    /// Bottom edge.
    pub bottom: i32,
    /// The horizontal axis.
    pub x: Axis,
    /// The vertical axis.
    pub y: Axis,
}

impl Frame {
    /// The pixel of data point (x, y).
    pub fn px(&self, x: f64, y: f64) -> (i32, i32) {
        let fx = self.x.frac(x);
        let fy = self.y.frac(y);
        (
            (f64::from(self.left) + fx * f64::from(self.right - self.left)).round() as i32,
            (f64::from(self.bottom) - fy * f64::from(self.bottom - self.top)).round() as i32,
        )
    }

    /// The pixel column of `x`.
    pub fn px_x(&self, x: f64) -> i32 {
        self.px(x, self.y.lo).0
    }

    /// The pixel row of `y`.
    pub fn px_y(&self, y: f64) -> i32 {
        self.px(self.x.lo, y).1
    }

    /// Draws the `grid` lines, the left and bottom axes with their ticks, and (when asked) the
    /// tick labels and descriptions of each axis.
    pub fn draw(
        &self,
        root: &DrawingArea<Recorder, Shift>,
        style: &Style,
        x_labels: (bool, bool),
        y_labels: (bool, bool),
        grid: Grid,
    ) -> DrawResult {
        let line = GRID.stroke_width(style.ipx(0.4));
        let axis = INK.stroke_width(style.ipx(0.6));
        let tick = style.px(2.5) as i32;
        let gap = style.px(1.5) as i32;
        let lines: Vec<[(i32, i32); 2]> = match grid {
            Grid::None => Vec::new(),
            Grid::X => self
                .x
                .ticks
                .iter()
                .map(|&t| [(self.px_x(t), self.top), (self.px_x(t), self.bottom)])
                .collect(),
            Grid::Y => self
                .y
                .ticks
                .iter()
                .map(|&t| [(self.left, self.px_y(t)), (self.right, self.px_y(t))])
                .collect(),
        };
        for [a, b] in lines {
            drawn(root.draw(&PathElement::new(vec![a, b], line)))?;
        }
        drawn(root.draw(&PathElement::new(
            vec![
                (self.left, self.top),
                (self.left, self.bottom),
                (self.right, self.bottom),
            ],
            axis,
        )))?;
        let text = style.text();
        for (t, label) in self.y.ticks.iter().zip(self.y.labels()) {
            let y = self.px_y(*t);
            drawn(root.draw(&PathElement::new(
                vec![(self.left - tick, y), (self.left, y)],
                axis,
            )))?;
            if y_labels.0 {
                let s = text.clone().pos(Pos::new(HPos::Right, VPos::Center));
                drawn(root.draw(&Text::new(label, (self.left - tick - gap, y), s)))?;
            }
        }
        for (t, label) in self.x.ticks.iter().zip(self.x.labels()) {
            let x = self.px_x(*t);
            drawn(root.draw(&PathElement::new(
                vec![(x, self.bottom), (x, self.bottom + tick)],
                axis,
            )))?;
            if x_labels.0 {
                let s = text.clone().pos(Pos::new(HPos::Center, VPos::Top));
                drawn(root.draw(&Text::new(label, (x, self.bottom + tick + gap), s)))?;
            }
        }
        if x_labels.1 {
            let y = self.bottom + tick + gap + style.line() as i32 + gap;
            let s = text.clone().pos(Pos::new(HPos::Center, VPos::Top));
            let x = (self.left + self.right) / 2;
            drawn(root.draw(&Text::new(self.x.label.clone(), (x, y), s)))?;
        }
        if y_labels.1 {
            let widest = self
                .y
                .labels()
                .iter()
                .map(|l| style.text_width(l))
                .fold(0.0, f64::max) as i32;
            let x = self.left - tick - gap - widest - style.px(3.0) as i32;
            let s = text
                .clone()
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Center, VPos::Bottom));
            let y = (self.top + self.bottom) / 2;
            drawn(root.draw(&Text::new(self.y.label.clone(), (x, y), s)))?;
        }
        Ok(())
    }
}

/// Splits `text` at ", " into lines no wider than `width` pixels; a part wider than
/// that is split after its hyphens and equals signs too ("thermal-" / "balance"), and a piece
/// wider still stays whole on its own line.
pub fn wrap(style: &Style, text: &str, width: f64) -> Vec<String> {
    let fits = |s: &str| style.text_width(s) <= width;
    let mut lines: Vec<String> = Vec::new();
    for part in text.split(", ") {
        match lines.last_mut() {
            Some(last) if fits(&format!("{last}, {part}")) => {
                last.push_str(", ");
                last.push_str(part);
            }
            _ if fits(part) => lines.push(part.to_string()),
            _ => {
                let mut line = String::new();
                for piece in part.split_inclusive(['-', '=']) {
                    if !line.is_empty() && !fits(&format!("{line}{piece}")) {
                        lines.push(std::mem::take(&mut line));
                    }
                    line.push_str(piece);
                }
                lines.push(line);
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_have_the_decimals_of_their_step() {
        assert_eq!(
            Axis::new(0.0, 1.0, 6, false, "").labels(),
            ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
        );
        assert_eq!(
            Axis::new(0.0, 43.0, 6, true, "").labels(),
            ["0", "10", "20", "30", "40"]
        );
        assert_eq!(
            Axis::new(0.0, 3.2, 6, true, "").labels(),
            ["0", "1", "2", "3"]
        );
    }

    #[test]
    fn long_labels_wrap_at_commas() {
        let s = Style::default();
        let text = "placement=packing, reallocation=consolidation";
        let one = s.text_width(text);
        assert_eq!(wrap(&s, text, one + 1.0), [text]);
        assert_eq!(
            wrap(&s, text, one / 1.5),
            ["placement=packing", "reallocation=consolidation"]
        );
        let narrow = s.text_width("consolidation") + 1.0;
        assert_eq!(
            wrap(&s, "packing, thermal-balance, consolidation", narrow),
            ["packing", "thermal-", "balance", "consolidation"]
        );
        assert_eq!(
            wrap(&s, "reallocation=consolidation", narrow),
            ["reallocation=", "consolidation"]
        );
    }
}
