//! The API's own state over a [`Backend`]: the instances launched through it (id, owner,
//! image, reservation, launch time), their tags, the images the instance types name, the
//! organisations' quotas and the request counter.

use std::collections::BTreeMap;

use orrery_engine::scenario::QuotaSection;

use crate::backend::{Backend, InstanceTypeSpec, Phase, VmRef, VmStatus};
use crate::ids;

/// An instance launched through the API.
#[derive(Debug, Clone)]
pub struct Instance {
    /// `i-` and 17 hexadecimal digits.
    pub id: String,
    /// The backend's VM.
    pub vm: VmRef,
    /// The organisation that owns it.
    pub organisation: String,
    /// Index of its instance type.
    pub type_index: usize,
    /// The AMI it was launched from.
    pub image_id: String,
    /// Index of its reservation.
    pub reservation: usize,
    /// Its position in the reservation.
    pub launch_index: u32,
    /// Backend time of its launch, ms.
    pub launched_ms: i64,
    /// The launch's client token, if any.
    pub client_token: Option<String>,
    /// Whether a TerminateInstances ended it.
    pub terminated_by_request: bool,
}

/// One RunInstances' instances.
#[derive(Debug, Clone)]
pub struct Reservation {
    /// `r-` and 17 hexadecimal digits.
    pub id: String,
    /// The organisation that made it.
    pub organisation: String,
    /// Its instances (indices into [`Cloud::instances`]).
    pub instances: Vec<usize>,
}

/// An image: a name the scenario's VM types use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// `ami-` and 17 hexadecimal digits.
    pub id: String,
    /// The image's name.
    pub name: String,
}

/// The served cloud.
pub struct Cloud {
    backend: Box<dyn Backend>,
    identity: String,
    /// Wall-clock time (ms since the epoch) the backend's time 0 stands for.
    epoch_ms: i64,
    /// Every instance launched, in launch order.
    pub instances: Vec<Instance>,
    by_id: BTreeMap<String, usize>,
    /// Every reservation, in order.
    pub reservations: Vec<Reservation>,
    /// Tags by resource id, then key.
    pub tags: BTreeMap<String, BTreeMap<String, String>>,
    /// Reservations by (organisation, client token).
    pub tokens: BTreeMap<(String, String), usize>,
    /// The images, by name order.
    pub images: Vec<Image>,
    quotas: BTreeMap<String, QuotaSection>,
    requests: u64,
}

impl Cloud {
    /// A cloud over `backend`; `epoch_ms` is the wall-clock time its time 0 stands for;
    /// `quotas` are the organisations' limits (an organisation not listed is unlimited).
    pub fn new(
        backend: Box<dyn Backend>,
        epoch_ms: i64,
        quotas: BTreeMap<String, QuotaSection>,
    ) -> Cloud {
        let mut names: Vec<String> = backend.instance_types().iter().map(image_name).collect();
        names.sort();
        names.dedup();
        let images = names
            .into_iter()
            .map(|name| Image {
                id: ids::image_id(&name),
                name,
            })
            .collect();
        Cloud {
            identity: backend.identity(),
            backend,
            epoch_ms,
            instances: Vec::new(),
            by_id: BTreeMap::new(),
            reservations: Vec::new(),
            tags: BTreeMap::new(),
            tokens: BTreeMap::new(),
            images,
            quotas,
            requests: 0,
        }
    }

    /// The backend.
    pub fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }

    /// The backend, to act on.
    pub fn backend_mut(&mut self) -> &mut dyn Backend {
        self.backend.as_mut()
    }

    /// The next request's id.
    pub fn next_request_id(&mut self) -> String {
        self.requests += 1;
        ids::request_id(&self.identity, self.requests)
    }

    /// Wall-clock milliseconds of backend time `t_ms`.
    pub fn wall_ms(&self, t_ms: i64) -> i64 {
        self.epoch_ms + t_ms
    }

    /// The instance types.
    pub fn types(&self) -> &[InstanceTypeSpec] {
        self.backend.instance_types()
    }

    /// The instance with id `id`, if it exists.
    pub fn instance(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The status of instance `i` now.
    pub fn status(&self, i: usize) -> VmStatus {
        self.backend.status(self.instances[i].vm)
    }

    /// The quota of `organisation` (unlimited when it has none).
    pub fn quota(&self, organisation: &str) -> QuotaSection {
        self.quotas.get(organisation).copied().unwrap_or_default()
    }

    /// What `organisation`'s instances that have not terminated hold: VMs, vCPUs, MiB.
    pub fn usage(&self, organisation: &str) -> (u32, u32, u64) {
        let types = self.types();
        self.instances
            .iter()
            .filter(|i| i.organisation == organisation)
            .filter(|i| self.backend.status(i.vm).phase != Phase::Terminated)
            .fold((0, 0, 0), |(n, c, m), i| {
                let t = &types[i.type_index];
                (n + 1, c + t.vcpus, m + t.memory_mib)
            })
    }

    /// Records a reservation of the VMs `vms` (launched in order): their instance ids,
    /// derived from the run and each VM's number.
    pub fn record_launch(
        &mut self,
        organisation: &str,
        type_index: usize,
        image_id: &str,
        vms: &[VmRef],
        client_token: Option<&str>,
    ) -> usize {
        let r = self.reservations.len();
        let now = self.backend.now_ms();
        let first = vms.first().map_or(String::new(), |v| v.to_string());
        let reservation_id = ids::id("r", &[&self.identity, "reservation", &first]);
        let mut members = Vec::with_capacity(vms.len());
        for (k, &vm) in vms.iter().enumerate() {
            let mut salt = 0u32;
            let id = loop {
                let id = ids::id("i", &[&self.identity, &vm.to_string(), &salt.to_string()]);
                if !self.by_id.contains_key(&id) {
                    break id;
                }
                salt += 1;
            };
            let index = self.instances.len();
            self.by_id.insert(id.clone(), index);
            self.instances.push(Instance {
                id,
                vm,
                organisation: organisation.to_string(),
                type_index,
                image_id: image_id.to_string(),
                reservation: r,
                launch_index: k as u32,
                launched_ms: now,
                client_token: client_token.map(str::to_string),
                terminated_by_request: false,
            });
            members.push(index);
        }
        self.reservations.push(Reservation {
            id: reservation_id,
            organisation: organisation.to_string(),
            instances: members,
        });
        if let Some(t) = client_token {
            self.tokens
                .insert((organisation.to_string(), t.to_string()), r);
        }
        r
    }
}

/// The image a type's VMs boot: its `image`, or the type's own name when it names none.
pub fn image_name(t: &InstanceTypeSpec) -> String {
    if t.image.is_empty() {
        t.name.clone()
    } else {
        t.image.clone()
    }
}
