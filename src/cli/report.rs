//! `orrery report`: figures for print and one HTML page for a run, sweep or federation
//! directory.

use std::path::PathBuf;

use orrery_reports::plots::{Format, Size, Style};
use orrery_reports::Options;

use super::output::Ui;
use crate::error::Error;

/// Arguments of `orrery report`.
#[derive(clap::Args)]
pub struct Args {
    /// A directory written by `orrery run --out`, `orrery sweep --out` or `orrery federate
    /// --out`.
    dir: PathBuf,
    /// Figure file formats (repeatable, or a comma-separated list). Every format embeds its
    /// text: PNG as pixels, SVG as glyph outlines, PDF with the font embedded.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [FigureFormat::Png, FigureFormat::Svg, FigureFormat::Pdf])]
    format: Vec<FigureFormat>,
    /// Figure width: one column of a two-column paper (3.5 in) or the full text width (7.16 in).
    #[arg(long, value_enum, default_value_t = FigureSize::Single)]
    size: FigureSize,
    /// Font size of all text in the figures, in points at print size (7–14: smaller is not
    /// readable in print).
    #[arg(long, value_name = "PT", default_value_t = 8.0, value_parser = font_size)]
    font_size: f64,
    /// PNG resolution in pixels per inch (72–600).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(72..=600))]
    dpi: u32,
    /// Draw only these figures (comma-separated names; the error for an unknown one lists the
    /// names the directory has). Default: every figure of a run or federation; for a sweep the
    /// comparisons of energy, active hosts, CPU shortfall, migrations and maximum temperature,
    /// the power, active-hosts, cpu-shortfall and migrations time series and the temperatures
    /// heat map.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    metrics: Vec<String>,
}

/// A figure file format.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FigureFormat {
    /// Bitmap, at --dpi.
    Png,
    /// Vector, text as outlines.
    Svg,
    /// Vector, text in the embedded font.
    Pdf,
}

/// A figure width.
#[derive(Clone, Copy, clap::ValueEnum)]
enum FigureSize {
    /// 3.5 in: one column.
    Single,
    /// 7.16 in: both columns.
    Double,
}

fn font_size(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if (7.0..=14.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "{v} pt is outside 7–14 pt (text smaller than 7 pt is not readable in print)"
        ))
    }
}

/// Draws the figures and writes the page.
pub fn run(args: Args, ui: &Ui) -> Result<(), Error> {
    let started = std::time::Instant::now();
    let mut formats: Vec<Format> = args
        .format
        .iter()
        .map(|f| match f {
            FigureFormat::Png => Format::Png,
            FigureFormat::Svg => Format::Svg,
            FigureFormat::Pdf => Format::Pdf,
        })
        .collect();
    formats.sort();
    formats.dedup();
    let options = Options {
        style: Style {
            size: match args.size {
                FigureSize::Single => Size::Single,
                FigureSize::Double => Size::Double,
            },
            font_pt: args.font_size,
            dpi: f64::from(args.dpi),
        },
        formats,
        metrics: args.metrics,
    };
    ui.note_path(1, "Reading", "", &args.dir);
    let page = orrery_reports::render_report_with(&args.dir, &options)?;
    ui.note_path(1, "Wrote", "", &page);
    ui.note(
        1,
        "Finished",
        format!("in {:.2} s", started.elapsed().as_secs_f64()),
    );
    ui.print(format!(
        "report in {}
",
        page.display()
    ));
    Ok(())
}
