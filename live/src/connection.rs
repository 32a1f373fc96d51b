//! [`Hypervisor`] over libvirt connections (the `virt` crate), one per host URI, opened on first
//! use and kept open (the test driver's state lives in its connection).

use virt::connect::Connect;
use virt::domain::{Domain, DomainState};
use virt::enumutil::Enum;
use virt::error::ErrorNumber;
use virt::sys;

use super::hypervisor::{
    Call, DomState, DomainFacts, DriverError, ErrorKind, Hypervisor, NodeFacts, Reply,
};
use super::redact::redact;

/// XML namespace of orrery's domain metadata: `<vm template="…"/>` marks a managed domain.
pub const NAMESPACE: &str = "https://orrery.dev/xmlns/live/1";
/// Prefix of the metadata element in domain XML.
pub const PREFIX: &str = "orrery";

/// libvirt connections to the hosts of a live config, by host index.
pub struct Libvirt {
    uris: Vec<String>,
    conns: Vec<Option<Connect>>,
}

impl Libvirt {
    /// Connections to these URIs (host `i` is `uris[i]`), opened when first used.
    pub fn new(uris: Vec<String>) -> Self {
        // libvirt's default error handler prints every error to stderr, URIs included.
        virt::error::clear_error_callback();
        let conns = uris.iter().map(|_| None).collect();
        Libvirt { uris, conns }
    }

    fn conn(&mut self, host: usize) -> Result<&Connect, DriverError> {
        let uri = self
            .uris
            .get(host)
            .ok_or_else(|| DriverError::permanent(format!("no host {host}")))?;
        if self.conns[host].is_none() {
            let c = Connect::open(Some(uri)).map_err(|e| DriverError {
                kind: ErrorKind::Transient,
                message: redact(&format!("cannot connect to {uri}: {}", e.message())),
            })?;
            self.conns[host] = Some(c);
        }
        Ok(self.conns[host].as_ref().expect("opened above"))
    }

    fn lookup(&mut self, host: usize, name: &str) -> Result<Option<Domain>, DriverError> {
        match self.conn(host)?.lookup_domain_by_name(name) {
            Ok(d) => Ok(Some(d)),
            Err(e) if e.code() == Enum::Known(ErrorNumber::NoDomain) => Ok(None),
            Err(e) => Err(error(&e)),
        }
    }

    fn domain(&mut self, host: usize, name: &str) -> Result<Domain, DriverError> {
        self.lookup(host, name)?
            .ok_or_else(|| DriverError::permanent(format!("no domain `{name}`")))
    }
}

impl Hypervisor for Libvirt {
    fn call(&mut self, host: usize, call: Call<'_>) -> Result<Reply, DriverError> {
        let r = match call {
            Call::Node => {
                let c = self.conn(host)?;
                let n = c.node_info().map_err(|e| error(&e))?;
                Reply::Node(NodeFacts {
                    cpus: n.cpus,
                    mhz: n.mhz,
                    memory_kib: n.memory,
                    // Not every driver reports free memory (the test driver does not).
                    free_kib: c.free_memory().ok().map(|b| b / 1024),
                })
            }
            Call::Domains => {
                let doms = self
                    .conn(host)?
                    .list_all_domains(0)
                    .map_err(|e| error(&e))?;
                let mut facts = doms.iter().map(facts).collect::<Result<Vec<_>, _>>()?;
                facts.sort_by(|a, b| a.name.cmp(&b.name));
                Reply::Domains(facts)
            }
            Call::Domain(name) => {
                Reply::Domain(self.lookup(host, name)?.as_ref().map(facts).transpose()?)
            }
            Call::DomainXml(name) => Reply::Xml(
                self.domain(host, name)?
                    .xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)
                    .map_err(|e| error(&e))?,
            ),
            Call::Define(xml) => {
                self.conn(host)?
                    .define_domain_xml(xml)
                    .map_err(|e| error(&e))?;
                Reply::Done
            }
            Call::Start(name) => done(self.domain(host, name)?.create())?,
            Call::Suspend(name) => done(self.domain(host, name)?.suspend())?,
            Call::Resume(name) => done(self.domain(host, name)?.resume())?,
            Call::Shutdown(name) => done(self.domain(host, name)?.shutdown())?,
            Call::Destroy(name) => done(self.domain(host, name)?.destroy())?,
            Call::Undefine(name) => done(self.domain(host, name)?.undefine())?,
            Call::SetVcpus { name, vcpus, live } => {
                let d = self.domain(host, name)?;
                // Some drivers refuse LIVE | CONFIG together: one at a time.
                if live {
                    done(d.set_vcpus_flags(vcpus, sys::VIR_DOMAIN_AFFECT_LIVE))?;
                }
                done(d.set_vcpus_flags(vcpus, sys::VIR_DOMAIN_AFFECT_CONFIG))?
            }
            Call::SetMemory { name, kib, live } => {
                let d = self.domain(host, name)?;
                if live {
                    done(d.set_memory_flags(kib, sys::VIR_DOMAIN_AFFECT_LIVE))?;
                }
                done(d.set_memory_flags(kib, sys::VIR_DOMAIN_AFFECT_CONFIG))?
            }
            Call::Migrate { name, to } => {
                let d = self.domain(host, name)?;
                let dest = self.conn(to)?;
                let flags = sys::VIR_MIGRATE_LIVE
                    | sys::VIR_MIGRATE_PERSIST_DEST
                    | sys::VIR_MIGRATE_UNDEFINE_SOURCE;
                d.migrate(dest, flags, None, None, 0)
                    .map_err(|e| error(&e))?;
                Reply::Done
            }
        };
        Ok(r)
    }
}

