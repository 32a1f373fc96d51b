//! Result tables on disk: `results.csv` read with polars, `results.parquet`, and the
//! aggregate over replicas as `aggregate.csv` and `aggregate.parquet`.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::aggregate::aggregate;
use crate::dirs::{require_file, SweepManifest, RESULTS_CSV, SWEEP_JSON};
use crate::error::ReportError;

/// `results.parquet`: the runs of a sweep, as in `results.csv`.
pub const RESULTS_PARQUET: &str = "results.parquet";
/// `aggregate.csv`: one row per point, mean / sd / 95 % CI half-width per metric.
pub const AGGREGATE_CSV: &str = "aggregate.csv";
/// `aggregate.parquet`: the same table as `aggregate.csv`.
pub const AGGREGATE_PARQUET: &str = "aggregate.parquet";

/// Reads a Parquet file.
pub fn read_parquet(path: &Path) -> Result<DataFrame, ReportError> {
    let file = File::open(path).map_err(|e| {
        ReportError::input(
            path,
            format!("cannot open: {e}"),
            "run `orrery report` on the sweep first",
        )
    })?;
    ParquetReader::new(file).finish().map_err(|e| {
        ReportError::input(
            path,
            format!("malformed Parquet: {e}"),
            "delete it and run `orrery report` again",
        )
    })
}

/// Writes `df` as CSV with a header.
pub fn write_csv(path: &Path, df: &mut DataFrame) -> Result<(), ReportError> {
    let mut file = File::create(path).map_err(|e| ReportError::output(path, e))?;
    CsvWriter::new(&mut file)
        .include_header(true)
        .finish(df)
        .map_err(|e| ReportError::output(path, e))
}

/// Writes `df` as Parquet (Snappy-compressed).
pub fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<(), ReportError> {
    let file = File::create(path).map_err(|e| ReportError::output(path, e))?;
    ParquetWriter::new(file)
        .with_compression(ParquetCompression::Snappy)
        .finish(df)
        .map(|_| ())
        .map_err(|e| ReportError::output(path, e))
}

/// A sweep's runs (`results.csv`) and their aggregate over replicas, read from `dir`.
pub struct SweepTables {
    /// The sweep's manifest (`sweep.json`).
    pub manifest: SweepManifest,
    /// One row per run, as in `results.csv`.
    pub results: DataFrame,
    /// One row per point: see [`crate::aggregate::aggregate`].
    pub aggregate: DataFrame,
}

impl SweepTables {
    /// Reads `DIR/sweep.json` and `DIR/results.csv` and aggregates the runs over replicas.
    pub fn load(dir: &Path) -> Result<SweepTables, ReportError> {
        let manifest = SweepManifest::read(&dir.join(SWEEP_JSON))?;
        let csv_path = dir.join(RESULTS_CSV);
        require_file(&csv_path, "write it again with `orrery sweep`")?;
        let results = crate::typed::read_csv(
            &csv_path,
            &manifest.results_schema(),
            "results.csv and sweep.json come from different sweeps, or the file was changed: \
             re-run `orrery sweep` (with --force) to rewrite it",
        )?;
        if results.height() == 0 {
            return Err(ReportError::input(
                &csv_path,
                "no runs",
                "run the sweep (`orrery sweep`) until at least one run has finished",
            ));
        }
        for key in std::iter::once("point").chain(manifest.keys.iter().map(String::as_str)) {
            if results.column(key).is_err() {
                return Err(ReportError::input(
                    &csv_path,
                    format!("no column `{key}` (sweep.json sweeps {:?})", manifest.keys),
                    "results.csv and sweep.json come from different sweeps: re-run `orrery sweep`",
                ));
            }
        }
        if !results
            .column("point")
            .is_ok_and(|c| c.dtype().is_integer())
        {
            return Err(ReportError::input(
                &csv_path,
                "column `point` does not hold whole numbers",
                "re-run `orrery sweep` (with --force) to rewrite results.csv",
            ));
        }
        let aggregate = aggregate(&results, &manifest.keys).map_err(|e| {
            ReportError::input(
                &csv_path,
                format!("cannot aggregate: {e}"),
                "re-run `orrery sweep` (with --force) to rewrite results.csv",
            )
        })?;
        Ok(SweepTables {
            manifest,
            results,
            aggregate,
        })
    }

    /// Writes `results.parquet`, `aggregate.csv` and `aggregate.parquet` into `dir`; returns
    /// their paths.
    pub fn write(&mut self, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
        let written = [
            dir.join(RESULTS_PARQUET),
            dir.join(AGGREGATE_CSV),
            dir.join(AGGREGATE_PARQUET),
        ];
        write_parquet(&written[0], &mut self.results)?;
        write_csv(&written[1], &mut self.aggregate)?;
        write_parquet(&written[2], &mut self.aggregate)?;
        Ok(written.to_vec())
    }
}

/// Writes `results.parquet`, `aggregate.csv` and `aggregate.parquet` into the sweep directory
/// `dir` from its `results.csv` and `sweep.json`; returns the paths written.
pub fn finish_sweep(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    SweepTables::load(dir)?.write(dir)
}
