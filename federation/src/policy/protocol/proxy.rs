//! Transfer proxies and their opaque transfer tokens.
//!
//! A site's transfer proxy stands between the management layer and the hosts: when a site
//! offers to receive a VM, or prepares one for leaving, its proxy records where the files are
//! to be written or read ([`Location`]) and hands out a [`Token`] naming that record. Only
//! the issuing proxy can resolve a token; other sites see the proxy's site name and the token,
//! never a host.
//!
//! A token is SipHash-2-4, keyed with the proxy's secret 128-bit key, of the proxy's issue
//! counter. The host is not an input at all, so equal hosts give unrelated tokens on every
//! issue; and because SipHash is a keyed pseudo-random function, a site without the key can
//! neither tell two tokens' order nor how many tokens the proxy has issued. The key comes from
//! the caller (drawn from a seeded [`orrery_engine::rng::Rng`]), so runs stay reproducible.

use std::collections::BTreeMap;
use std::hash::Hasher;

use siphasher::sip::SipHasher24;

pub use super::message::Token;
use super::message::{TransferStatus, VmDescriptor};

/// Where, inside the issuing site, a token's files are read from or written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// On a host of the site: a VM arriving there or leaving it.
    Host(String),
    /// The site's image repository: the source of a primary placement (a cold migration with
    /// no running VM).
    Repository,
}

/// What a proxy remembers about a token it issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The VM the transfer is for.
    pub vm: VmDescriptor,
    /// Where its files are.
    pub location: Location,
    /// The payload the transfer carries (size and checksum).
    pub payload: TransferStatus,
}

/// A site's transfer proxy: issues tokens and resolves the ones it issued.
#[derive(Debug, Clone)]
pub struct TransferProxy {
    key: (u64, u64),
    issued: u64,
    grants: BTreeMap<Token, Grant>,
}

impl TransferProxy {
    /// A proxy with the secret key `key` (keep it per site and out of every message).
    pub fn new(key: (u64, u64)) -> Self {
        TransferProxy {
            key,
            issued: 0,
            grants: BTreeMap::new(),
        }
    }

    /// Records `grant` and returns a fresh token naming it.
    pub fn issue(&mut self, grant: Grant) -> Token {
        loop {
            self.issued += 1;
            let mut h = SipHasher24::new_with_keys(self.key.0, self.key.1);
            h.write_u64(self.issued);
            let token = Token::new(h.finish());
            // A 64-bit collision is astronomically rare; skipping it keeps tokens unique.
            if let std::collections::btree_map::Entry::Vacant(e) = self.grants.entry(token) {
                e.insert(grant);
                return token;
            }
        }
    }

    /// The grant behind `token`, if this proxy issued it.
    pub fn resolve(&self, token: Token) -> Option<&Grant> {
        self.grants.get(&token)
    }
}
