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
    // Readable at column width: the default 8 pt, at least 7 pt in print.
    assert_text_size(dir, name, 8.0);
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

/// The smallest and largest text size in an SVG, in points at its print size: each glyph's
/// `<use>` matrix scales its 1000-unit em into viewBox units, which `width="…in"` maps to
/// inches.
fn svg_text_points(svg: &str) -> (f64, f64) {
    let attr = |name: &str| {
        let start = svg.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        &svg[start..start + svg[start..].find('"').unwrap()]
    };
    let inches: f64 = attr("width").trim_end_matches("in").parse().unwrap();
    let view_w: f64 = attr("viewBox").split(' ').nth(2).unwrap().parse().unwrap();
    let pt_per_unit = inches * 72.0 / view_w;
    let mut sizes = svg.split("<use ").skip(1).map(|u| {
        let m = &u[u.find("matrix(").unwrap() + 7..];
        let v: Vec<f64> = m[..m.find(')').unwrap()]
            .split(' ')
            .map(|x| x.parse().unwrap())
            .collect();
        v[0].hypot(v[1]) * 1000.0 * pt_per_unit
    });
    let first = sizes.next().expect("no glyphs");
    sizes.fold((first, first), |(lo, hi), s| (lo.min(s), hi.max(s)))
}

/// The decompressed data of every stream of a PDF, in object order.
fn pdf_streams(pdf: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = pdf;
    while let Some(i) = find(rest, b"\nstream\n") {
        let data = &rest[i + 8..];
        let end = find(data, b"\nendstream").unwrap();
        out.push(miniz_oxide::inflate::decompress_to_vec_zlib(&data[..end]).unwrap());
        rest = &data[end..];
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The smallest and largest text size on a PDF page in points: each `Tf` size times the
/// page's `cm` scale.
fn pdf_text_points(content: &str) -> (f64, f64) {
    let scale: f64 = content
        .lines()
        .find(|l| l.ends_with(" cm"))
        .and_then(|l| l.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    let sizes: Vec<f64> = content
        .split(" Tf")
        .filter_map(|before| before.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|em| em * scale)
        .collect();
    assert!(!sizes.is_empty(), "no text on the page");
    sizes
        .iter()
        .fold((f64::INFINITY, 0.0), |(lo, hi), &s| (lo.min(s), hi.max(s)))
}

/// Asserts the figure's text is `pt` points at print size, in both vector formats (every
/// label of the shipped figures is drawn at the base size).
fn assert_text_size(dir: &Path, name: &str, pt: f64) {
    let svg = fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap();
    let (lo, hi) = svg_text_points(&svg);
    assert!(
        (lo - pt).abs() < 0.01 && (hi - pt).abs() < 0.01,
        "{name}.svg: {lo}–{hi} pt"
    );
    let pdf = fs::read(dir.join(format!("{name}.pdf"))).unwrap();
    let content = String::from_utf8(pdf_streams(&pdf)[0].clone()).unwrap();
    let (lo, hi) = pdf_text_points(&content);
    assert!(
        (lo - pt).abs() < 0.01 && (hi - pt).abs() < 0.01,
        "{name}.pdf: {lo}–{hi} pt"
    );
}

fn assert_pdf_embeds_the_font(pdf: &[u8]) {
    // The last stream is the font program: a TrueType file (version 1.0) with its glyphs.
    let streams = pdf_streams(pdf);
    let font = streams.last().unwrap();
    assert_eq!(font[..4], [0, 1, 0, 0], "a TrueType font program");
    assert!(
        font.len() > 2000 && font.len() < 200_000,
        "a subset: {} bytes",
        font.len()
    );
    assert!(
        find(font, b"glyf").is_some() && find(font, b"loca").is_some(),
        "outlines"
    );
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

/// The points of every polyline of an SVG stroked in `stroke` with more than `min` points.
fn polylines(svg: &str, stroke: &str, min: usize) -> Vec<Vec<(f64, f64)>> {
    svg.lines()
        .filter(|l| l.starts_with("<polyline ") && l.contains(&format!("stroke=\"{stroke}\"")))
        .map(|l| {
            let p = &l[l.find("points=\"").unwrap() + 8..];
            p[..p.find('"').unwrap()]
                .split(' ')
                .map(|xy| {
                    let (x, y) = xy.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect::<Vec<(f64, f64)>>()
        })
        .filter(|p| p.len() > min)
        .collect()
}

#[test]
fn counts_are_drawn_as_steps_and_rates_as_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let run = common::thermal_run_dir(tmp.path());
    let options = Options {
        formats: vec![Format::Svg],
        metrics: ["vms-running", "cpu-utilisation"]
            .map(String::from)
            .to_vec(),
        ..Options::default()
    };
    render_report_with(&run, &options).unwrap();
    let out = run.join("report");
    let blue = "#0072b2";
    let steps = polylines(
        &fs::read_to_string(out.join("vms-running.svg")).unwrap(),
        blue,
        10,
    );
    assert_eq!(steps.len(), 1, "one series line");
    let segments: Vec<_> = steps[0].windows(2).collect();
    assert!(
        segments
            .iter()
            .all(|w| w[0].0 == w[1].0 || w[0].1 == w[1].1),
        "a count interpolated between updates"
    );
    assert!(
        segments.iter().filter(|w| w[0].1 != w[1].1).count() > 10,
        "the count changes"
    );
    let line = polylines(
        &fs::read_to_string(out.join("cpu-utilisation.svg")).unwrap(),
        blue,
        10,
    );
    assert!(line[0]
        .windows(2)
        .any(|w| w[0].0 != w[1].0 && w[0].1 != w[1].1));
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
    // A second report with other options leaves none of the first one's figures behind.
    render_report(&run).unwrap();
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
    let (lo, hi) = svg_text_points(&svg);
    assert!(
        (lo - 9.0).abs() < 0.01 && (hi - 9.0).abs() < 0.01,
        "{lo}–{hi} pt"
    );
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
