//! [`Hypervisor`] over libvirt connections (the `virt` crate). Each host has a worker thread
//! that owns its connection (opened on first use, reopened after it breaks) and runs its calls
//! one at a time; the caller waits for an answer at most the call's timeout. A host that does
//! not answer in time (a frozen daemon, a dead network) is reported unreachable at once, and
//! stays so until its pending call returns: the round goes on for the other hosts, and no call
//! ever waits forever. A live migration that exceeds its time limit is cancelled
//! (`virDomainAbortJob` on a connection of its own).

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use virt::connect::Connect;
use virt::domain::{Domain, DomainState};
use virt::enumutil::Enum;
use virt::error::ErrorNumber;
use virt::sys;

use super::hypervisor::{
    Call, DomState, DomainFacts, DriverError, ErrorKind, Hypervisor, MigrationFacts, NodeFacts,
    Reply,
};
use super::redact::Redactor;

/// XML namespace of orrery's domain metadata: `<vm template="…" owner="…"/>` marks a managed
/// domain.
pub const NAMESPACE: &str = "https://orrery.dev/xmlns/live/1";
/// Prefix of the metadata element in domain XML.
pub const PREFIX: &str = "orrery";

/// How long libvirt calls may take.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timeouts {
    /// Opening a connection.
    pub connect: Duration,
    /// Any other call (listing, lookup, define, start, shutdown request, …).
    pub call: Duration,
    /// A live migration, start to finish.
    pub migrate: Duration,
}

impl From<&crate::config::TimeoutsSection> for Timeouts {
    fn from(t: &crate::config::TimeoutsSection) -> Self {
        Timeouts {
            connect: Duration::from_secs_f64(t.connect_s),
            call: Duration::from_secs_f64(t.call_s),
            migrate: Duration::from_secs_f64(t.migrate_s),
        }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            call: Duration::from_secs(30),
            migrate: Duration::from_secs(600),
        }
    }
}

/// A host's connection, owned by its worker thread.
struct Session {
    uri: String,
    conn: Option<Connect>,
}

impl Session {
    fn conn(&mut self) -> Result<&Connect, DriverError> {
        if self.conn.is_none() {
            let c = Connect::open(Some(&self.uri)).map_err(|e| DriverError {
                kind: ErrorKind::Transient,
                message: format!("cannot connect to {}: {}", self.uri, e.message()),
            })?;
            self.conn = Some(c);
        }
        Ok(self.conn.as_ref().expect("opened above"))
    }

    fn lookup(&mut self, name: &str) -> Result<Option<Domain>, DriverError> {
        match self.conn()?.lookup_domain_by_name(name) {
            Ok(d) => Ok(Some(d)),
            Err(e) if e.code() == Enum::Known(ErrorNumber::NoDomain) => Ok(None),
            Err(e) => Err(error(&e)),
        }
    }

    fn domain(&mut self, name: &str) -> Result<Domain, DriverError> {
        self.lookup(name)?
            .ok_or_else(|| DriverError::permanent(format!("no domain `{name}`")))
    }

    /// Forgets a connection that broke (the daemon restarted, the network dropped), so the
    /// next call reconnects.
    fn settle(&mut self, e: &DriverError) {
        if e.kind == ErrorKind::Transient {
            self.conn = None;
        }
    }
}

type Job = Box<dyn FnOnce(&mut Session) + Send>;

/// One host: its URI and its worker.
struct Link {
    uri: String,
    jobs: Option<mpsc::Sender<Job>>,
    /// When the call under way started (`None`: the worker is idle).
    busy_since: Arc<Mutex<Option<Instant>>>,
}

/// libvirt connections to the hosts of a live config, by host index.
pub struct Libvirt {
    links: Vec<Link>,
    timeouts: Timeouts,
    redactor: Redactor,
    /// When set, calls that change a domain act only on domains whose orrery tag names this
    /// owner, checked on the same connection just before acting.
    owner: Option<String>,
}

