//! What live mode asks of each host's hypervisor, as one call type: the libvirt connection
//! implements it, and wrappers (retries in tests, injected failures, scripted CPU loads) wrap it.

use std::fmt;

/// A domain's run state, as far as orrery cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DomState {
    /// Running (or blocked: scheduled but idle).
    Running,
    /// Paused (suspended, memory kept).
    Paused,
    /// Defined but not running.
    ShutOff,
    /// Shutting down, crashed or PM-suspended: in transition, left alone.
    Other,
}

impl DomState {
    /// Whether the domain has a live process (running, paused or in transition).
    pub fn is_active(self) -> bool {
        self != DomState::ShutOff
    }
}

/// What a host's node reports.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NodeFacts {
    /// Active CPUs.
    pub cpus: u32,
    /// CPU frequency in MHz (0 when unknown).
    pub mhz: u32,
    /// Memory in KiB.
    pub memory_kib: u64,
    /// Free memory in KiB, where the driver reports it.
    pub free_kib: Option<u64>,
}

/// What a domain reports.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainFacts {
    /// Domain name.
    pub name: String,
    /// Domain UUID (lower-case, hyphenated): stays with the domain through migrations.
    pub uuid: String,
    /// Run state.
    pub state: DomState,
    /// Current vCPUs.
    pub vcpus: u32,
    /// Current memory in KiB.
    pub memory_kib: u64,
    /// Maximum memory in KiB.
    pub max_memory_kib: u64,
    /// Cumulative CPU time in nanoseconds.
    pub cpu_time_ns: u64,
    /// The orrery template named in the domain's orrery metadata (`None`: untagged).
    pub template: Option<String>,
    /// The live config (by name) whose domain this is, from orrery's metadata (`None`:
    /// untagged, or tagged without an owner).
    pub owner: Option<String>,
}

/// What a completed live migration measured (libvirt's completed-job statistics on the
/// destination).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MigrationFacts {
    /// From start to the guest running on the destination, ms.
    pub elapsed_ms: u64,
    /// How long the guest was paused for the final copy and switch-over, ms.
    pub downtime_ms: u64,
    /// Bytes sent.
    pub data_bytes: u64,
    /// Pre-copy rounds over memory.
    pub rounds: u64,
}

impl std::fmt::Display for MigrationFacts {
    /// `51.9 s, downtime 10283 ms, 150.3 MiB in 7 rounds`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.1} s, downtime {} ms, {:.1} MiB in {} rounds",
            self.elapsed_ms as f64 / 1000.0,
            self.downtime_ms,
            self.data_bytes as f64 / 1_048_576.0,
            self.rounds
        )
    }
}

