//! `orrery completions SHELL`: a completion script for bash, zsh, fish, elvish or PowerShell,
//! generated from the command line's own definition (clap_complete).

use super::output::Ui;
use crate::error::Error;

/// Arguments of `orrery completions`.
#[derive(clap::Args)]
pub struct Args {
    /// The shell to complete for.
    shell: clap_complete::Shell,
}

/// Prints the completion script of `command` (the whole `orrery` command line) for the shell.
pub fn run(args: Args, ui: &Ui, mut command: clap::Command) -> Result<(), Error> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "orrery", &mut script);
    // The script is what `completions` exists to print: shown even under `-q`.
    ui.data(String::from_utf8_lossy(&script));
    Ok(())
}