impl Libvirt {
    /// Connections to the hosts of `config`, with its timeouts, acting only on its domains.
    pub fn for_config(config: &crate::config::LiveConfig) -> Self {
        Libvirt::new(config.uris(), (&config.spec.timeouts).into()).owned_by(&config.name)
    }

    /// These connections, changing only domains whose orrery tag names `owner`.
    pub fn owned_by(mut self, owner: &str) -> Self {
        self.owner = Some(owner.to_string());
        self
    }

    /// Connections to these URIs (host `i` is `uris[i]`), opened when first used, each call
    /// bounded by `timeouts`.
    pub fn new(uris: Vec<String>, timeouts: Timeouts) -> Self {
        // libvirt's default error handler prints every error to stderr, URIs included.
        virt::error::clear_error_callback();
        let redactor = Redactor::new(&uris);
        let links = uris
            .into_iter()
            .map(|uri| Link {
                uri,
                jobs: None,
                busy_since: Arc::new(Mutex::new(None)),
            })
            .collect();
        Libvirt {
            links,
            timeouts,
            redactor,
            owner: None,
        }
    }

    /// Runs `f` on host `host`'s connection, waiting at most `timeout` for its answer.
    fn run<T: Send + 'static>(
        &mut self,
        host: usize,
        timeout: Duration,
        f: impl FnOnce(&mut Session) -> Result<T, DriverError> + Send + 'static,
    ) -> Result<T, DriverError> {
        let redactor = self.redactor.clone();
        let link = self
            .links
            .get_mut(host)
            .ok_or_else(|| DriverError::permanent(format!("no host {host}")))?;
        if let Some(since) = *link.busy_since.lock().expect("not poisoned") {
            return Err(DriverError {
                kind: ErrorKind::Timeout,
                message: format!(
                    "the host has not answered a call for {:.0} s",
                    since.elapsed().as_secs_f64()
                ),
            });
        }
        let jobs = link
            .jobs
            .get_or_insert_with(|| spawn_worker(link.uri.clone()));
        let (tx, rx) = mpsc::channel();
        let busy = Arc::clone(&link.busy_since);
        *busy.lock().expect("not poisoned") = Some(Instant::now());
        let job: Job = Box::new(move |session: &mut Session| {
            let r = f(session);
            if let Err(e) = &r {
                session.settle(e);
            }
            *busy.lock().expect("not poisoned") = None;
            let _ = tx.send(r);
        });
        if jobs.send(job).is_err() {
            // The worker died (a panic in libvirt's bindings): start afresh next time.
            link.jobs = None;
            *link.busy_since.lock().expect("not poisoned") = None;
            return Err(DriverError::transient(
                "the host's connection worker stopped",
            ));
        }
        match rx.recv_timeout(timeout) {
            Ok(r) => r.map_err(|e| redactor.error(e)),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(DriverError {
                kind: ErrorKind::Timeout,
                message: format!("no answer within {:.0} s", timeout.as_secs_f64()),
            }),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                link.jobs = None;
                *link.busy_since.lock().expect("not poisoned") = None;
                Err(DriverError::transient(
                    "the host's connection worker stopped",
                ))
            }
        }
    }

    /// Live-migrates `name` from host `from` to host `to` (peer to peer: the source daemon
    /// connects to the destination's URI) at most `bandwidth_mibps` MiB/s (0: no limit),
    /// cancelling it if it takes longer than the migration timeout.
    fn migrate(
        &mut self,
        from: usize,
        to: usize,
        name: &str,
        bandwidth_mibps: u64,
    ) -> Result<Reply, DriverError> {
        let dest = self
            .links
            .get(to)
            .ok_or_else(|| DriverError::permanent(format!("no host {to}")))?
            .uri
            .clone();
        let n = name.to_string();
        let limit = self.timeouts.migrate;
        let owner = self.owner.clone();
        let r = self.run(from, limit, move |s| {
            let d = owned(s.domain(&n)?, owner.as_deref())?;
            let flags = sys::VIR_MIGRATE_LIVE
                | sys::VIR_MIGRATE_PEER2PEER
                | sys::VIR_MIGRATE_PERSIST_DEST
                | sys::VIR_MIGRATE_UNDEFINE_SOURCE;
            d.migrate_to_uri(&dest, flags, None, bandwidth_mibps)
                .map(|()| Reply::Done)
                .map_err(|e| error(&e))
        });
        match r {
            Err(e) if e.kind == ErrorKind::Timeout && !e.message.contains("has not answered") => {
                let cancel = self.abort_job(from, name);
                Err(DriverError {
                    kind: ErrorKind::Timeout,
                    message: match cancel {
                        Ok(()) => format!(
                            "the migration exceeded {:.0} s and was cancelled",
                            limit.as_secs_f64()
                        ),
                        Err(c) => format!(
                            "the migration exceeded {:.0} s; cancelling it failed: {c}",
                            limit.as_secs_f64()
                        ),
                    },
                })
            }
            other => other,
        }
    }

    /// Aborts the job under way on domain `name` of host `host`, on a connection of its own
    /// (the host's worker is busy with the job), waiting at most the call timeout.
    fn abort_job(&self, host: usize, name: &str) -> Result<(), String> {
        let uri = self.links[host].uri.clone();
        let name = name.to_string();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let r = (|| {
                let c = Connect::open(Some(&uri)).map_err(|e| e.message().to_string())?;
                let d = c
                    .lookup_domain_by_name(&name)
                    .map_err(|e| e.message().to_string())?;
                // SAFETY: `d` is a valid domain handle for the duration of the call.
                let rc = unsafe { sys::virDomainAbortJob(d.as_ptr()) };
                if rc < 0 {
                    Err(virt::error::Error::last_error().message().to_string())
                } else {
                    Ok(())
                }
            })();
            let _ = tx.send(r);
        });
        rx.recv_timeout(self.timeouts.call)
            .unwrap_or_else(|_| Err("no answer".into()))
            .map_err(|e| self.redactor.redact(&e))
    }
}

