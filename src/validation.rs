//! Validation against CloudSim 3.0.3: runs the `scenarios/beloglazov` policies on PlanetLab
//! days, compares them with CloudSim's reference results and measures what each compatibility
//! quirk changes. `orrery cloudsim-report` writes the result as `docs/validation.md`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use orrery_engine::error::InputError;
use orrery_engine::metrics::Summary;
use rayon::prelude::*;
use serde::Deserialize;

use crate::runs::{load_scenario, run};
use orrery_engine::error::RunError;

/// One row of CloudSim's reference results (`cloudsim-3.0.3-planetlab.csv`).
#[derive(Debug, Clone, Deserialize)]
pub struct ReferenceRow {
    /// Trace day (`20110303`).
    pub day: String,
    /// Policy name (`lr-mmt-1.2`).
    pub policy: String,
    /// Energy in kWh.
    pub energy_kwh: f64,
    /// SLA time per active host (fraction).
    pub slatah: f64,
    /// Performance degradation due to migration (fraction).
    pub pdm: f64,
    /// Live migrations.
    pub vm_migrations: f64,
    /// Host shutdowns.
    pub host_shutdowns: f64,
}

pub use orrery_engine::workload::trace::{shared_data, SHARED_DATA_VAR};

/// Reads CloudSim's reference CSV.
pub fn read_reference(path: &Path) -> Result<Vec<ReferenceRow>, InputError> {
    let mut reader = csv::Reader::from_path(path)
        .map_err(|e| InputError::file(path, format!("cannot read the reference results: {e}")))?;
    reader
        .deserialize()
        .enumerate()
        .map(|(i, row)| {
            row.map_err(|e| {
                InputError::file(path, format!("malformed row: {e}"))
                    .at(i + 2, None)
                    .hint("expected the columns of cloudsim-3.0.3-planetlab.csv")
            })
        })
        .collect()
}

/// The bands within which orrery must match CloudSim (relative errors).
#[derive(Debug, Clone, Copy)]
pub struct Bands {
    /// Energy.
    pub energy: f64,
    /// Migrations.
    pub migrations: f64,
    /// SLATAH and PDM.
    pub sla: f64,
}

/// The bands the consolidation issue sets: energy ±1 %, migrations ±3 %, SLATAH and PDM ±5 %.
pub const BANDS: Bands = Bands {
    energy: 0.01,
    migrations: 0.03,
    sla: 0.05,
};

/// Relative error of `ours` against `reference` (0 when both are 0).
pub fn relative_error(ours: f64, reference: f64) -> f64 {
    if reference == 0.0 {
        if ours == 0.0 {
            0.0
        } else {
            f64::INFINITY
        }
    } else {
        (ours - reference) / reference
    }
}

