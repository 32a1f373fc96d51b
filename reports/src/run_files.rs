//! The files one run writes: `summary.json` and its tables (`intervals`, `events`, `usage`,
//! `usage_totals`, `billing`, `billing_totals`, `audit`, `migrations`, and `temperatures`,
//! `services` and `roles` where the run has them), each as CSV and Parquet typed by its
//! declared schema, with the schemas in `tables.json`; written through an [`OutputDir`], so a
//! run directory is complete (with its manifest) or holds nothing that looks complete.

use orrery_engine::metrics::RunResult;
use orrery_engine::output::{OutputDir, OutputError};
use orrery_engine::tables::TableSink;

use crate::typed::{known_files, ParquetSink};

/// Every table a run directory may hold.
pub const RUN_TABLES: &[&str] = &[
    "intervals",
    "events",
    "usage",
    "usage_totals",
    "billing",
    "billing_totals",
    "audit",
    "migrations",
    "temperatures",
    "services",
    "roles",
];

/// Every file (and folder) a run directory may hold: a run into a used directory replaces them
/// all, so no file of an earlier run stays beside the new ones.
pub fn run_files() -> Vec<String> {
    known_files(RUN_TABLES, &["summary.json", "report"])
}

/// Writes `summary.json` and the run's tables into `out`; the caller finishes `out`.
pub fn write_run(out: &mut OutputDir, run: &RunResult) -> Result<(), OutputError> {
    out.write_json("summary.json", &run.summary)?;
    let mut sink = ParquetSink::new(out);
    run.for_each_table(|schema, csv| sink.table(schema, csv))?;
    sink.finish()
}
