//! `orrery-headroom`: orrery's whole command line, with this crate's two policies registered.

fn main() -> std::process::ExitCode {
    orrery::cli::main_with(orrery_headroom::extensions())
}
