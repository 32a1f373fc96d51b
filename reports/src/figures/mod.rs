//! Which figures a result directory gets, built from its data: a run's in [`run`], a service
//! run's in [`service`], a federation's in [`federation`] and a sweep's in [`sweep`], each a
//! [`Plot`]. Each figure has a name (its file stem and the key `--metrics` selects it by) and a
//! caption that says what is drawn, including what its intervals are.

pub mod federation;
pub mod plot;
pub mod run;
pub mod service;
pub mod sweep;

pub use federation::federation_plots;
pub use plot::{Drawing, Plot};
pub use run::run_plots;
pub use service::service_plots;
pub use sweep::{
    comparison, sweep_series, sweep_series_names, PointRuns, PointValues, COMPARED, SWEEP_SERIES,
};
