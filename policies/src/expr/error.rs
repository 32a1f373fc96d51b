//! A syntax error in an expression, located by column.

use std::fmt;

/// A syntax error in an expression (requirement, rank or elasticity), located by column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset into the expression where the error was found.
    pub offset: usize,
    /// 1-based character column of `offset`.
    pub column: usize,
    /// What was expected and what was found.
    pub message: String,
    /// The expression that failed to parse (for the excerpt of the `{:#}` format).
    pub input: String,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
}

impl ParseError {
    pub(crate) fn new(src: &str, offset: usize, message: String) -> Self {
        ParseError {
            offset,
            column: src[..offset].chars().count() + 1,
            message,
            input: src.to_owned(),
            hint: None,
        }
    }

    /// Adds a hint on how to fix the error.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for ParseError {
    /// `column 14: expected …[; hint]`; the alternate form `{:#}` adds the expression and a
    /// caret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        if f.alternate() {
            let line: String = self
                .input
                .chars()
                .map(|c| if c.is_whitespace() { ' ' } else { c })
                .collect();
            write!(f, "\n  {line}\n  {:>width$}", "^", width = self.column)?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}
