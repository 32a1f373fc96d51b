//! The protocol's vocabulary: sites, tokens, VM descriptors, endpoints, message bodies and
//! outcomes, and what one call into an agent produces.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A site of the federation, by name: how protocol messages name sites (the runtime's index
/// of a site is [`crate::ids::SiteId`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SiteName(pub String);

impl From<&str> for SiteName {
    fn from(s: &str) -> Self {
        SiteName(s.to_string())
    }
}

impl fmt::Display for SiteName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An opaque transfer token; meaningful only to the proxy that issued it
/// ([`super::proxy::TransferProxy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Token(u64);

impl Token {
    /// The token standing for `value` (only a proxy mints tokens).
    pub(super) fn new(value: u64) -> Token {
        Token(value)
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// What every site may know of a VM: its identifier and its virtual hardware and image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmDescriptor {
    /// The federation-wide VM identifier.
    pub id: String,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory, MB; also the size of its serialized runtime state when it migrates running.
    pub memory_mb: u64,
    /// Size of its disk image, MB.
    pub image_mb: u64,
    /// Checksum of its files, as the owner announces it.
    pub checksum: u64,
}

impl VmDescriptor {
    /// The payload a transfer of this VM carries: the image alone for a cold migration (a
    /// primary placement has no runtime state), image plus memory state for a running VM.
    pub fn payload(&self, running: bool) -> TransferStatus {
        let state = if running { self.memory_mb } else { 0 };
        TransferStatus {
            size_mb: self.image_mb + state,
            checksum: self.checksum,
        }
    }
}

/// A transfer proxy's address (its site) and a token it issued. As an accepted placement's
/// handle it is opaque to everyone but that site ([`super::SiteAgent::resolve`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Endpoint {
    /// The site whose proxy issued the token.
    pub proxy: SiteName,
    /// The token.
    pub token: Token,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.proxy, self.token)
    }
}

/// The size and checksum of a transfer's payload, as a source sent it or a destination got it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferStatus {
    /// Payload size, MB.
    pub size_mb: u64,
    /// Payload checksum.
    pub checksum: u64,
}

/// The four operations of the protocol; every message belongs to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operation {
    /// Asking a prospective destination whether it accepts the VM.
    MigrationRequest,
    /// Asking a source to prepare the VM for leaving, or a source demanding it be moved.
    ForcedMigration,
    /// Starting the negotiated transfer, including the out-of-band image copy.
    InitiateTransfer,
    /// Asking the source what it sent, to compare with what the destination received.
    TransferVerification,
}

impl Operation {
    /// The event-log kind: `migration_request`, `forced_migration`, `initiate_transfer` or
    /// `transfer_verification`.
    pub fn kind(self) -> &'static str {
        match self {
            Operation::MigrationRequest => "migration_request",
            Operation::ForcedMigration => "forced_migration",
            Operation::InitiateTransfer => "initiate_transfer",
            Operation::TransferVerification => "transfer_verification",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind())
    }
}

/// Why a migration or placement was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The site could not place the VM and had no one it may delegate to.
    NoCapacity,
    /// The site's policy does not accept requests from the sender.
    NotAccepted,
    /// Delegating further would exceed the chain's maximum depth.
    DepthLimit {
        /// The bound in force.
        max_depth: u32,
    },
    /// The controller had no candidate destination to ask.
    NoCandidates,
    /// The site has no record of the VM (or of the token) the message names.
    Unknown,
    /// Source and destination still disagreed about the transfer after the last attempt.
    VerificationFailed {
        /// Transfer attempts made.
        attempts: u32,
    },
    /// Every candidate refused; each first-hop candidate with its reason, in asking order.
    Candidates(Vec<(SiteName, Refusal)>),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NoCapacity => f.write_str("no capacity"),
            Refusal::NotAccepted => f.write_str("not accepted by site policy"),
            Refusal::DepthLimit { max_depth } => {
                write!(f, "delegation depth limit {max_depth} reached")
            }
            Refusal::NoCandidates => f.write_str("no candidate sites"),
            Refusal::Unknown => f.write_str("unknown VM or token"),
            Refusal::VerificationFailed { attempts } => {
                write!(f, "transfer verification failed after {attempts} attempts")
            }
            Refusal::Candidates(all) => {
                f.write_str("all candidates refused: ")?;
                for (i, (site, r)) in all.iter().enumerate() {
                    let sep = if i == 0 { "" } else { "; " };
                    write!(f, "{sep}{site}: {r}")?;
                }
                Ok(())
            }
        }
    }
}

