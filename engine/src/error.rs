//! Located input errors: every bad scenario, trace or argument names the file, the place and the fix.

use std::fmt;
use std::path::{Path, PathBuf};

/// An error in user input (a scenario file, a trace file, a command-line override).
///
/// It renders as one paragraph: where (file, line, column, key), what is wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    /// The file the error is in (or a pseudo-name such as `--set`).
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// Dotted key path inside the file (`workload.trace_dir`), when known.
    pub key: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
}

impl InputError {
    /// An error about a whole file.
    pub fn file(file: impl AsRef<Path>, message: impl Into<String>) -> Self {
        InputError {
            file: file.as_ref().to_path_buf(),
            line: None,
            column: None,
            key: None,
            message: message.into(),
            hint: None,
        }
    }

    /// Sets the line (and optionally column) of the error.
    pub fn at(mut self, line: usize, column: Option<usize>) -> Self {
        self.line = Some(line);
        self.column = column;
        self
    }

    /// Sets the line and column of byte `offset` in `text`, the file's contents.
    pub fn at_offset(self, text: &str, offset: usize) -> Self {
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before
            .rfind('\n')
            .map_or(before.len(), |nl| before.len() - nl - 1)
            + 1;
        self.at(line, Some(col))
    }

    /// A TOML syntax or type error in `file`, whose contents are `text`, located.
    pub fn toml(file: impl AsRef<Path>, text: &str, e: &toml::de::Error) -> Self {
        let err = InputError::file(file, e.message().trim().replace('\n', "; "));
        match e.span() {
            Some(span) => err.at_offset(text, span.start),
            None => err,
        }
    }

    /// Sets the dotted key path of the error.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Adds a hint on how to fix the error.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Why a run (a simulation, a federation or a live loop) failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad input: a scenario, trace or argument (exit code 2).
    #[error(transparent)]
    Input(#[from] InputError),
    /// The infrastructure failed during the run (exit code 1).
    #[error(transparent)]
    Infra(#[from] crate::infra::InfraError),
}

/// Checks that a number read from a file is finite and positive; the message names the value.
pub fn require_positive(v: f64) -> Result<(), String> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(format!("must be a positive number, got {v}"))
    }
}

/// Checks that a number read from a file is finite and zero or positive.
pub fn require_non_negative(v: f64) -> Result<(), String> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(format!("must be zero or positive, got {v}"))
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
            if let Some(col) = self.column {
                write!(f, ", column {col}")?;
            }
        }
        if let Some(key) = &self.key {
            write!(f, ", key `{key}`")?;
        }
        write!(f, ": {}", self.message.trim_end_matches('.'))?;
        if let Some(hint) = &self.hint {
            write!(f, ". {}", hint.trim_end_matches('.'))?;
        }
        write!(f, ".")
    }
}

impl std::error::Error for InputError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_part_in_one_paragraph() {
        let e = InputError::file("a.toml", "expected an integer, found a string")
            .at(3, Some(7))
            .key("hosts.count")
            .hint("write `count = 4`");
        assert_eq!(
            e.to_string(),
            "a.toml, line 3, column 7, key `hosts.count`: expected an integer, found a string. write `count = 4`."
        );
    }
}
