//! The cross-site migration protocol of seed 002 (RESERVOIR) as per-site state machines.
//!
//! Each site runs a [`SiteAgent`]. The runtime starts a migration at the controlling site
//! ([`SiteAgent::start_migration`], [`SiteAgent::start_placement`], or a source's
//! [`SiteAgent::evict`]), gets back messages, and delivers each one (after whatever WAN delay it
//! models, [`Message::payload_mb`] giving the image data to carry) to the receiving site's
//! [`SiteAgent::handle`], which returns further messages and, at the controller, the
//! [`Outcome`]. A message from a site to itself is delivered like any other.
//!
//! The flow for a VM running at a source behind any number of intermediaries:
//!
//! 1. `migration_request`: the controller asks every candidate in parallel. A candidate that
//!    can place the VM locally has its transfer proxy issue a token for the chosen host and
//!    offers `(site, token)`; one that cannot, and whose [`SitePolicy`] names partners, becomes
//!    an intermediary and asks them in turn (one delegation deeper, refusing with
//!    [`Refusal::DepthLimit`] past the bound), passing back the first offer in its partners'
//!    order or the first refusal. The controller takes the first offer in its candidates' order.
//! 2. `forced_migration` (prepare): the controller asks for the VM along its chain of
//!    responsibility; the site running it has its proxy issue a source token. A source may also
//!    demand a move ([`SiteAgent::evict`]): the site that delegated the VM to it becomes the
//!    controller. A primary placement is a cold migration: the controller's own proxy issues
//!    the source token for its image repository and this step is skipped.
//! 3. `initiate_transfer`: the controller sends both endpoints towards the destination (via the
//!    intermediaries that relayed its offer); the destination proxy fetches the files directly
//!    from the source proxy (out of band) and checks them against the announced size and
//!    checksum.
//! 4. `transfer_verification`: the controller asks the source what it sent. If source and
//!    destination agree the VM is placed; otherwise step 3 is repeated, up to
//!    [`SitePolicy::max_retries`] retries.
//!
//! Location unawareness: messages name sites, VM descriptors and proxy tokens, never a host;
//! only the issuing proxy resolves a token ([`proxy`]). Sites learn each other's proxy
//! addresses (site names), as in the seed; the image moves directly between the two proxies.
//!
//! Known simplifications: an intermediary passes back one offer, not a list; offers that are
//! not taken are not withdrawn (the runtime treats [`HostChooser::choose_host`] as tentative);
//! after a migration, sites on the old chain other than the source keep stale delegation
//! records, which nothing consults (the controller and new chain route by the new ones); the
//! runtime stops the old copy ([`SiteAgent::release`]) when it sees the outcome.

mod agent;
mod message;
pub mod proxy;
mod site_policy;
#[cfg(test)]
mod tests;

pub use agent::SiteAgent;
pub use message::{
    Body, Endpoint, Message, MigrationId, Operation, Outcome, Refusal, SiteName, Step, Token,
    TransferStatus, VmDescriptor,
};
pub use site_policy::{Accept, HostChooser, SitePolicy};