/// What a message says. Requests carry a fresh request number in [`Message::req`]; replies
/// carry the number of the request they answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// `migration_request`: may the receiver take the VM? `depth` counts the delegations so
    /// far (0 from the controller); `max_depth` bounds it.
    MigrationRequest {
        /// The VM.
        vm: VmDescriptor,
        /// The payload the transfer will carry, to verify the image against.
        announced: TransferStatus,
        /// Delegations so far.
        depth: u32,
        /// Most delegations allowed.
        max_depth: u32,
    },
    /// `migration_request` reply: an offer, the receiving proxy and its token.
    Offer(Endpoint),
    /// `migration_request` reply: a refusal.
    Refused(Refusal),
    /// `forced_migration` from a source to the site that delegated the VM to it: the VM must
    /// move away; that site becomes the controller.
    Evict {
        /// The VM.
        vm: String,
    },
    /// `forced_migration` from the controller towards the source: prepare the VM for leaving.
    Prepare {
        /// The VM.
        vm: String,
    },
    /// `forced_migration` reply: the source proxy and its token, or `None` if the VM is unknown.
    SourceReady(Option<Endpoint>),
    /// `initiate_transfer` from the controller towards the destination.
    Initiate {
        /// The VM.
        vm: String,
        /// Source proxy and token.
        source: Endpoint,
        /// Destination proxy and token.
        destination: Endpoint,
    },
    /// `initiate_transfer`, out of band from the destination proxy to the source proxy: send
    /// the files named by `token`.
    Fetch {
        /// The source token.
        token: Token,
    },
    /// `initiate_transfer` reply, out of band: the files (`None` if the token is unknown).
    /// This is the only message with a payload ([`Message::payload_mb`]).
    ImageData(Option<TransferStatus>),
    /// `initiate_transfer` reply to the controller: what the destination received and whether
    /// it matched what was announced.
    TransferDone {
        /// The VM.
        vm: String,
        /// What arrived, if anything.
        received: Option<TransferStatus>,
        /// Whether it matched the announced size and checksum.
        verified: bool,
    },
    /// `transfer_verification` from the controller towards the source.
    Verify {
        /// Source proxy and token.
        source: Endpoint,
    },
    /// `transfer_verification` reply: what the source sent (`None` if the token is unknown).
    Verified(Option<TransferStatus>),
}

impl Body {
    /// The operation the body belongs to.
    pub fn operation(&self) -> Operation {
        match self {
            Body::MigrationRequest { .. } | Body::Offer(_) | Body::Refused(_) => {
                Operation::MigrationRequest
            }
            Body::Evict { .. } | Body::Prepare { .. } | Body::SourceReady(_) => {
                Operation::ForcedMigration
            }
            Body::Initiate { .. }
            | Body::Fetch { .. }
            | Body::ImageData(_)
            | Body::TransferDone { .. } => Operation::InitiateTransfer,
            Body::Verify { .. } | Body::Verified(_) => Operation::TransferVerification,
        }
    }

    /// Whether the body answers a request.
    pub fn is_reply(&self) -> bool {
        matches!(
            self,
            Body::Offer(_)
                | Body::Refused(_)
                | Body::SourceReady(_)
                | Body::ImageData(_)
                | Body::TransferDone { .. }
                | Body::Verified(_)
        )
    }
}

