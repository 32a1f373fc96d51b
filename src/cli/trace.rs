//! `orrery trace`: import public datasets into orrery's trace format, and inspect a trace.

use std::path::PathBuf;

use orrery_traces::import::{import, Format, Machine, MemoryUnit, Options};
use orrery_traces::inspect::inspect;

use super::output::Ui;
use crate::error::Error;

/// Arguments of `orrery trace`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Convert a dataset in its own format into an orrery trace (docs/traces.md gives each
    /// format's source schema and mapping).
    Import(ImportArgs),
    /// Summarise a trace: VMs, time span, CPU-hours requested and used, peak concurrent VMs and
    /// memory, and a utilisation histogram.
    Inspect(InspectArgs),
}

/// Arguments of `orrery trace import`.
#[derive(clap::Args)]
struct ImportArgs {
    /// The source's format.
    #[arg(value_parser = parse_format, value_name = "FORMAT")]
    format: Format,
    /// The source: a file or directory, as the format has it.
    source: PathBuf,
    /// The trace to write (Parquet; replaced atomically).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The unit of the source's memory column where the format leaves it open (kb, mb, gb).
    #[arg(long, value_name = "UNIT", default_value = "mb", value_parser = |s: &str| s.parse::<MemoryUnit>())]
    memory_unit: MemoryUnit,
    /// Cores of the largest machine, for traces that normalise capacities to it.
    #[arg(long, value_name = "N", default_value_t = Options::default().machine.cores)]
    machine_cores: u32,
    /// MIPS a core of the largest machine.
    #[arg(long, value_name = "MIPS", default_value_t = Options::default().machine.core_mips)]
    machine_mips: f64,
    /// Memory of the largest machine, MB.
    #[arg(long, value_name = "MB", default_value_t = Options::default().machine.memory_mb)]
    machine_memory_mb: f64,
    /// Write the source's machines here (CSV), where it has them.
    #[arg(long, value_name = "FILE")]
    hosts: Option<PathBuf>,
}

/// Arguments of `orrery trace inspect`.
#[derive(clap::Args)]
struct InspectArgs {
    /// The trace.
    file: PathBuf,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

/// Runs `orrery trace …`.
pub fn run(args: Args, ui: &Ui) -> Result<(), Error> {
    match args.command {
        Command::Import(a) => {
            let defaults = Options::default();
            let machine = Machine {
                cores: a.machine_cores,
                core_mips: a.machine_mips,
                memory_mb: a.machine_memory_mb,
            };
            if machine.cores == 0
                || !(machine.core_mips.is_finite() && machine.core_mips > 0.0)
                || !(machine.memory_mb.is_finite() && machine.memory_mb > 0.0)
            {
                return Err(Error::Input(
                    orrery_engine::error::InputError::file(
                        "--machine-*",
                        "the largest machine's cores, MIPS and memory must be positive numbers",
                    )
                    .hint("pass e.g. --machine-cores 32 --machine-mips 2500 --machine-memory-mb 131072"),
                ));
            }
            let options = Options {
                memory_unit: a.memory_unit,
                machine,
                hosts_out: a.hosts,
                ..defaults
            };
            ui.note_path(1, "Importing", a.format.name(), &a.source);
            let report = import(a.format, &a.source, &a.out, &options)?;
            ui.print(report.render());
            ui.note_path(1, "Wrote", "trace", &a.out);
            Ok(())
        }
        Command::Inspect(a) => {
            let summary = inspect(&a.file)?;
            if a.json {
                ui.json(&summary);
            } else {
                ui.print(summary.render());
            }
            Ok(())
        }
    }
}
