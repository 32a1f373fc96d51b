//! Reports of real runs, sweeps, service runs and federations: every figure is decoded and
//! checked in every format, the HTML is self-contained, and the same directory gives the same
//! bytes.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use orrery_reports::plots::{Format, Size, Style};
use orrery_reports::{render_report, render_report_with, Options, ReportError};

/// Decodes a PNG; returns its size and RGB pixels.
fn decode(path: &Path) -> ((u32, u32), Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
    let pixels = buf[..info.buffer_size()]
        .chunks(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    ((info.width, info.height), pixels)
}

/// Asserts the figure exists in every default format and is a real drawing: a PNG of the
/// column's width at 200 dpi with many colours, ink and dark text; an SVG whose text is glyph
/// outlines (no font named, so it renders without any font installed); a PDF with the font
/// embedded.
fn assert_plot(dir: &Path, name: &str) {
    let png = dir.join(format!("{name}.png"));
    let ((w, _), pixels) = decode(&png);
    assert_eq!(w, 700, "{name}.png: 3.5 in at 200 dpi");
    let colours: BTreeSet<[u8; 3]> = pixels.iter().copied().collect();
    assert!(
        colours.len() >= 20,
        "{name}.png has {} colours",
        colours.len()
    );
    let ink = pixels.iter().filter(|p| **p != [255, 255, 255]).count();
    let share = ink as f64 / pixels.len() as f64;
    assert!(share > 0.01, "{name}.png is {:.2} % drawn", 100.0 * share);
    let dark = pixels.iter().filter(|p| p.iter().all(|&c| c < 80)).count();
    assert!(
        dark > 500,
        "{name}.png has {dark} dark (text and axis) pixels"
    );
    assert_svg_text_is_outlined(&fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap());
    assert_pdf_embeds_the_font(&fs::read(dir.join(format!("{name}.pdf"))).unwrap());
}

fn assert_svg_text_is_outlined(svg: &str) {
    assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
    assert!(svg.contains("width=\"3.5in\""), "sized for print");
    for font_ref in ["font-family", "<text", "@font-face", "font="] {
        assert!(
            !svg.contains(font_ref),
            "the SVG refers to a font: {font_ref}"
        );
    }
    // Text is there as glyph paths with its words kept for accessibility.
    assert!(svg.contains("<path id=\"g"), "no glyph outlines");
    assert!(svg.contains("<use xlink:href=\"#g"), "no placed glyphs");
    assert!(svg.contains("aria-label=\"time (h)\"") || svg.contains("aria-label="));
}

fn assert_pdf_embeds_the_font(pdf: &[u8]) {
    assert!(pdf.starts_with(b"%PDF-1.7"));
    let text = String::from_utf8_lossy(pdf);
    assert!(text.contains("/FontFile2"), "the font program is embedded");
    assert!(
        text.contains("/BaseFont /ORRERY+DejaVuSans"),
        "a subset of DejaVu Sans"
    );
    assert!(
        text.contains("/ToUnicode"),
        "text can be searched and copied"
    );
    assert!(
        !text.contains("/CreationDate"),
        "no date: the same input gives the same bytes"
    );
    assert!(text.trim_end().ends_with("%%EOF"));
}

/// Asserts the page references no other file: images are data URIs, no links or scripts.
fn assert_self_contained(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    for bad in ["src=\"http", "href=", "<script", "<link", "url(", "src='"] {
        assert!(!html.contains(bad), "the report contains {bad}");
    }
    let sources: Vec<&str> = html.split("src=\"").skip(1).collect();
    assert!(!sources.is_empty());
    for s in sources {
        assert!(
            s.starts_with("data:image/png;base64,"),
            "{}",
            &s[..40.min(s.len())]
        );
    }
    // Wide tables scroll sideways instead of being cut.
    assert!(
        html.contains(".wide{overflow-x:auto"),
        "no scrolling table style"
    );
    for (i, _) in html.match_indices("<table>") {
        assert!(
            html[..i].ends_with("<div class=\"wide\">\n"),
            "a table outside a scroller"
        );
    }
}

#[test]
fn report_of_a_thermal_run() {
    let tmp = tempfile::tempdir().unwrap();
    let run = common::thermal_run_dir(tmp.path());
    let index = render_report(&run).unwrap();
    assert_eq!(index, run.join("report/index.html"));
    let out = run.join("report");
    let names = [
        "power-energy",
        "active-hosts",
        "vms-running",
        "cpu-utilisation",
        "cpu-shortfall",
        "migrations",
        "temperature",
        "temperatures",
    ];
    for name in names {
        assert_plot(&out, name);
    }
    let html = fs::read_to_string(&index).unwrap();
    assert_self_contained(&html);
    assert_eq!(html.matches("<img").count(), names.len());
    assert!(html.contains("thermal-balance"));
    assert!(html.contains("energy incl. cooling (kWh)"));
    assert!(
        html.contains("the cooling plant"),
        "the run has a cooling model"
    );
    // The same directory gives byte-identical figures.
    let before: Vec<Vec<u8>> = names
        .iter()
        .flat_map(|n| {
            ["png", "svg", "pdf"].map(|e| fs::read(out.join(format!("{n}.{e}"))).unwrap())
        })
        .collect();
    render_report(&run).unwrap();
    let after: Vec<Vec<u8>> = names
        .iter()
        .flat_map(|n| {
            ["png", "svg", "pdf"].map(|e| fs::read(out.join(format!("{n}.{e}"))).unwrap())
        })
        .collect();
    assert!(before == after, "a second report differs");
}

#[test]
fn options_choose_formats_size_and_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let run = common::thermal_run_dir(tmp.path());
    let options = Options {
        style: Style {
            size: Size::Double,
            font_pt: 9.0,
            dpi: 100.0,
        },
        formats: vec![Format::Svg],
        metrics: vec!["active-hosts".into(), "temperature".into()],
    };
    let index = render_report_with(&run, &options).unwrap();
    let out = run.join("report");
    let mut files: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["active-hosts.svg", "index.html", "temperature.svg"]);
    let svg = fs::read_to_string(out.join("active-hosts.svg")).unwrap();
    assert!(svg.contains("width=\"7.16in\""), "double column");
    let html = fs::read_to_string(&index).unwrap();
    assert_eq!(html.matches("<img").count(), 2, "the page still shows PNGs");
    let bad = Options {
        metrics: vec!["nope".into()],
        ..Options::default()
    };
    match render_report_with(&run, &bad) {
        Err(ReportError::Input { problem, hint, .. }) => {
            assert!(problem.contains("\"nope\""), "{problem}");
            assert!(
                hint.contains("active-hosts") && hint.contains("temperatures"),
                "{hint}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn report_of_a_sweep_of_two_replicas_draws_ranges_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let policies = ["thermal-balance", "consolidation", "none"];
    let sweep = common::thermal_sweep_dir(tmp.path(), &policies, 2);
    let index = render_report(&sweep).unwrap();
    for table in ["results.parquet", "aggregate.csv", "aggregate.parquet"] {
        assert!(sweep.join(table).is_file(), "{table}");
    }
    let out = sweep.join("report");
    let compared = [
        "total_energy_kwh",
        "mean_active_hosts",
        "cpu_shortfall_ratio",
        "vm_migrations",
        "max_host_temperature_c",
    ];
    for key in compared {
        assert_plot(&out, &format!("compare-{key}"));
    }
    for name in [
        "power",
        "active-hosts",
        "cpu-shortfall",
        "migrations",
        "temperatures",
    ] {
        assert_plot(&out, name);
    }
    let html = fs::read_to_string(&index).unwrap();
    assert_self_contained(&html);
    assert_eq!(html.matches("<img").count(), 5 + 5);
    for p in policies {
        assert!(
            html.contains(&format!("thermal-balance (reallocation={p})")),
            "{p}"
        );
    }
    assert!(
        html.contains("total_energy_kwh_ci95"),
        "the aggregate table"
    );
    // Two replicas: ranges, never a confidence interval, and the captions say so.
    assert!(html.contains("range (min–max) of the replicas (n = 2 replicas)"));
    assert!(html.contains("fewer than 3 replicas give no meaningful confidence interval"));
    assert!(!html.contains("and 95 % confidence interval of the mean"));
}

#[test]
fn a_sweep_of_three_replicas_draws_confidence_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = common::thermal_sweep_dir(tmp.path(), &["consolidation"], 3);
    let options = Options {
        formats: vec![Format::Png],
        metrics: vec!["vm_migrations".into(), "active-hosts".into()],
        ..Options::default()
    };
    let index = render_report_with(&sweep, &options).unwrap();
    let html = fs::read_to_string(index).unwrap();
    assert_eq!(html.matches("<img").count(), 2);
    assert!(
        html.contains("95 % confidence interval of the mean (Student t, n − 1 degrees of freedom; n = 3 replicas)"),
        "{html}"
    );
}

#[test]
fn report_of_a_sweep_without_runs_has_tables_and_comparisons() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = common::fixture_sweep_dir(tmp.path());
    let index = render_report(&sweep).unwrap();
    let out = sweep.join("report");
    for key in [
        "total_energy_kwh",
        "mean_active_hosts",
        "cpu_shortfall_ratio",
        "vm_migrations",
    ] {
        assert_plot(&out, &format!("compare-{key}"));
    }
    // No temperatures in the fixture: no comparison of them, no heat map, no time series.
    for name in ["compare-max_host_temperature_c", "temperatures", "power"] {
        assert!(!out.join(format!("{name}.png")).exists(), "{name}");
    }
    let html = fs::read_to_string(&index).unwrap();
    assert_self_contained(&html);
    assert_eq!(html.matches("<img").count(), 4);
    assert!(html.contains("No finished runs under runs/"));
    assert!(html.contains("fixture (reallocation=thermal-balance, hosts.0.count=64)"));
}

