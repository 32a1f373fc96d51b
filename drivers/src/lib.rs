//! orrery's infrastructure backends: implementations of
//! [`orrery_engine::infra::Infrastructure`]. `sim` is the discrete-event simulated datacenter;
//! the libvirt backend for live hosts comes with live mode.

pub mod sim;

pub use sim::Simulator;
