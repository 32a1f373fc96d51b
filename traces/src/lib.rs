//! orrery's trace format and the importers that fill it.
//!
//! A trace is one typed Parquet file (schema in [`format`](mod@format), documented in docs/traces.md): one row
//! per VM request, in arrival order, holding the request (arrival, departure, vCPUs, CPU capacity,
//! memory, tenant, type, attributes) and the VM's CPU utilisation samples at arbitrary, per-VM
//! times. [`TraceReader`] streams it a batch of rows at a time, so a run holds only the VMs it has
//! reached; [`TraceWriter`] writes one atomically. [`import`] turns the public datasets' own
//! formats into it, and [`inspect`] summarises one.

pub mod carbon;
pub mod format;
pub mod import;
pub mod inspect;
mod read;
mod write;

pub use format::VmRecord;
pub use read::{Shape, TraceReader, TraceScan};
pub use write::{TraceWriter, WriteSummary};
