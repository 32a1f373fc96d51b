//! The EC2 actions: each reads its parameters, acts on the [`crate::cloud::Cloud`] and writes
//! its response as botocore's `ec2` model parses it. [`handle`] dispatches by `Action`.

mod catalog;
mod context;
mod dispatch;
mod instances;
mod render;
mod tags;

pub use context::Outcome;
pub use dispatch::{handle, ACTIONS, VERSION};
