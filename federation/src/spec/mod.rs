//! Federation files: sites, WAN links, coupled relationships, the architecture, the SaaS layer's
//! appliances and the demand, read from TOML and checked with located errors.
//!
//! * [`file`](mod@file): the tables as written; [`saas`]: the appliances, their offers and the service
//!   calls.
//! * [`Federation`]: a loaded file with its private sites' scenarios, checked (every error names
//!   the file, line and key, with a hint).

mod check;
mod federation;
pub mod file;
pub mod saas;

pub use federation::Federation;
pub use file::{
    ArchitectureSpec, DemandSpec, FederationFile, GeneratorSpec, InstanceTypeSpec, LinkSpec,
    PartnerSpec, RelationSpec, SiteSpec, StopSpec,
};
pub use saas::{ApplianceSpec, CallSpec, OfferSpec};