#[test]
fn report_of_a_service_run_has_the_service_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let run = common::service_run_dir(tmp.path());
    let index = render_report(&run).unwrap();
    let out = run.join("report");
    for name in [
        "requests",
        "response-time",
        "role-vms",
        "service-cost",
        "active-hosts",
    ] {
        assert_plot(&out, name);
    }
    let html = fs::read_to_string(&index).unwrap();
    assert_self_contained(&html);
    assert!(html.contains("<h2>Services</h2>"));
    assert!(html.contains("95th percentile"));
    // No cooling model: no figure claims cooling.
    assert!(html.contains("the scenario has no cooling model"));
    let svg = fs::read_to_string(out.join("power-energy.svg")).unwrap();
    assert!(
        !svg.contains("cooling"),
        "a cooling label without a cooling model"
    );
}

#[test]
fn report_of_a_federation_has_site_call_and_traffic_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let fed = common::federation_dir(tmp.path());
    let index = render_report(&fed).unwrap();
    let out = fed.join("report");
    for name in ["site-vms", "site-cost", "calls", "traffic"] {
        assert_plot(&out, name);
    }
    let html = fs::read_to_string(&index).unwrap();
    assert_self_contained(&html);
    assert!(html.contains("orrery report: federation"));
    assert!(html.contains("<h2>Per site</h2>"));
    // `orrery compare` has no row for a federation and says where to look instead.
    match orrery_reports::compare_dirs(&[fed], orrery_reports::Format::Markdown) {
        Err(ReportError::Input { problem, hint, .. }) => {
            assert!(problem.contains("federation"), "{problem}");
            assert!(hint.contains("orrery federate compare"), "{hint}");
        }
        other => panic!("{other:?}"),
    }
}