/// Starts the worker thread of the host at `uri`; its calls arrive on the returned sender.
fn spawn_worker(uri: String) -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel::<Job>();
    std::thread::spawn(move || {
        let mut session = Session { uri, conn: None };
        for job in rx {
            job(&mut session);
        }
    });
    tx
}

impl Hypervisor for Libvirt {
    fn call(&mut self, host: usize, call: Call<'_>) -> Result<Reply, DriverError> {
        let t = self.timeouts.call;
        let connect = self.timeouts.connect;
        // The first call on a host also opens its connection: allow for both.
        let first = self.links.get(host).is_some_and(|l| l.jobs.is_none());
        let t = if first { t + connect } else { t };
        let s = |name: &str| name.to_string();
        match call {
            Call::Node => self.run(host, t, |s| {
                let c = s.conn()?;
                let n = c.node_info().map_err(|e| error(&e))?;
                Ok(Reply::Node(NodeFacts {
                    cpus: n.cpus,
                    mhz: n.mhz,
                    memory_kib: n.memory,
                    // Not every driver reports free memory (the test driver does not).
                    free_kib: c.free_memory().ok().map(|b| b / 1024),
                }))
            }),
            Call::Domains => self.run(host, t, |s| {
                let doms = s.conn()?.list_all_domains(0).map_err(|e| error(&e))?;
                let mut facts = doms.iter().map(facts).collect::<Result<Vec<_>, _>>()?;
                facts.sort_by(|a, b| a.name.cmp(&b.name));
                Ok(Reply::Domains(facts))
            }),
            Call::Domain(name) => {
                let name = s(name);
                self.run(host, t, move |s| {
                    Ok(Reply::Domain(
                        s.lookup(&name)?.as_ref().map(facts).transpose()?,
                    ))
                })
            }
            Call::DomainXml(name) => {
                let name = s(name);
                self.run(host, t, move |s| {
                    s.domain(&name)?
                        .xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)
                        .map(Reply::Xml)
                        .map_err(|e| error(&e))
                })
            }
            Call::MigrationStats(name) => {
                let name = s(name);
                self.run(host, t, move |s| {
                    let d = s.domain(&name)?;
                    let j = match d.job_stats(sys::VIR_DOMAIN_JOB_STATS_COMPLETED) {
                        Ok(j) => j,
                        Err(e) if e.code() == Enum::Known(ErrorNumber::NoSupport) => {
                            return Ok(Reply::Done)
                        }
                        Err(e) => return Err(error(&e)),
                    };
                    Ok(match (j.time_elapsed, j.downtime) {
                        (Some(elapsed_ms), Some(downtime_ms)) => Reply::Migration(MigrationFacts {
                            elapsed_ms,
                            downtime_ms,
                            data_bytes: j.data_processed.unwrap_or(0),
                            rounds: j.mem_iteration.unwrap_or(0),
                        }),
                        _ => Reply::Done,
                    })
                })
            }
            Call::Define(xml) => {
                let xml = s(xml);
                self.run(host, t, move |s| {
                    s.conn()?
                        .define_domain_xml(&xml)
                        .map(|_| Reply::Done)
                        .map_err(|e| error(&e))
                })
            }
            Call::Start(name) => self.act(host, t, name, |d| d.create().map(drop)),
            Call::Suspend(name) => self.act(host, t, name, |d| d.suspend()),
            Call::Resume(name) => self.act(host, t, name, |d| d.resume()),
            Call::Shutdown(name) => self.act(host, t, name, |d| d.shutdown()),
            Call::Destroy(name) => self.act(host, t, name, |d| d.destroy()),
            Call::Undefine(name) => self.act(host, t, name, |d| d.undefine()),
            Call::SetVcpus { name, vcpus, live } => self.act(host, t, name, move |d| {
                // Some drivers refuse LIVE | CONFIG together: one at a time.
                if live {
                    d.set_vcpus_flags(vcpus, sys::VIR_DOMAIN_AFFECT_LIVE)?;
                }
                d.set_vcpus_flags(vcpus, sys::VIR_DOMAIN_AFFECT_CONFIG)
            }),
            Call::SetMemory { name, kib, live } => self.act(host, t, name, move |d| {
                if live {
                    d.set_memory_flags(kib, sys::VIR_DOMAIN_AFFECT_LIVE)?;
                }
                d.set_memory_flags(kib, sys::VIR_DOMAIN_AFFECT_CONFIG)
            }),
            Call::Migrate {
                name,
                to,
                bandwidth_mibps,
            } => self.migrate(host, to, name, bandwidth_mibps.unwrap_or(0)),
        }
    }
}

