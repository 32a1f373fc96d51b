//! orrery in `compat = "cloudsim-3.0.3"` mode against CloudSim 3.0.3's own results on the three
//! PlanetLab days in ../shared/data (or `$ORRERY_SHARED_DATA`). Fails (does not skip) when the
//! data is missing.

use std::path::{Path, PathBuf};

use orrery::validation::{
    compared, is_random, read_reference, run_cases, shared_data, Case, ReferenceRow, BANDS,
    SHARED_DATA_VAR,
};

fn shared() -> PathBuf {
    let dir = shared_data(Path::new(env!("CARGO_MANIFEST_DIR")));
    assert!(
        dir.join("planetlab").is_dir() && dir.join("reference").is_dir(),
        "the PlanetLab traces and CloudSim reference results are expected in {} (the shared/ \
         folder beside the clone; set {SHARED_DATA_VAR} to the data folder if it is elsewhere)",
        dir.display()
    );
    dir
}

fn reference() -> Vec<ReferenceRow> {
    let rows = read_reference(&shared().join("reference/cloudsim-3.0.3-planetlab.csv"))
        .expect("reference CSV");
    assert_eq!(
        rows.len(),
        26,
        "the reference CSV has 26 rows over three days"
    );
    rows
}

#[test]
fn deterministic_policies_match_cloudsim_within_the_bands() {
    let planetlab = shared().join("planetlab");
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/beloglazov");
    let rows: Vec<ReferenceRow> = reference()
        .into_iter()
        .filter(|r| !is_random(&r.policy))
        .collect();
    let cases: Vec<Case> = rows
        .iter()
        .map(|r| Case::on_day(&scenarios, &r.policy, &planetlab, &r.day))
        .collect();
    let mut failures = Vec::new();
    for (row, result) in rows.iter().zip(run_cases(&cases)) {
        let summary = result.unwrap_or_else(|e| panic!("{} on {}: {e}", row.policy, row.day));
        assert_eq!(
            summary.vms_total,
            if row.day == "20110306" {
                898
            } else if row.day == "20110303" {
                1052
            } else {
                1061
            }
        );
        for (metric, ours, theirs, b) in compared(&summary, row, &BANDS) {
            let err = if theirs == 0.0 {
                ours.abs()
            } else {
                (ours - theirs) / theirs
            };
            if err.abs() > b {
                failures.push(format!(
                    "{} {} {metric}: orrery {ours} vs CloudSim {theirs} ({:+.2} %)",
                    row.day,
                    row.policy,
                    err * 100.0
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "outside the bands:\n{}",
        failures.join("\n")
    );
}

#[test]
fn random_selection_matches_cloudsim_on_average_over_ten_seeds() {
    let planetlab = shared().join("planetlab");
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/beloglazov");
    for row in reference().iter().filter(|r| is_random(&r.policy)) {
        let cases: Vec<Case> = (1..=10)
            .map(|s| Case::on_day(&scenarios, &row.policy, &planetlab, &row.day).seeded(s))
            .collect();
        let runs: Vec<_> = run_cases(&cases)
            .into_iter()
            .map(|r| r.expect("run"))
            .collect();
        // Different seeds really draw differently.
        assert!(runs
            .windows(2)
            .any(|w| w[0].vm_migrations != w[1].vm_migrations));
        for (i, (metric, _, theirs, b)) in compared(&runs[0], row, &BANDS).into_iter().enumerate() {
            let mean = runs
                .iter()
                .map(|s| compared(s, row, &BANDS)[i].1)
                .sum::<f64>()
                / runs.len() as f64;
            let err = (mean - theirs) / theirs;
            assert!(
                err.abs() <= b,
                "{} {metric}: mean {mean} vs CloudSim {theirs} ({:+.2} %)",
                row.policy,
                err * 100.0
            );
        }
    }
}

#[test]
fn lr_and_lrr_are_identical_in_compat_mode_and_differ_when_corrected() {
    let planetlab = shared().join("planetlab");
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/beloglazov");
    let day = "20110306";
    let cases = vec![
        Case::on_day(&scenarios, "lr-mmt-1.2", &planetlab, day),
        Case::on_day(&scenarios, "lrr-mmt-1.2", &planetlab, day),
        Case::on_day(&scenarios, "lr-mmt-1.2", &planetlab, day).with("quirks.ols_regression=false"),
        Case::on_day(&scenarios, "lrr-mmt-1.2", &planetlab, day)
            .with("quirks.ols_regression=false"),
    ];
    let r: Vec<_> = run_cases(&cases)
        .into_iter()
        .map(|r| r.expect("run"))
        .collect();
    assert_eq!(
        r[0],
        Summary {
            scenario: r[0].scenario.clone(),
            ..r[1].clone()
        }
    );
    assert_ne!(
        r[2].vm_migrations, r[3].vm_migrations,
        "LOESS and robust LOESS should decide differently"
    );
}

use orrery_engine::metrics::Summary;