fn done(r: Result<(), virt::error::Error>) -> Result<Reply, DriverError> {
    r.map(|()| Reply::Done).map_err(|e| error(&e))
}

/// A domain's facts: name, state, size, CPU time and orrery metadata.
fn facts(d: &Domain) -> Result<DomainFacts, DriverError> {
    let name = d.name().map_err(|e| error(&e))?;
    let info = d.info().map_err(|e| error(&e))?;
    let state = match info.state {
        Enum::Known(DomainState::Running | DomainState::Blocked) => DomState::Running,
        Enum::Known(DomainState::Paused) => DomState::Paused,
        Enum::Known(DomainState::Shutoff) => DomState::ShutOff,
        _ => DomState::Other,
    };
    let template = match d.metadata(sys::VIR_DOMAIN_METADATA_ELEMENT as i32, Some(NAMESPACE), 0) {
        Ok(xml) => Some(attribute(&xml, "template").unwrap_or_default()),
        Err(e) if e.code() == Enum::Known(ErrorNumber::NoDomainMetadata) => None,
        Err(e) => return Err(error(&e)),
    };
    Ok(DomainFacts {
        name,
        state,
        vcpus: info.nr_virt_cpu,
        memory_kib: info.memory,
        max_memory_kib: info.max_mem,
        cpu_time_ns: info.cpu_time,
        template,
    })
}

/// The value of attribute `name` in a one-element XML string (`<vm template="small"/>`).
fn attribute(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("{name}="))? + name.len() + 1;
    let quote = xml[start..].chars().next()?;
    let rest = &xml[start + 1..];
    Some(rest[..rest.find(quote)?].to_string())
}

/// A libvirt error as a driver error: connection trouble is transient, a missing feature is
/// unsupported, the rest permanent. URIs in the message are redacted.
fn error(e: &virt::error::Error) -> DriverError {
    let kind = match e.code() {
        Enum::Known(
            ErrorNumber::SystemError
            | ErrorNumber::Rpc
            | ErrorNumber::NoConnect
            | ErrorNumber::OperationTimeout
            | ErrorNumber::AgentUnresponsive,
        ) => ErrorKind::Transient,
        Enum::Known(ErrorNumber::NoSupport) => ErrorKind::Unsupported,
        _ => ErrorKind::Permanent,
    };
    DriverError {
        kind,
        message: redact(e.message()),
    }
}

#[cfg(test)]
mod tests {
    use super::attribute;

    #[test]
    fn attribute_reads_either_quote() {
        assert_eq!(
            attribute(r#"<vm template="small"/>"#, "template").as_deref(),
            Some("small")
        );
        assert_eq!(
            attribute("<vm template='big'/>", "template").as_deref(),
            Some("big")
        );
        assert_eq!(attribute("<vm/>", "template"), None);
    }
}
