//! orrery's policies: pure decision code over a read-only cluster view.

pub mod stats;
