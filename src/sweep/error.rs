//! Why a sweep failed.

use orrery_engine::error::RunError;
use orrery_engine::InputError;

/// Why a sweep failed.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// Bad input: the scenario, its grid or an argument (exit code 2).
    #[error(transparent)]
    Input(#[from] InputError),
    /// One run failed.
    #[error("run {run} failed: {source}")]
    Run {
        /// The run's folder name (`p000003-r001`).
        run: String,
        /// What went wrong.
        source: RunError,
    },
    /// The sweep directory is unusable: unreadable, unwritable, or holding another sweep.
    #[error("{0}")]
    Store(String),
    /// The Parquet and aggregate tables could not be made from `results.csv`.
    #[error(transparent)]
    Tables(#[from] orrery_reports::ReportError),
}