/// One request to a host's hypervisor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Call<'a> {
    /// Node information.
    Node,
    /// Every domain, defined or running.
    Domains,
    /// One domain by name (`None` when absent).
    Domain(&'a str),
    /// A domain's persistent (inactive) XML definition.
    DomainXml(&'a str),
    /// Define (persistently) a domain from XML.
    Define(&'a str),
    /// Start a defined domain.
    Start(&'a str),
    /// Pause a running domain.
    Suspend(&'a str),
    /// Resume a paused domain.
    Resume(&'a str),
    /// Ask a domain's guest to shut down.
    Shutdown(&'a str),
    /// Stop a domain at once.
    Destroy(&'a str),
    /// Remove a domain's persistent definition.
    Undefine(&'a str),
    /// Set vCPUs (on the running domain when `live`, and in its definition).
    SetVcpus {
        /// Domain name.
        name: &'a str,
        /// New vCPU count.
        vcpus: u32,
        /// Whether the domain is running.
        live: bool,
    },
    /// Set memory in KiB (on the running domain when `live`, and in its definition).
    SetMemory {
        /// Domain name.
        name: &'a str,
        /// New memory in KiB.
        kib: u64,
        /// Whether the domain is running.
        live: bool,
    },
    /// What the last live migration of a domain into this host measured (`Done` when the
    /// driver keeps no such statistics).
    MigrationStats(&'a str),
    /// Whether a job (an outgoing migration, or its cancellation) is under way on a domain.
    JobUnderWay(&'a str),
    /// Live-migrate a domain to host `to` (persistently; the source definition goes).
    Migrate {
        /// Domain name.
        name: &'a str,
        /// Destination host index.
        to: usize,
        /// Most bandwidth, MiB/s (`None`: no limit).
        bandwidth_mibps: Option<u64>,
    },
}

/// A hypervisor's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// To [`Call::Node`].
    Node(NodeFacts),
    /// To [`Call::Domains`].
    Domains(Vec<DomainFacts>),
    /// To [`Call::Domain`].
    Domain(Option<DomainFacts>),
    /// To [`Call::DomainXml`].
    Xml(String),
    /// To [`Call::MigrationStats`].
    Migration(MigrationFacts),
    /// To [`Call::JobUnderWay`].
    Job(bool),
    /// To every call that changes something.
    Done,
}

/// How a failed call may be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Worth retrying: the connection or the host was briefly unavailable.
    Transient,
    /// The driver cannot do it at all (e.g. live migration on the test driver).
    Unsupported,
    /// Retrying will not help.
    Permanent,
    /// The host did not answer within its time limit (a frozen daemon, a dead network): it
    /// is unreachable for now; retrying at once would only wait again.
    Timeout,
    /// The domain of that name is not orrery's (untagged, owned by another config, or not the
    /// domain the journal recorded): orrery refuses to act on it.
    Foreign,
}

/// A failed hypervisor call. Its message never holds credentials (URIs are redacted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverError {
    /// How to treat it.
    pub kind: ErrorKind,
    /// What went wrong.
    pub message: String,
}

impl DriverError {
    /// A permanent error.
    pub fn permanent(message: impl Into<String>) -> Self {
        DriverError {
            kind: ErrorKind::Permanent,
            message: message.into(),
        }
    }

    /// A refusal to act on a domain that is not orrery's.
    pub fn foreign(message: impl Into<String>) -> Self {
        DriverError {
            kind: ErrorKind::Foreign,
            message: message.into(),
        }
    }

    /// A transient error.
    pub fn transient(message: impl Into<String>) -> Self {
        DriverError {
            kind: ErrorKind::Transient,
            message: message.into(),
        }
    }
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DriverError {}

/// A set of hosts' hypervisors, addressed by host index (the live config's host order).
pub trait Hypervisor {
    /// Carries out `call` on host `host`.
    fn call(&mut self, host: usize, call: Call<'_>) -> Result<Reply, DriverError>;
}

/// Typed forms of the calls, for any [`Hypervisor`].
pub trait Calls: Hypervisor {
    /// Node information of `host`.
    fn node(&mut self, host: usize) -> Result<NodeFacts, DriverError> {
        match self.call(host, Call::Node)? {
            Reply::Node(n) => Ok(n),
            other => Err(mismatch("node", &other)),
        }
    }

    /// Every domain on `host`.
    fn domains(&mut self, host: usize) -> Result<Vec<DomainFacts>, DriverError> {
        match self.call(host, Call::Domains)? {
            Reply::Domains(d) => Ok(d),
            other => Err(mismatch("domains", &other)),
        }
    }

    /// Domain `name` on `host`, if it is defined or running there.
    fn domain(&mut self, host: usize, name: &str) -> Result<Option<DomainFacts>, DriverError> {
        match self.call(host, Call::Domain(name))? {
            Reply::Domain(d) => Ok(d),
            other => Err(mismatch("domain", &other)),
        }
    }

    /// The persistent XML of domain `name` on `host`.
    fn domain_xml(&mut self, host: usize, name: &str) -> Result<String, DriverError> {
        match self.call(host, Call::DomainXml(name))? {
            Reply::Xml(x) => Ok(x),
            other => Err(mismatch("domain XML", &other)),
        }
    }

    /// Whether a job (a migration, its cancellation) is under way on domain `name` of `host`
    /// (never, for a driver that keeps no jobs).
    fn job_under_way(&mut self, host: usize, name: &str) -> Result<bool, DriverError> {
        match self.call(host, Call::JobUnderWay(name))? {
            Reply::Job(b) => Ok(b),
            other => Err(mismatch("job information", &other)),
        }
    }

    /// What the last live migration of domain `name` into `host` measured, if known.
    fn migration_stats(
        &mut self,
        host: usize,
        name: &str,
    ) -> Result<Option<MigrationFacts>, DriverError> {
        match self.call(host, Call::MigrationStats(name))? {
            Reply::Migration(m) => Ok(Some(m)),
            Reply::Done => Ok(None),
            other => Err(mismatch("migration statistics", &other)),
        }
    }

    /// A call that changes something.
    fn act(&mut self, host: usize, call: Call<'_>) -> Result<(), DriverError> {
        match self.call(host, call)? {
            Reply::Done => Ok(()),
            other => Err(mismatch("an action", &other)),
        }
    }
}

impl<H: Hypervisor + ?Sized> Calls for H {}

fn mismatch(what: &str, got: &Reply) -> DriverError {
    DriverError::permanent(format!("asked for {what}, the hypervisor answered {got:?}"))
}
