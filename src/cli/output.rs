//! What a command prints, and where: results on stdout (human text, or data such as a `--json`
//! document), errors, progress and `--verbose` notes on stderr; the global flags `-q`, `-v`
//! and `--color` that steer it.
//!
//! - `-q/--quiet` keeps only what was asked for as data on stdout (`--json` documents, and
//!   the text of commands that exist to print it: tables of `compare`, generated scripts),
//!   and turns progress off. Errors still go to stderr.
//! - `-v/--verbose` (repeatable) adds notes on stderr: resolved paths, timings, files
//!   written; `-vv` adds the details (every override, every file).
//! - `--color auto|always|never` colours the `error:` prefix, verbose status words and the
//!   verdicts of `validate` and `bench`. `auto` colours a stream only when it is a terminal
//!   and `NO_COLOR` is unset (or empty); `--json` output is never coloured.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::Path;

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::error::Error;
use crate::progress::Progress;

/// The flags every subcommand takes.
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Print nothing on stdout but requested data (--json, tables of compare, scripts) and
    /// show no progress; errors still go to stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Say more on stderr: resolved paths, timings, files written (-vv: every override and
    /// every file).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// When to colour output: auto (only on a terminal, and not when NO_COLOR is set), always
    /// or never.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// When to use colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set to a non-empty value.
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// The same choice for clap's own help and usage errors.
    pub fn to_clap(self) -> clap::ColorChoice {
        match self {
            ColorChoice::Auto => clap::ColorChoice::Auto,
            ColorChoice::Always => clap::ColorChoice::Always,
            ColorChoice::Never => clap::ColorChoice::Never,
        }
    }

    /// Whether a stream that `is_terminal` (or not) gets colour, with the environment's
    /// `NO_COLOR` and `TERM`.
    fn colours(self, is_terminal: bool) -> bool {
        self.colours_with(
            is_terminal,
            std::env::var_os("NO_COLOR"),
            std::env::var_os("TERM"),
        )
    }

    /// [`ColorChoice::colours`] with the variables given: `auto` colours a terminal unless
    /// `NO_COLOR` is set to a non-empty value or `TERM` is `dumb`.
    fn colours_with(
        self,
        is_terminal: bool,
        no_color: Option<OsString>,
        term: Option<OsString>,
    ) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal
                    && no_color.is_none_or(|v| v.is_empty())
                    && term.is_none_or(|t| t != "dumb")
            }
        }
    }

    /// The `--color` value in raw arguments, read before clap parses them so that clap's own
    /// help and usage errors follow it too (`None` when absent or not a valid value).
    pub fn from_raw_args(args: impl IntoIterator<Item = OsString>) -> Option<ColorChoice> {
        let mut found = None;
        let mut args = args.into_iter().map(|a| a.to_string_lossy().into_owned());
        while let Some(arg) = args.next() {
            let value = match arg.as_str() {
                "--" => break,
                "--color" => args.next(),
                a => a.strip_prefix("--color=").map(str::to_string),
            };
            found = match value.as_deref() {
                Some("auto") => Some(ColorChoice::Auto),
                Some("always") => Some(ColorChoice::Always),
                Some("never") => Some(ColorChoice::Never),
                _ => found,
            };
        }
        found
    }
}

/// A style for a kind of text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paint {
    /// The `error:` prefix.
    Error,
    /// Good news: `ok`, an improvement.
    Good,
    /// Bad news: a regression.
    Bad,
    /// A warning-level word: a change within tolerance.
    Warn,
    /// A heading.
    Heading,
    /// A verbose note's status word.
    Status,
}

impl Paint {
    fn style(self) -> Style {
        let fg = |c: AnsiColor| Style::new().fg_color(Some(c.into()));
        match self {
            Paint::Error | Paint::Bad => fg(AnsiColor::Red).bold(),
            Paint::Good => fg(AnsiColor::Green),
            Paint::Warn => fg(AnsiColor::Yellow),
            Paint::Heading => Style::new().bold(),
            Paint::Status => fg(AnsiColor::Green).bold(),
        }
    }
}

/// How this invocation prints: quiet, verbose, and which streams take colour.
#[derive(Clone, Debug)]
pub struct Ui {
    quiet: bool,
    verbose: u8,
    colour_out: bool,
    colour_err: bool,
}

impl Ui {
    /// The printing settings the global flags ask for.
    pub fn new(args: &GlobalArgs) -> Ui {
        Ui {
            quiet: args.quiet,
            verbose: args.verbose,
            colour_out: args.color.colours(std::io::stdout().is_terminal()),
            colour_err: args.color.colours(std::io::stderr().is_terminal()),
        }
    }

    /// Whether `-q` was given.
    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// Prints human-readable text on stdout (nothing under `-q`).
    pub fn print(&self, text: impl std::fmt::Display) {
        if !self.quiet {
            self.data(text);
        }
    }

    /// Prints requested data on stdout, even under `-q`; a closed stdout (`| head`) is not
    /// an error worth a panic.
    pub fn data(&self, text: impl std::fmt::Display) {
        let _ = write!(std::io::stdout(), "{text}");
    }