impl Libvirt {
    /// A call that changes domain `name` on `host`.
    fn act(
        &mut self,
        host: usize,
        timeout: Duration,
        name: &str,
        f: impl FnOnce(&Domain) -> Result<(), virt::error::Error> + Send + 'static,
    ) -> Result<Reply, DriverError> {
        let name = name.to_string();
        let owner = self.owner.clone();
        self.run(host, timeout, move |s| {
            let d = owned(s.domain(&name)?, owner.as_deref())?;
            f(&d).map(|()| Reply::Done).map_err(|e| error(&e))
        })
    }
}

/// `d`, if its orrery tag names `owner` (any domain when no owner is set).
fn owned(d: Domain, owner: Option<&str>) -> Result<Domain, DriverError> {
    let Some(owner) = owner else {
        return Ok(d);
    };
    let tag = d
        .metadata(sys::VIR_DOMAIN_METADATA_ELEMENT as i32, Some(NAMESPACE), 0)
        .ok();
    if tag
        .as_deref()
        .and_then(|x| attribute(x, "owner"))
        .as_deref()
        == Some(owner)
    {
        Ok(d)
    } else {
        let name = d.name().unwrap_or_default();
        Err(DriverError::foreign(format!(
            "domain `{name}` is not `{owner}`'s: refused, left alone"
        )))
    }
}

