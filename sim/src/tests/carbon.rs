//! Emissions: energy drawn times the grid's intensity when it was drawn.

use super::{assert_close, batch, kwh, run, scenario, LINEAR};

#[test]
fn emissions_weigh_each_interval_energy_by_the_intensity_then() {
    let dir = tempfile::tempdir().unwrap();
    let series = dir.path().join("grid.csv");
    // 100 gCO2/kWh for the first half hour, 300 from 00:30; the run starts at 00:00.
    std::fs::write(
        &series,
        "timestamp,carbon_intensity\n2022-01-01T00:00:00Z,100\n2022-01-01T00:30:00Z,300\n",
    )
    .unwrap();
    let carbon = format!(
        "[carbon]\nintensity = \"{}\"\nstart = \"2022-01-01T00:00:00Z\"",
        series.display()
    );
    // One host of 1 × 1000 MIPS, one VM at 0.5: 150 W for the hour, 0.15 kWh; 0.0125 kWh an
    // interval of 300 s. Emissions: 0.075 kWh × 100 + 0.075 kWh × 300 = 7.5 + 22.5 = 30 g.
    let r = run(&scenario(1, LINEAR, "", &batch(1, 0.5, ""), &carbon), None);
    assert_close(r.summary.energy_kwh, kwh(540_000.0), 1e-12, "energy");
    assert_close(r.summary.emissions_g.unwrap(), 30.0, 1e-9, "emissions");
    let per_interval: Vec<f64> = r
        .intervals
        .iter()
        .map(|i| i.interval_emissions_g.unwrap())
        .collect();
    for (k, g) in per_interval.iter().enumerate() {
        let want = if k < 6 { 1.25 } else { 3.75 };
        assert_close(*g, want, 1e-9, &format!("interval {k}"));
    }
    // The intensity column is the value at each interval's end: the step at 1800 s holds from
    // then on.
    let intensity: Vec<f64> = r
        .intervals
        .iter()
        .map(|i| i.carbon_intensity.unwrap())
        .collect();
    assert_eq!(
        intensity[..6],
        [100.0; 5]
            .iter()
            .chain(&[300.0])
            .copied()
            .collect::<Vec<_>>()[..]
    );
    assert_close(r.intervals[11].emissions_g.unwrap(), 30.0, 1e-9, "so far");
    // Without a series, nothing is reported.
    let blind = run(&scenario(1, LINEAR, "", &batch(1, 0.5, ""), ""), None);
    assert_eq!(blind.summary.emissions_g, None);
    assert!(blind.intervals.iter().all(|i| i.emissions_g.is_none()));
}

#[test]
fn a_bad_carbon_start_or_series_is_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let series = dir.path().join("grid.csv");
    std::fs::write(
        &series,
        "timestamp,carbon_intensity\n2022-01-01T00:00:00Z,NaN\n",
    )
    .unwrap();
    let text = |start: &str| {
        scenario(
            1,
            LINEAR,
            "",
            &batch(1, 0.5, ""),
            &format!("[carbon]\nintensity = \"{}\"\n{start}", series.display()),
        )
    };
    let parse = |t: &str| {
        orrery_engine::scenario::Scenario::parse(
            t,
            std::path::Path::new("t.toml"),
            std::path::Path::new("."),
            &[],
        )
        .unwrap()
    };
    let e = crate::Simulator::check_layout(&parse(&text("start = \"noon\""))).unwrap_err();
    assert!(e.to_string().contains("carbon.start"), "{e}");
    let e = crate::Simulator::new(&parse(&text("")), None)
        .err()
        .expect("NaN intensity")
        .to_string();
    assert!(e.contains("grid.csv"), "{e}");
    assert!(
        e.contains("carbon intensity NaN is not a non-negative number"),
        "{e}"
    );
}
