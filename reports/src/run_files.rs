//! The files one run writes: `summary.json`, `intervals.csv`, `events.csv`, the accounts
//! (`usage.csv`, `billing.csv`, `audit.csv`), `temperatures.csv`, and `services.csv` and
//! `roles.csv` for scenarios with services; written through an [`OutputDir`], so a run
//! directory is complete (with its manifest) or holds nothing that looks complete.

use orrery_engine::metrics::RunResult;
use orrery_engine::output::{OutputDir, OutputError};

/// Every file (and folder) a run directory may hold: a run into a used directory replaces them
/// all, so no file of an earlier run stays beside the new ones.
pub const RUN_FILES: &[&str] = &[
    "summary.json",
    "intervals.csv",
    "events.csv",
    "usage.csv",
    "billing.csv",
    "audit.csv",
    "services.csv",
    "roles.csv",
    "temperatures.csv",
    "report",
];

/// Writes `summary.json`, `intervals.csv`, `events.csv` and the accounts (`usage.csv`,
/// `billing.csv`, `audit.csv`) into `out`, `services.csv` and `roles.csv` when the run has
/// services, and `temperatures.csv` when it has a thermal model. The caller finishes `out`.
pub fn write_run(out: &mut OutputDir, run: &RunResult) -> Result<(), OutputError> {
    out.write_json("summary.json", &run.summary)?;
    out.write_csv("intervals.csv", &run.intervals)?;
    out.write_csv("events.csv", &run.events)?;
    out.write_csv("usage.csv", &run.usage)?;
    out.write_csv("billing.csv", &run.billing)?;
    out.write_csv("audit.csv", &run.audit)?;
    if !run.services.is_empty() {
        out.write_csv("services.csv", &run.services)?;
        out.write_csv("roles.csv", &run.roles)?;
    }
    if !run.temperatures.is_empty() {
        out.write_csv("temperatures.csv", &run.temperatures)?;
    }
    Ok(())
}
