//! `orrery report`: its options choose the formats, width, font size and figures; text too
//! small to read in print is refused.

mod common;

use std::fs;

use common::*;

#[test]
fn report_options_reach_the_figures_and_a_too_small_font_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    run_ok(
        Some(&scenario("table1/thermal-balance.toml")),
        &dir,
        &["--set", "duration_s=7200"],
    );
    let report = |extra: &[&str]| {
        let mut args = vec!["report".to_string(), dir.display().to_string()];
        args.extend(extra.iter().map(|s| s.to_string()));
        run_orrery(&args)
    };
    let out = report(&[
        "--format",
        "pdf,svg",
        "--size",
        "double",
        "--font-size",
        "9",
        "--metrics",
        "temperature",
    ]);
    assert_success(&out);
    let mut files: Vec<String> = fs::read_dir(dir.join("report"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["index.html", "temperature.pdf", "temperature.svg"]);
    let svg = fs::read_to_string(dir.join("report/temperature.svg")).unwrap();
    assert!(svg.contains("width=\"7.16in\""), "double column");
    let pdf = fs::read(dir.join("report/temperature.pdf")).unwrap();
    assert!(String::from_utf8_lossy(&pdf).contains("/FontFile2"));
    let out = report(&["--font-size", "6"]);
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert!(
        stderr(&out).contains("6 pt is outside 7–14 pt"),
        "{}",
        stderr(&out)
    );
    let out = report(&["--metrics", "nope"]);
    let err = assert_input_error(&out);
    assert!(
        err.contains("\"nope\"") && err.contains("temperatures"),
        "{err}"
    );
}
