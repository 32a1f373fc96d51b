//! The architectures' routing rules over a site's state: when bursting sends a request away
//! and when it brings one back, the first-fit reservation every architecture plans with, what a
//! private site offers a broker, the protocol's host choice and delegation check, the multitier
//! parent's host choice, and the checksum standing for a request's image files.
//!
//! Each rule reads a [`SiteState`] (what a site's cloud OS knows, or what a partner was shown)
//! and returns a decision; the runtime applies it.

use std::collections::BTreeMap;

use orrery_engine::time::{from_secs, Millis};
use orrery_engine::view::HostId;

use crate::coupling::{Contract, SiteState};
use crate::policy::broker::CloudOffer;
use crate::policy::protocol::{HostChooser, SiteName, VmDescriptor};

/// Why bursting sends a request of `mips` and `memory_mb` away from a home site in `state`
/// with `pending` requests waiting, or `None` to run it at home: requests already pending,
/// no host with room, or the reserved CPU fraction with it above `threshold`.
pub fn burst_reason(
    state: &SiteState,
    pending: usize,
    mips: f64,
    memory_mb: f64,
    threshold: f64,
) -> Option<String> {
    if pending > 0 {
        return Some(format!("{pending} requests pending at home"));
    }
    if !state.hosts.iter().any(|h| h.fits(mips, memory_mb)) {
        return Some("no home host has room".into());
    }
    let a = state.aggregate();
    let after = 1.0 - (a.free_mips - mips) / a.capacity_mips;
    (after > threshold + 1e-12)
        .then(|| format!("reserved fraction {after:.3} would exceed {threshold}"))
}

/// Bursting's return rule: the home site in `state` with a burst VM of `mips` and `memory_mb`
/// back, if a host has room for it and the reserved CPU fraction stays at or below
/// `return_below`; `None` keeps it where it is.
pub fn home_with(
    state: &SiteState,
    mips: f64,
    memory_mb: f64,
    return_below: f64,
) -> Option<SiteState> {
    let mut with = state.clone();
    if reserve(&mut with, mips, memory_mb).is_none()
        || with.reserved_fraction() > return_below + 1e-12
    {
        return None;
    }
    Some(with)
}

/// A stable checksum standing for request `name`'s image files (FNV-1a of the name).
pub fn checksum(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Puts a VM of `mips` and `memory_mb` on the first host with room in `state`; the host, or
/// `None` (and `state` unchanged) when none has room.
pub fn reserve(state: &mut SiteState, mips: f64, memory_mb: f64) -> Option<HostId> {
    let h = state.hosts.iter().position(|h| h.fits(mips, memory_mb))?;
    state.hosts[h].reserved_mips += mips;
    state.hosts[h].reserved_memory_mb += memory_mb;
    Some(h)
}

/// What private site `name` offers a broker for a VM of `mips` and `memory_mb`: its internal
/// price per VM-hour, billed by the hour; `delay` until the VM runs (its image's transfer and
/// its boot); its energy per VM-hour; and room for one VM if a host of its planned `state` has
/// room ([`reserve`]), else none.
pub fn private_offer(
    name: String,
    mut state: SiteState,
    mips: f64,
    memory_mb: f64,
    price_per_vm_hour: f64,
    energy_per_vm_hour: f64,
    delay: Millis,
) -> CloudOffer {
    let fits = reserve(&mut state, mips, memory_mb);
    CloudOffer {
        name,
        price_per_period: price_per_vm_hour,
        billing_period: from_secs(3600.0),
        provisioning_delay: delay,
        mips,
        energy_per_hour: energy_per_vm_hour,
        quota_left: u32::from(fits.is_some()),
    }
}

/// The multitier parent's choice among `children` (each with the parent's picture of its
/// hosts): the host with the most free CPU among those with room for a VM of `mips` and
/// `memory_mb` (ties: the first child, then the first host).
pub fn roomiest_host<K: Copy>(
    children: &[(K, SiteState)],
    mips: f64,
    memory_mb: f64,
) -> Option<(K, HostId)> {
    let mut best: Option<(f64, K, HostId)> = None;
    for (c, state) in children {
        for (h, host) in state.hosts.iter().enumerate() {
            let free = host.capacity_mips - host.reserved_mips;
            if host.fits(mips, memory_mb) && best.is_none_or(|b| free > b.0) {
                best = Some((free, *c, h));
            }
        }
    }
    best.map(|(_, c, h)| (c, h))
}

/// A site's placement answer to the protocol: the first host with room in its planned state
/// ([`reserve`]); and its delegation check: a partner its coupling allows and its contract there
/// has room for.
pub struct FirstFit<F> {
    state: SiteState,
    size_of: F,
    contracts: BTreeMap<String, Contract>,
}

impl<F: Fn(&str) -> Option<(f64, f64)>> FirstFit<F> {
    /// Chooses hosts in `state`; `size_of` gives a VM's MIPS and memory (MB) by its id (`None`:
    /// an unknown VM, refused); `contracts` are the partners the site may hand a VM on to, by
    /// name, with its contract at each.
    pub fn new(state: SiteState, size_of: F, contracts: BTreeMap<String, Contract>) -> Self {
        FirstFit {
            state,
            size_of,
            contracts,
        }
    }
}

impl<F: Fn(&str) -> Option<(f64, f64)>> HostChooser for FirstFit<F> {
    fn choose_host(&mut self, vm: &VmDescriptor) -> Option<String> {
        let (mips, memory_mb) = (self.size_of)(&vm.id)?;
        let h = reserve(&mut self.state, mips, memory_mb)?;
        Some(self.state.hosts[h].name.clone())
    }

    fn may_delegate(&mut self, vm: &VmDescriptor, to: &SiteName) -> bool {
        self.contracts
            .get(&to.0)
            .is_some_and(|c| c.admits(vm.vcpus))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coupling::HostState;

    fn host(reserved: f64) -> HostState {
        HostState {
            name: "h".into(),
            usable: true,
            capacity_mips: 8000.0,
            reserved_mips: reserved,
            memory_mb: 32768.0,
            reserved_memory_mb: 0.0,
        }
    }

    #[test]
    fn the_burst_rule_by_hand() {
        let state = SiteState {
            at: 0,
            hosts: vec![host(2000.0), host(4000.0)],
        };
        // (6000 + 2000) / 16000 = 0.5: not above 0.5.
        assert_eq!(burst_reason(&state, 0, 2000.0, 4096.0, 0.5), None);
        // (6000 + 2001) / 16000 > 0.5.
        assert!(burst_reason(&state, 0, 2001.0, 4096.0, 0.5).is_some());
        assert!(burst_reason(&state, 1, 10.0, 1.0, 0.9).is_some(), "pending");
        assert!(
            burst_reason(&state, 0, 6001.0, 1.0, 1.0).is_some(),
            "no host room"
        );
    }
}
