//! Which domains are this config's. A domain is orrery's to act on only when its metadata tag
//! names this config as owner and, once the journal has recorded the VM's UUID (at deploy, or
//! when an operator-tagged domain was first seen), when its UUID is that one. Every lookup by
//! name on the apply path goes through [`Guard`], so a name collision with an untagged,
//! differently-owned or replaced domain is refused and reported, never acted on.

use std::collections::BTreeMap;

use super::hypervisor::{Call, DomainFacts, DriverError, Hypervisor, Reply};

/// Who orrery is on these hosts.
#[derive(Debug, Clone, Copy)]
pub struct Ownership<'a> {
    /// The owner written in this config's domains (the config's name).
    pub owner: &'a str,
    /// The UUID the journal recorded for each VM, by name.
    pub uuids: &'a BTreeMap<String, String>,
}

impl Ownership<'_> {
    /// Why domain `d` is not this config's to act on (`None`: it is).
    pub fn why_foreign(&self, d: &DomainFacts) -> Option<String> {
        if d.template.is_none() {
            return Some("it carries no orrery tag".into());
        }
        match d.owner.as_deref() {
            None => {
                return Some(format!(
                    "its orrery tag names no owner (add owner='{}' to hand it to this config)",
                    self.owner
                ))
            }
            Some(o) if o != self.owner => return Some(format!("it belongs to `{o}`")),
            Some(_) => {}
        }
        match self.uuids.get(&d.name) {
            Some(u) if !u.eq_ignore_ascii_case(&d.uuid) => Some(format!(
                "its UUID {} is not the {u} the journal recorded",
                d.uuid
            )),
            _ => None,
        }
    }
}

/// A [`Hypervisor`] whose lookups by name answer only for this config's domains: a domain of
/// that name that is not (see [`Ownership::why_foreign`]) is an [`ErrorKind::Foreign`] error.
///
/// [`ErrorKind::Foreign`]: super::hypervisor::ErrorKind::Foreign
pub struct Guard<'a, 'o> {
    /// The hosts.
    pub hv: &'a mut dyn Hypervisor,
    /// Whose domains may be acted on.
    pub own: Ownership<'o>,
    /// Host names by index, for messages.
    pub hosts: &'o [String],
}

impl Hypervisor for Guard<'_, '_> {
    fn call(&mut self, host: usize, call: Call<'_>) -> Result<Reply, DriverError> {
        let reply = self.hv.call(host, call)?;
        if let (Call::Domain(name), Reply::Domain(Some(d))) = (call, &reply) {
            if let Some(why) = self.own.why_foreign(d) {
                let host = self.hosts.get(host).map_or("?", String::as_str);
                return Err(DriverError::foreign(format!(
                    "domain `{name}` on {host} is not this config's ({why}): refused, left alone"
                )));
            }
        }
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hypervisor::DomState;

    fn dom(template: Option<&str>, owner: Option<&str>, uuid: &str) -> DomainFacts {
        DomainFacts {
            name: "vm1".into(),
            uuid: uuid.into(),
            state: DomState::Running,
            vcpus: 1,
            memory_kib: 1024,
            max_memory_kib: 1024,
            cpu_time_ns: 0,
            template: template.map(str::to_string),
            owner: owner.map(str::to_string),
        }
    }

    #[test]
    fn only_a_tagged_domain_of_this_owner_with_the_recorded_uuid_is_ours() {
        let mut uuids = BTreeMap::new();
        let own = Ownership {
            owner: "lab",
            uuids: &uuids,
        };
        let u = "6f1c0d4e-0000-4000-8000-000000000001";
        assert_eq!(own.why_foreign(&dom(Some("small"), Some("lab"), u)), None);
        let why = |d| own.why_foreign(&d).unwrap();
        assert!(why(dom(None, None, u)).contains("no orrery tag"));
        assert!(why(dom(Some("small"), None, u)).contains("owner='lab'"));
        assert!(why(dom(Some("small"), Some("other"), u)).contains("`other`"));
        uuids.insert("vm1".into(), u.to_uppercase());
        let own = Ownership {
            owner: "lab",
            uuids: &uuids,
        };
        assert_eq!(own.why_foreign(&dom(Some("small"), Some("lab"), u)), None);
        let other = "6f1c0d4e-0000-4000-8000-000000000002";
        assert!(own
            .why_foreign(&dom(Some("small"), Some("lab"), other))
            .unwrap()
            .contains("journal recorded"));
    }
}