    /// Prints `value` as one pretty JSON document on stdout (even under `-q`, never coloured).
    pub fn json(&self, value: &impl Serialize) {
        // Every value printed is made of maps, strings and numbers: it serialises.
        let text = serde_json::to_string_pretty(value).expect("a JSON value serialises");
        self.data(format!("{text}\n"));
    }

    /// `text` in `paint` when stdout takes colour.
    pub fn paint_out(&self, paint: Paint, text: &str) -> String {
        paint_if(self.colour_out, paint, text)
    }

    /// A verbose note on stderr when `-v` was given at least `level` times: a right-aligned
    /// status word (`Loaded`, `Wrote`) and what it is about, as cargo writes its own.
    pub fn note(&self, level: u8, status: &str, text: impl std::fmt::Display) {
        if self.verbose >= level {
            let status = paint_if(self.colour_err, Paint::Status, &format!("{status:>12}"));
            eprintln!("{status} {text}");
        }
    }

    /// A verbose note naming `path` resolved (canonical when it exists, else absolute), so that
    /// the reader knows which file it is.
    pub fn note_path(&self, level: u8, status: &str, what: &str, path: &Path) {
        if self.verbose >= level {
            let shown = std::fs::canonicalize(path)
                .or_else(|_| std::path::absolute(path))
                .unwrap_or_else(|_| path.to_path_buf());
            self.note(level, status, format!("{what}{}", shown.display()));
        }
    }

    /// Progress over `total` `unit`s of the command `label` on stderr (off under `-q`).
    pub fn progress(&self, label: &'static str, unit: &'static str, total: usize) -> Progress {
        Progress::new(label, unit, total, !self.quiet)
    }

    /// Prints a failed command's error on stderr: `error: ` and one paragraph per failure.
    pub fn error(&self, e: &Error) {
        let prefix = paint_if(self.colour_err, Paint::Error, "error:");
        let text = e.to_string().replace("\nerror: ", &format!("\n{prefix} "));
        let _ = writeln!(std::io::stderr(), "{prefix} {text}");
    }
}

/// A failure as JSON: `error` (the whole paragraph, as stderr shows it), `exit_code`, and for
/// a located input error its `file`, `line`, `column`, `key`, `message` and `hint` (`null`
/// where unknown; all but `error` and `exit_code` are `null` for other failures).
#[derive(Debug, Serialize)]
pub struct ErrorJson {
    error: String,
    exit_code: u8,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    key: Option<String>,
    message: Option<String>,
    hint: Option<String>,
}

impl ErrorJson {
    /// The JSON form of `e`.
    pub fn of(e: &Error) -> ErrorJson {
        let input = e.input();
        ErrorJson {
            error: e.to_string(),
            exit_code: e.exit_code(),
            file: input.map(|i| i.file.display().to_string()),
            line: input.and_then(|i| i.line),
            column: input.and_then(|i| i.column),
            key: input.and_then(|i| i.key.clone()),
            message: input.map(|i| i.message.clone()),
            hint: input.and_then(|i| i.hint.clone()),
        }
    }
}

/// `text` in `paint`'s style when `colour`, else as it is.
fn paint_if(colour: bool, paint: Paint, text: &str) -> String {
    if colour {
        let style = paint.style();
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(args: &[&str]) -> Option<ColorChoice> {
        ColorChoice::from_raw_args(args.iter().map(OsString::from))
    }

    #[test]
    fn color_flag_is_found_before_parsing() {
        assert_eq!(raw(&["orrery", "run"]), None);
        assert_eq!(
            raw(&["orrery", "--color", "never", "run"]),
            Some(ColorChoice::Never)
        );
        assert_eq!(
            raw(&["orrery", "run", "--color=always"]),
            Some(ColorChoice::Always)
        );
        assert_eq!(raw(&["orrery", "--", "--color=always"]), None);
        assert_eq!(raw(&["orrery", "--color", "bad"]), None);
    }

    #[test]
    fn auto_colours_a_terminal_unless_no_color_or_a_dumb_terminal() {
        let v = |s: &str| Some(OsString::from(s));
        let auto = ColorChoice::Auto;
        assert!(auto.colours_with(true, None, v("xterm")));
        assert!(!auto.colours_with(false, None, v("xterm")));
        assert!(!auto.colours_with(true, v("1"), v("xterm")));
        assert!(
            auto.colours_with(true, v(""), None),
            "an empty NO_COLOR is unset"
        );
        assert!(!auto.colours_with(true, None, v("dumb")));
        assert!(ColorChoice::Always.colours_with(false, v("1"), v("dumb")));
        assert!(!ColorChoice::Never.colours_with(true, None, None));
    }

    #[test]
    fn paint_only_when_asked() {
        assert_eq!(paint_if(false, Paint::Error, "error:"), "error:");
        let red = paint_if(true, Paint::Error, "error:");
        assert!(red.starts_with("\x1b[") && red.contains("error:") && red.ends_with("\x1b[0m"));
    }
}
