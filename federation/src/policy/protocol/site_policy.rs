//! What a site brings to the protocol: its policy (whom it accepts requests from, whom it
//! delegates to, the bounds it keeps) and its own placement decision, which the runtime
//! supplies.

use serde::{Deserialize, Serialize};

use super::message::{SiteName, VmDescriptor};

/// Whom a site accepts migration requests from (its own requests are always accepted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Accept {
    /// Any site.
    #[default]
    Anyone,
    /// Only these sites.
    Only(Vec<SiteName>),
    /// No other site.
    Nobody,
}

/// A site's protocol policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SitePolicy {
    /// Whom the site accepts requests from.
    #[serde(default)]
    pub accept: Accept,
    /// Partners the site may delegate to, in preference order; empty: never an intermediary.
    #[serde(default)]
    pub delegate_to: Vec<SiteName>,
    /// Most delegations in a chain: the bound this site sets as controller and the most it
    /// honours as an intermediary.
    #[serde(default = "default_max_depth")]
    pub max_depth: u32,
    /// Transfer retries after the first attempt before the controller gives up.
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
}

fn default_max_depth() -> u32 {
    2
}

fn default_max_retries() -> u32 {
    3
}

impl Default for SitePolicy {
    fn default() -> Self {
        SitePolicy {
            accept: Accept::default(),
            delegate_to: Vec::new(),
            max_depth: default_max_depth(),
            max_retries: default_max_retries(),
        }
    }
}

impl SitePolicy {
    pub(super) fn accepts(&self, from: &SiteName, me: &SiteName) -> bool {
        from == me
            || match &self.accept {
                Accept::Anyone => true,
                Accept::Only(sites) => sites.contains(from),
                Accept::Nobody => false,
            }
    }
}

/// The site's own placement decision, which the runtime supplies.
pub trait HostChooser {
    /// A local host for `vm`, or `None` if the site cannot take it. Called when the site is
    /// about to offer; the runtime treats the choice as tentative until the image arrives.
    fn choose_host(&mut self, vm: &VmDescriptor) -> Option<String>;

    /// Whether the site may pass `vm` on to partner `to` as an intermediary (its coupling
    /// and contract there allow it, say). By default it may.
    fn may_delegate(&mut self, _vm: &VmDescriptor, _to: &SiteName) -> bool {
        true
    }
}