/// A domain's facts: name, UUID, state, size, CPU time and orrery metadata.
fn facts(d: &Domain) -> Result<DomainFacts, DriverError> {
    let name = d.name().map_err(|e| error(&e))?;
    let uuid = d.uuid_string().map_err(|e| error(&e))?;
    let info = d.info().map_err(|e| error(&e))?;
    let state = match info.state {
        Enum::Known(DomainState::Running | DomainState::Blocked) => DomState::Running,
        Enum::Known(DomainState::Paused) => DomState::Paused,
        Enum::Known(DomainState::Shutoff) => DomState::ShutOff,
        _ => DomState::Other,
    };
    let (template, owner) =
        match d.metadata(sys::VIR_DOMAIN_METADATA_ELEMENT as i32, Some(NAMESPACE), 0) {
            Ok(xml) => (
                Some(attribute(&xml, "template").unwrap_or_default()),
                attribute(&xml, "owner"),
            ),
            Err(e) if e.code() == Enum::Known(ErrorNumber::NoDomainMetadata) => (None, None),
            Err(e) => return Err(error(&e)),
        };
    Ok(DomainFacts {
        name,
        uuid,
        state,
        vcpus: info.nr_virt_cpu,
        memory_kib: info.memory,
        max_memory_kib: info.max_mem,
        cpu_time_ns: info.cpu_time,
        template,
        owner,
    })
}

/// The value of attribute `name` in a one-element XML string (`<vm template="small"/>`),
/// unescaped.
fn attribute(xml: &str, name: &str) -> Option<String> {
    let key = format!("{name}=");
    let start = xml
        .match_indices(&key)
        .map(|(i, _)| i)
        .find(|&i| xml[..i].ends_with(char::is_whitespace))?
        + key.len();
    let quote = xml[start..]
        .chars()
        .next()
        .filter(|q| matches!(q, '\'' | '"'))?;
    let rest = &xml[start + 1..];
    let raw = &rest[..rest.find(quote)?];
    Some(
        raw.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&apos;", "'")
            .replace("&quot;", "\"")
            .replace("&amp;", "&"),
    )
}

/// A libvirt error as a driver error: connection trouble is transient, a missing feature is
/// unsupported, the rest permanent.
fn error(e: &virt::error::Error) -> DriverError {
    let kind = match e.code() {
        Enum::Known(
            ErrorNumber::SystemError
            | ErrorNumber::Rpc
            | ErrorNumber::NoConnect
            | ErrorNumber::OperationTimeout
            | ErrorNumber::AgentUnresponsive,
        ) => ErrorKind::Transient,
        Enum::Known(ErrorNumber::NoSupport | ErrorNumber::ArgumentUnsupported) => {
            ErrorKind::Unsupported
        }
        _ => ErrorKind::Permanent,
    };
    DriverError {
        kind,
        message: e.message().to_string(),
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
            attribute("<vm template='big' owner='lab'/>", "owner").as_deref(),
            Some("lab")
        );
        assert_eq!(attribute("<vm/>", "template"), None);
        assert_eq!(
            attribute("<vm xowner='x' owner='a &amp; b&apos;s'/>", "owner").as_deref(),
            Some("a & b's")
        );
    }

    #[test]
    fn a_host_that_never_answers_fails_within_its_timeout_and_then_at_once() {
        use super::*;
        use crate::hypervisor::Calls;
        // A loopback port that accepts connections and never says a word: libvirt's handshake
        // waits for an answer that never comes.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = silent.local_addr().unwrap().port();
        let mut hv = Libvirt::new(
            vec![format!("qemu+tcp://127.0.0.1:{port}/system")],
            Timeouts {
                connect: Duration::from_millis(300),
                call: Duration::from_millis(200),
                migrate: Duration::from_secs(1),
            },
        );
        let t = Instant::now();
        let e = hv.node(0).unwrap_err();
        // Bounded, not fast: the bound is the timeout (with room for a loaded machine).
        assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
        assert_eq!(e.kind, ErrorKind::Timeout, "{e:?}");
        // The host's worker still waits on the first call: the next call does not queue
        // behind it.
        let e = hv.node(0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Timeout, "{e:?}");
        assert!(e.message.contains("has not answered"), "{e}");
        drop(silent);
    }
}
