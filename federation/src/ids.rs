//! Indices of the federation's things as types of their own, so a site cannot be passed where a
//! request is meant: each wraps the position of its thing in the runtime's list of them (sites
//! in file order, VM requests and service calls in arrival order, desks in file order, workers
//! in start order).
//!
//! A site's index is [`SiteId`]; protocol messages name a site by its name instead
//! ([`crate::policy::protocol::SiteName`]).

use std::fmt;

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub usize);

        impl $name {
            /// The position it stands for.
            pub fn index(self) -> usize {
                self.0
            }

            /// The first `n`, in order.
            pub fn all(n: usize) -> impl DoubleEndedIterator<Item = $name> {
                (0..n).map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

index_type!(
    /// A site (private or public) by its position in the federation file.
    SiteId
);
index_type!(
    /// A VM request of the federation's demand by its position in arrival order.
    RequestId
);
index_type!(
    /// A SaaS desk (one appliance offered at one site) by its position in file order.
    DeskId
);
index_type!(
    /// A SaaS worker VM by its position in start order.
    WorkerId
);
index_type!(
    /// A service call by its position in arrival order.
    CallId
);
