//! `orrery serve SCENARIO`: an EC2-compatible Query API in front of the scenario's running
//! simulation (docs/serve.md). Prints `listening on http://ADDR` once it listens, then serves
//! until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;

use orrery_engine::InfraError;
use orrery_serve::cloud::Cloud;
use orrery_serve::keys::Keys;
use orrery_serve::simulated::SimBackend;
use orrery_serve::{tenants, Clock, Config};

use super::output::Ui;
use crate::error::Error;

/// Arguments of `orrery serve`.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (TOML): the datacenter, its own workload, its policies and its
    /// organisations.
    scenario: PathBuf,
    /// Address to listen on; port 0 picks a free port (the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Simulated seconds per wall-clock second (default 1: real time).
    #[arg(long, conflicts_with = "on_demand", value_parser = positive_rate)]
    rate: Option<f64>,
    /// Advance simulated time only on request (POST /orrery/advance?seconds=N, admin keys).
    #[arg(long)]
    on_demand: bool,
    /// Keys file (TOML): access key id → secret, organisation and admin flag.
    #[arg(long, required = true)]
    keys: PathBuf,
    /// Append one JSON line per request (time, key id, organisation, action, resources,
    /// result) to this file.
    #[arg(long)]
    audit: Option<PathBuf>,
    /// CPU demand of launched instances, as a fraction of their vCPUs.
    #[arg(long, default_value_t = 0.5, value_parser = fraction)]
    utilisation: f64,
    /// Seed for every random stream (overrides the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Override a scenario key: `--set duration_s=86400` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
}

fn positive_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!(
            "`{s}` is not a positive number of simulated seconds per second"
        )),
    }
}

fn fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!("`{s}` is not a fraction between 0 and 1")),
    }
}

/// Loads the scenario and keys, starts the simulation and serves it.
pub fn run(args: Args, ui: &Ui) -> Result<(), Error> {
    ui.note_path(1, "Loading", "scenario ", &args.scenario);
    let scenario = crate::runs::load_scenario(Some(&args.scenario), &args.sets)?;
    let keys = Keys::load(&args.keys, &tenants::organisations(&scenario))?;
    let backend = SimBackend::new(&scenario, args.seed, args.utilisation)?;
    let epoch_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let cloud = Cloud::new(Box::new(backend), epoch_ms, tenants::quotas(&scenario));
    let clock = if args.on_demand {
        Clock::OnDemand
    } else {
        Clock::Rate(args.rate.unwrap_or(1.0))
    };
    let config = Config {
        listen: args.listen,
        clock,
        keys,
        audit: args.audit,
        max_body: orrery_serve::server::DEFAULT_MAX_BODY,
    };
    orrery_serve::serve(cloud, config, |addr| {
        ui.data(format!("listening on http://{addr}\n"));
        ui.note(1, "Serving", format!("{} ({clock:?})", scenario.name));
    })
    .map_err(|e| Error::Infra(InfraError::Backend(e)))
}