/// The metrics compared, as (name, ours, reference, band).
pub fn compared(
    s: &Summary,
    r: &ReferenceRow,
    bands: &Bands,
) -> [(&'static str, f64, f64, f64); 4] {
    [
        ("energy_kwh", s.energy_kwh, r.energy_kwh, bands.energy),
        (
            "vm_migrations",
            s.vm_migrations as f64,
            r.vm_migrations,
            bands.migrations,
        ),
        ("slatah", s.slatah, r.slatah, bands.sla),
        ("pdm", s.pdm, r.pdm, bands.sla),
    ]
}

/// One run to make: a scenario file with overrides and a seed.
#[derive(Debug, Clone)]
pub struct Case {
    /// Scenario file.
    pub scenario: PathBuf,
    /// `--set` overrides.
    pub sets: Vec<String>,
    /// Seed override.
    pub seed: Option<u64>,
}

impl Case {
    /// The policy scenario `scenarios_dir/<policy>.toml` on the trace directory of `day`
    /// (`planetlab` relative to the working directory: it is made absolute, since a `--set`
    /// path resolves against the scenario file's directory).
    pub fn on_day(scenarios_dir: &Path, policy: &str, planetlab: &Path, day: &str) -> Case {
        let traces = planetlab.join(day);
        let traces = std::path::absolute(&traces).unwrap_or(traces);
        Case {
            scenario: scenarios_dir.join(format!("{policy}.toml")),
            sets: vec![format!("workload.trace_dir={}", traces.display())],
            seed: None,
        }
    }

    /// The same case with one more override.
    pub fn with(mut self, set: impl Into<String>) -> Case {
        self.sets.push(set.into());
        self
    }

    /// The same case with another seed.
    pub fn seeded(mut self, seed: u64) -> Case {
        self.seed = Some(seed);
        self
    }
}

/// Runs the cases in parallel; results come back in the cases' order whatever the thread count.
pub fn run_cases(cases: &[Case]) -> Vec<Result<Summary, RunError>> {
    run_cases_with(cases, &|| ())
}

/// [`run_cases`], calling `done` as each case finishes (for a progress bar).
pub fn run_cases_with(cases: &[Case], done: &(dyn Fn() + Sync)) -> Vec<Result<Summary, RunError>> {
    cases
        .par_iter()
        .map(|c| {
            let scenario = load_scenario(Some(&c.scenario), &c.sets);
            let summary = scenario
                .map_err(RunError::from)
                .and_then(|s| Ok(run(&s, c.seed)?.summary));
            done();
            summary
        })
        .collect()
}

/// What each CloudSim quirk is, for the report.
pub const QUIRKS: &[(&str, &str)] = &[
    ("update_grid", "updates at 300.1 s + k·300 s and at every migration completion; VMs created at once"),
    ("remove_idle_vms", "a VM whose demand is 0 at an update is deleted for the rest of the day"),
    ("energy_window", "trapezoid energy, nothing from an idle start, nothing before 300 s or after the last update; idle hosts count as off"),
    ("free_wakeup", "PABFD charges a sleeping host its idle power, so waking one looks free"),
    ("incoming_full_demand", "the destination's SLA counts an arriving VM at full demand (it gets 10 %)"),
    ("ols_regression", "LR and LRR are plain least squares (the paper's LOESS weights never apply)"),
    ("underload_keeps_destinations", "the underload phase may drain hosts the overload phase just filled"),
    ("memory_at_creation_only", "memory binds only while VMs are created, never for migrations"),
    ("floor_allocations", "oversubscribed CPU shares are rounded down to whole MIPS"),
    ("allocation_order", "free MIPS is subtracted VM by VM in CloudSim's (list, then HashMap) order"),
];

/// Mean and (sample) standard deviation.
fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = if xs.len() > 1 {
        xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

/// Whether a policy draws random VM choices (compared over several seeds).
pub fn is_random(policy: &str) -> bool {
    policy.contains("-rs-")
}

/// Inputs of the report.
#[derive(Debug, Clone)]
pub struct ReportInputs {
    /// `scenarios/beloglazov`.
    pub scenarios: PathBuf,
    /// The PlanetLab directory holding one folder per day.
    pub planetlab: PathBuf,
    /// CloudSim's reference CSV.
    pub reference: PathBuf,
    /// Seeds per random-selection policy.
    pub seeds: u64,
    /// Day and policies of the quirk study.
    pub quirk_day: String,
    /// Policies of the quirk study.
    pub quirk_policies: Vec<String>,
}

/// Runs everything the report needs and renders it as Markdown.
pub fn report(inputs: &ReportInputs) -> Result<String, RunError> {
    Report::plan(inputs)?.run(&|| ())
}

/// The report's runs, planned from its inputs and CloudSim's reference results.
#[derive(Debug, Clone)]
pub struct Report {
    inputs: ReportInputs,
    reference: Vec<ReferenceRow>,
    cases: Vec<Case>,
}

impl Report {
    /// Reads the reference results and lists every run the report needs.
    pub fn plan(inputs: &ReportInputs) -> Result<Report, InputError> {
        let reference = read_reference(&inputs.reference)?;
        let cases = cases(inputs, &reference);
        Ok(Report {
            inputs: inputs.clone(),
            reference,
            cases,
        })
    }

    /// How many runs the report makes.
    pub fn runs(&self) -> usize {
        self.cases.len()
    }

    /// Makes the runs (in parallel), calling `done` as each finishes, and renders the report
    /// as Markdown.
    pub fn run(&self, done: &(dyn Fn() + Sync)) -> Result<String, RunError> {
        let results: Vec<Summary> = run_cases_with(&self.cases, done)
            .into_iter()
            .collect::<Result<_, _>>()?;
        Ok(render(&self.inputs, &self.reference, results))
    }
}

/// The runs of the report, in the order [`render`] reads their results: per reference row
/// the compat run (one per seed for random selection) and the corrected run; then per quirk
/// policy the full-compat run and one run per quirk switched off.
fn cases(inputs: &ReportInputs, reference: &[ReferenceRow]) -> Vec<Case> {
    let (planetlab, scenarios) = (&inputs.planetlab, &inputs.scenarios);
    let mut cases = Vec::new();
    // Compat and corrected runs of every reference row; several seeds for random selection.
    for r in reference {
        let base = Case::on_day(scenarios, &r.policy, planetlab, &r.day);
        if is_random(&r.policy) {
            cases.extend((1..=inputs.seeds).map(|s| base.clone().seeded(s)));
        } else {
            cases.push(base.clone());
        }
        cases.push(base.with("compat=none"));
    }
    // One quirk off at a time.
    for p in &inputs.quirk_policies {
        let base = Case::on_day(scenarios, p, planetlab, &inputs.quirk_day);
        cases.push(base.clone());
        for (q, _) in QUIRKS {
            cases.push(base.clone().with(format!("quirks.{q}=false")));
        }
    }
    cases
}

/// The report as Markdown, from the results of [`cases`] in their order.
fn render(inputs: &ReportInputs, reference: &[ReferenceRow], results: Vec<Summary>) -> String {
    let mut results = results.into_iter();

    let mut md = String::new();
    let _ = writeln!(md, "# orrery vs CloudSim 3.0.3 on PlanetLab traces\n");
    let _ = writeln!(
        md,
        "Generated by `cargo run --release -- cloudsim-report` (see `orrery cloudsim-report --help`); do not edit by hand.\n\n\
         Each row runs `scenarios/beloglazov/<policy>.toml` on one day of `../shared/data/planetlab` and compares it with\n\
         CloudSim 3.0.3's own output (`../shared/data/reference/cloudsim-3.0.3-planetlab.csv`). Columns give orrery's\n\
         value in `compat = \"cloudsim-3.0.3\"` mode and its relative error. Bands: energy ±{:.0} %, migrations ±{:.0} %,\n\
         SLATAH and PDM ±{:.0} %. `-rs-` rows are the mean ± standard deviation over {} seeds against CloudSim's single\n\
         unseeded draw. The `corrected` columns run the same scenario with `compat = \"none\"`.\n",
        BANDS.energy * 100.0,
        BANDS.migrations * 100.0,
        BANDS.sla * 100.0,
        inputs.seeds
    );
    let mut in_band = 0;
    let mut cells = 0;
    let mut day = String::new();
    for r in reference {
        if r.day != day {
            day = r.day.clone();
            let _ = writeln!(md, "\n## {day}\n");
            let _ = writeln!(
                md,
                "| policy | energy kWh (CloudSim) | err | migrations (CloudSim) | err | SLATAH % (CloudSim) | err | PDM % (CloudSim) | err | corrected: energy kWh | migrations | SLATAH % | PDM % |"
            );
            let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        }
        let runs: Vec<Summary> = if is_random(&r.policy) {
            (&mut results).take(inputs.seeds as usize).collect()
        } else {
            vec![results.next().expect("one result per case")]
        };
        let corrected = results.next().expect("one result per case");
        let _ = write!(md, "| {} ", r.policy);
        for (name, _, reference_value, band) in compared(&runs[0], r, &BANDS) {
            let values: Vec<f64> = runs
                .iter()
                .map(|s| {
                    compared(s, r, &BANDS)
                        .iter()
                        .find(|c| c.0 == name)
                        .unwrap()
                        .1
                })
                .collect();
            let (mean, sd) = mean_sd(&values);
            let err = relative_error(mean, reference_value);
            cells += 1;
            let ok = err.abs() <= band;
            in_band += ok as usize;
            let scale = if name == "slatah" || name == "pdm" {
                100.0
            } else {
                1.0
            };
            let shown = if runs.len() > 1 {
                format!("{} ± {}", fmt(mean * scale, name), fmt(sd * scale, name))
            } else {
                fmt(mean * scale, name)
            };
            let _ = write!(
                md,
                "| {shown} ({}) | {}{:+.2} % ",
                fmt(reference_value * scale, name),
                if ok { "" } else { "**" },
                err * 100.0
            );
            if !ok {
                md.push_str("** ");
            }
        }
        let _ = writeln!(
            md,
            "| {:.2} | {} | {:.4} | {:.4} |",
            corrected.energy_kwh,
            corrected.vm_migrations,
            corrected.slatah * 100.0,
            corrected.pdm * 100.0
        );
    }
    let _ = writeln!(
        md,
        "\n{in_band} of {cells} compared values are within their band.\n"
    );

    let _ = writeln!(md, "## What each quirk changes\n");
    let _ = writeln!(
        md,
        "Day {}, `compat = \"cloudsim-3.0.3\"` with one quirk switched off at a time (`--set quirks.<name>=false`).\n\
         Deltas are relative to full compatibility. `compat = \"none\"` switches all of them off.\n",
        inputs.quirk_day
    );
    for p in &inputs.quirk_policies {
        let full = results.next().expect("one result per case");
        let _ = writeln!(md, "### {p}\n");
        let _ = writeln!(
            md,
            "| quirk off | what it is | energy kWh | migrations | SLATAH % | PDM % |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|");
        let _ = writeln!(
            md,
            "| (none: full compat) | | {:.2} | {} | {:.3} | {:.4} |",
            full.energy_kwh,
            full.vm_migrations,
            full.slatah * 100.0,
            full.pdm * 100.0
        );
        for (q, what) in QUIRKS {
            let s = results.next().expect("one result per case");
            let d = |a: f64, b: f64| relative_error(a, b) * 100.0;
            let _ = writeln!(
                md,
                "| `{q}` | {what} | {:.2} ({:+.1} %) | {} ({:+.1} %) | {:.3} ({:+.1} %) | {:.4} ({:+.1} %) |",
                s.energy_kwh,
                d(s.energy_kwh, full.energy_kwh),
                s.vm_migrations,
                d(s.vm_migrations as f64, full.vm_migrations as f64),
                s.slatah * 100.0,
                d(s.slatah, full.slatah),
                s.pdm * 100.0,
                d(s.pdm, full.pdm)
            );
        }
        md.push('\n');
    }
    md.push_str(include_str!("validation_notes.md"));
    md
}

fn fmt(x: f64, name: &str) -> String {
    match name {
        "vm_migrations" => format!("{x:.0}"),
        "energy_kwh" => format!("{x:.2}"),
        _ => format!("{x:.4}"),
    }
}
