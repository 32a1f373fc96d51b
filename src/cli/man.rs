//! `orrery man [SUBCOMMAND...]`: the roff man page of orrery or of one of its subcommands
//! (clap_mangen), or with `--dir` every page written as files ready for `man -l` or a MANPATH.

use std::path::{Path, PathBuf};

use orrery_engine::InputError;

use super::output::Ui;
use crate::error::Error;

/// Arguments of `orrery man`.
#[derive(clap::Args)]
pub struct Args {
    /// The subcommand whose page to print (`run`, or `sweep merge`); orrery's own page when
    /// none is given.
    #[arg(value_name = "SUBCOMMAND")]
    path: Vec<String>,
    /// Write every page (orrery.1, orrery-run.1, orrery-sweep-merge.1, …) into this directory
    /// instead of printing one.
    #[arg(long, value_name = "DIR", conflicts_with = "path")]
    dir: Option<PathBuf>,
}

/// Prints the page of the subcommand named by `args.path` in `command` (the whole `orrery`
/// command line), or writes every page to `--dir`.
pub fn run(args: Args, ui: &Ui, command: clap::Command) -> Result<(), Error> {
    let mut root = command.disable_help_subcommand(true);
    root.build();
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir).map_err(|e| Error::output(dir.display().to_string(), e))?;
        let written = write_pages(&root, dir)?;
        ui.note_path(1, "Wrote", &format!("{written} pages in "), dir);
        ui.print(format!("wrote {written} man pages in {}\n", dir.display()));
        return Ok(());
    }
    let mut page = &root;
    for name in &args.path {
        page = page
            .find_subcommand(name)
            .ok_or_else(|| unknown(page, name))?;
    }
    // The page is what `man` exists to print: shown even under `-q`.
    ui.data(String::from_utf8_lossy(&render(page)));
    Ok(())
}

/// The roff page of `command` (built), titled in capitals as man pages are (`ORRERY-RUN`).
fn render(command: &clap::Command) -> Vec<u8> {
    let name = command.get_display_name().unwrap_or(command.get_name());
    let man = clap_mangen::Man::new(command.clone())
        .title(name.to_uppercase())
        .source(concat!("orrery ", env!("CARGO_PKG_VERSION")));
    let mut page = Vec::new();
    man.render(&mut page)
        .expect("rendering into memory cannot fail");
    page
}

/// Writes the page of `command` and of each of its subcommands into `dir`; returns how many.
fn write_pages(command: &clap::Command, dir: &Path) -> Result<usize, Error> {
    let name = command.get_display_name().unwrap_or(command.get_name());
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, render(command))
        .map_err(|e| Error::output(path.display().to_string(), e))?;
    let mut written = 1;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        written += write_pages(sub, dir)?;
    }
    Ok(written)
}

/// The error for a subcommand `name` that `parent` does not have.
fn unknown(parent: &clap::Command, name: &str) -> Error {
    let names: Vec<&str> = parent.get_subcommands().map(|s| s.get_name()).collect();
    let hint = if names.is_empty() {
        format!("`{}` has no subcommands", parent.get_name())
    } else {
        format!("use one of: {}", names.join(", "))
    };
    InputError::file(Path::new("orrery man"), format!("no subcommand `{name}`"))
        .hint(hint)
        .into()
}
