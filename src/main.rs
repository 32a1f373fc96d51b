//! `orrery`: the command-line interface (see [`orrery::cli`]).

fn main() -> std::process::ExitCode {
    orrery::cli::main()
}
