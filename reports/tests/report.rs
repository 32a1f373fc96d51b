//! Reports of real runs: every plot is decoded and checked, and the HTML is self-contained.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use orrery_reports::render_report;

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

/// Asserts the PNG has the size and is a real drawing: many colours, a good share of
/// non-white pixels, and some pure text/axis black-ish pixels.
fn assert_plot(dir: &Path, name: &str, size: (u32, u32)) {
    let png = dir.join(format!("{name}.png"));
    let (got, pixels) = decode(&png);
    assert_eq!(got, size, "{name}.png size");
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
    let svg = fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("<text"),
        "{name}.svg"
    );
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
}

#[test]
fn report_of_a_thermal_run() {
    let tmp = tempfile::tempdir().unwrap();
    let run = common::thermal_run_dir(tmp.path());
    let index = render_report(&run).unwrap();
    assert_eq!(index, run.join("report/index.html"));
    let out = run.join("report");
    // Title 40 + two panels of 300 + a legend of three rows (3 · 22 + 10).
    assert_plot(&out, "power-energy", (1000, 40 + 600 + 76));
    for name in ["active-hosts", "cpu-shortfall", "migrations"] {
        assert_plot(&out, name, (1000, 340));
    }
    assert_plot(&out, "temperatures", (1000, 560));
    let html = fs::read_to_string(&index).unwrap();
    assert_self_contained(&html);
    assert_eq!(html.matches("<img").count(), 5);
    assert!(html.contains("thermal-balance"));
    assert!(html.contains("energy incl. cooling (kWh)"));
}

#[test]
fn report_of_a_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let policies = ["thermal-balance", "consolidation", "none"];
    let sweep = common::thermal_sweep_dir(tmp.path(), &policies, 2);
    let index = render_report(&sweep).unwrap();
    for table in ["results.parquet", "aggregate.csv", "aggregate.parquet"] {
        assert!(sweep.join(table).is_file(), "{table}");
    }
    let out = sweep.join("report");
    // One bar per point: frame 110 + 3 · 36.
    for key in [
        "total_energy_kwh",
        "mean_active_hosts",
        "cpu_shortfall_ratio",
        "vm_migrations",
        "max_host_temperature_c",
    ] {
        assert_plot(&out, &format!("bars-{key}"), (1000, 110 + 3 * 36));
    }
    // A legend of three points.
    assert_plot(&out, "power-energy", (1000, 40 + 600 + 76));
    for name in ["active-hosts", "cpu-shortfall", "migrations"] {
        assert_plot(&out, name, (1000, 340 + 76));
    }
    assert_plot(&out, "temperatures", (1000, 560));
    let html = fs::read_to_string(&index).unwrap();
    assert_self_contained(&html);
    assert_eq!(html.matches("<img").count(), 5 + 4 + 1);
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
}

#[test]
fn report_of_a_sweep_without_runs_has_tables_and_bars() {
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
        assert_plot(&out, &format!("bars-{key}"), (1000, 110 + 4 * 36));
    }
    // No temperatures in the fixture: no bars for them, no heat map, no time series.
    for name in [
        "bars-max_host_temperature_c",
        "temperatures",
        "power-energy",
    ] {
        assert!(!out.join(format!("{name}.png")).exists(), "{name}");
    }
    let html = fs::read_to_string(&index).unwrap();
    assert_self_contained(&html);
    assert_eq!(html.matches("<img").count(), 4);
    assert!(html.contains("No finished runs under runs/"));
    assert!(html.contains("fixture (reallocation=thermal-balance, hosts.0.count=64)"));
}
