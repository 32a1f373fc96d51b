//! `orrery serve`: an EC2-compatible Query API (a subset of EC2's 2016-11-15 API) in front of
//! a running simulation, for real clients (awscli, boto3) to drive.
//!
//! A request goes through [`server`] (HTTP, body cap, clock), [`auth`] (SigV4 against the
//! [`keys`] file, with [`sigv4`]'s arithmetic), [`params`] (the Query API's flattened
//! parameters) and [`ec2`] (one function per action, over the [`cloud::Cloud`]: instance ids,
//! reservations, tags, images, quotas), which answers in [`xml`] or with an [`error`]; every
//! request is appended to the [`audit`] trail.
//!
//! The cloud behind the API is a [`backend::Backend`]: [`simulated::SimBackend`] runs a
//! scenario's simulation. A live backend (admission, placement and libvirt, as `orrery live`
//! drives them) implements the same trait; nothing above it changes.
//!
//! docs/serve.md is the user's guide.

pub mod audit;
pub mod auth;
pub mod backend;
pub mod cloud;
pub mod dates;
pub mod ec2;
pub mod error;
pub mod filters;
pub mod ids;
pub mod keys;
pub mod params;
pub mod server;
pub mod sigv4;
pub mod simulated;
pub mod tenants;
pub mod xml;

pub use server::{serve, Clock, Config};
