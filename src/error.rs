//! Why a command failed, and the one mapping from failures to exit codes: 2 for bad input (a
//! scenario, trace, configuration file, directory or argument), 1 for a failure at run time
//! (the infrastructure, an output that cannot be written, a regression the bench gate found).

use orrery_engine::error::{InputError, RunError};
use orrery_engine::output::{Occupied, OutputError};
use orrery_engine::InfraError;
use orrery_reports::ReportError;

use crate::sweep::SweepError;

/// A failed command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input, located in its file (exit code 2).
    #[error(transparent)]
    Input(#[from] InputError),
    /// The infrastructure failed during a run (exit code 1).
    #[error(transparent)]
    Infra(#[from] InfraError),
    /// An output could not be written (exit code 1).
    #[error("cannot write {what}: {source}")]
    Output {
        /// What could not be written (`results to out/`).
        what: String,
        /// Why.
        source: std::io::Error,
    },
    /// A result file could not be written (exit code 1).
    #[error(transparent)]
    Write(#[from] OutputError),
    /// The output directory holds an earlier run's results (exit code 2) or cannot be
    /// prepared (1).
    #[error(transparent)]
    Occupied(#[from] Occupied),
    /// A report, table or comparison failed: bad input (2) or an unwritable output (1).
    #[error(transparent)]
    Report(#[from] ReportError),
    /// A sweep failed (see [`SweepError`]).
    #[error(transparent)]
    Sweep(#[from] SweepError),
    /// A gate failed: the bench suite found regressions (exit code 1).
    #[error("{0}")]
    Gate(String),
    /// Several inputs failed (`orrery validate` checks every file it is given): one line each.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\nerror: "))]
    Several(Vec<Error>),
}

impl From<RunError> for Error {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Input(e) => Error::Input(e),
            RunError::Infra(e) => Error::Infra(e),
        }
    }
}

impl Error {
    /// An output that could not be written: `what` names it.
    pub fn output(what: impl Into<String>, source: std::io::Error) -> Self {
        Error::Output {
            what: what.into(),
            source,
        }
    }

    /// The located input error behind this failure, if it is one (file, line, column, key,
    /// message and hint, for `--json` output).
    pub fn input(&self) -> Option<&InputError> {
        match self {
            Error::Input(e)
            | Error::Sweep(SweepError::Input(e))
            | Error::Sweep(SweepError::Run {
                source: RunError::Input(e),
                ..
            }) => Some(e),
            _ => None,
        }
    }

    /// The process exit code: 2 for bad input, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Input(_)
            | Error::Occupied(Occupied::Used { .. } | Occupied::NotADirectory(_))
            | Error::Report(ReportError::Input { .. })
            | Error::Sweep(SweepError::Input(_))
            | Error::Sweep(SweepError::Run {
                source: RunError::Input(_),
                ..
            }) => 2,
            Error::Several(errors) => errors.iter().map(Error::exit_code).max().unwrap_or(1),
            Error::Infra(_)
            | Error::Output { .. }
            | Error::Write(_)
            | Error::Occupied(Occupied::Io(_))
            | Error::Report(ReportError::Output { .. })
            | Error::Sweep(_)
            | Error::Gate(_) => 1,
        }
    }
}