impl fmt::Display for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = |s: &Option<TransferStatus>| match s {
            Some(s) => format!("{} MB checksum {:x}", s.size_mb, s.checksum),
            None => "nothing".to_string(),
        };
        match self {
            Body::MigrationRequest {
                vm,
                announced,
                depth,
                max_depth,
            } => write!(
                f,
                "request vm {} ({} MB) depth {depth}/{max_depth}",
                vm.id, announced.size_mb
            ),
            Body::Offer(e) => write!(f, "offer {e}"),
            Body::Refused(r) => write!(f, "refused: {r}"),
            Body::Evict { vm } => write!(f, "evict vm {vm}"),
            Body::Prepare { vm } => write!(f, "prepare vm {vm}"),
            Body::SourceReady(Some(e)) => write!(f, "source ready {e}"),
            Body::SourceReady(None) => f.write_str("source unknown"),
            Body::Initiate {
                vm,
                source,
                destination,
            } => write!(f, "initiate vm {vm} from {source} to {destination}"),
            Body::Fetch { token } => write!(f, "fetch {token}"),
            Body::ImageData(s) => write!(f, "image {}", status(s)),
            Body::TransferDone {
                vm,
                received,
                verified,
            } => write!(
                f,
                "transfer of vm {vm} done: received {}, {}",
                status(received),
                if *verified { "verified" } else { "mismatch" }
            ),
            Body::Verify { source } => write!(f, "verify {source}"),
            Body::Verified(s) => write!(f, "source sent {}", status(s)),
        }
    }
}

/// A migration, named by its controller and the controller's sequence number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MigrationId {
    /// The controlling site.
    pub controller: SiteName,
    /// Its sequence number there.
    pub seq: u64,
}

impl fmt::Display for MigrationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.controller, self.seq)
    }
}

/// One protocol message between two sites (possibly the same site, delivered locally).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Sender.
    pub from: SiteName,
    /// Receiver.
    pub to: SiteName,
    /// The migration it belongs to.
    pub migration: MigrationId,
    /// Request number: fresh per sender for a request, the answered request's for a reply.
    pub req: u64,
    /// Content.
    pub body: Body,
}

impl Message {
    /// The operation the message belongs to.
    pub fn operation(&self) -> Operation {
        self.body.operation()
    }

    /// The event-log kind (see [`Operation::kind`]).
    pub fn kind(&self) -> &'static str {
        self.operation().kind()
    }

    /// MB of image data the message carries over the link (0 for control messages).
    pub fn payload_mb(&self) -> u64 {
        match &self.body {
            Body::ImageData(Some(s)) => s.size_mb,
            _ => 0,
        }
    }

    /// Models damage on the wire: an image payload's checksum no longer matches what was
    /// sent. A runtime's link-fault model calls this; control messages are left unchanged.
    pub fn corrupt(&mut self) {
        if let Body::ImageData(Some(s)) = &mut self.body {
            s.checksum = !s.checksum;
        }
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} -> {}: {}",
            self.kind(),
            self.migration,
            self.from,
            self.to,
            self.body
        )
    }
}

/// How a migration or placement ended, reported by its controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The VM is at `site`; `handle` names its placement there (only `site` resolves it).
    Accepted {
        /// The migration.
        migration: MigrationId,
        /// The VM.
        vm: String,
        /// The destination proxy's site.
        site: SiteName,
        /// Opaque placement handle.
        handle: Endpoint,
        /// Transfer attempts made (1 if the first verified).
        attempts: u32,
    },
    /// The VM did not move.
    Refused {
        /// The migration.
        migration: MigrationId,
        /// The VM.
        vm: String,
        /// Why.
        reason: Refusal,
    },
}

/// What one call into an agent produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Step {
    /// Messages to deliver, in order.
    pub messages: Vec<Message>,
    /// Migrations this site controlled that have ended.
    pub outcomes: Vec<Outcome>,
}
