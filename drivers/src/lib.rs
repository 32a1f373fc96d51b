//! orrery's infrastructure backends: implementations of
//! [`orrery_engine::infra::Infrastructure`]. `sim` is the discrete-event simulated datacenter;
//! `libvirt` drives real hosts (live mode).

pub mod libvirt;
pub mod sim;

pub use libvirt::Live;
pub use sim::Simulator;
