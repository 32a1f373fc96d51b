//! Why a report, table or comparison could not be made.

use std::fmt;
use std::path::{Path, PathBuf};

/// A report failure: bad or missing input (naming the file and the fix), or an output that
/// could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// An input file or directory is missing or malformed.
    #[error("{}: {}. {}", path.display(), problem.trim_end_matches('.'), hint.trim_end_matches('.'))]
    Input {
        /// The file or directory at fault.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
        /// How to fix it.
        hint: String,
    },
    /// An output file could not be written or drawn.
    #[error("cannot write {}: {problem}", path.display())]
    Output {
        /// The file that could not be written.
        path: PathBuf,
        /// Why.
        problem: String,
    },
}

impl ReportError {
    /// Bad input at `path`: `problem`, fixed by `hint`.
    pub fn input(path: &Path, problem: impl fmt::Display, hint: impl Into<String>) -> Self {
        ReportError::Input {
            path: path.to_path_buf(),
            problem: problem.to_string(),
            hint: hint.into(),
        }
    }

    /// `path` could not be written: `problem`.
    pub fn output(path: &Path, problem: impl fmt::Display) -> Self {
        ReportError::Output {
            path: path.to_path_buf(),
            problem: problem.to_string(),
        }
    }
}
