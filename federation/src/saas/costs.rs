//! What a desk's broker plans with: its queue and limits, its workers' size, price and the
//! room its cloud has for more, and what its workers have cost.

use orrery_engine::time::Millis;

use super::state::Place;
use super::Saas;
use crate::ids::DeskId;
use crate::policy::broker::{Limits, QueueState};
use crate::spec::SiteSpec;
use crate::world::sites::Site;
use crate::world::World;

impl Saas {
    /// Desk `d`'s queue as its broker sees it, with `extra` calls more waiting, and its limits
    /// for calls due within `until_deadline`.
    pub(super) fn desk_state(
        &self,
        world: &World,
        d: DeskId,
        extra: u32,
        until_deadline: Option<Millis>,
    ) -> (QueueState, Limits) {
        let desk = self.desk(d);
        let app = &world.fed().spec.appliances[desk.appliance];
        let offer = &app.offers[desk.offer];
        let workers = || desk.workers.iter().map(|&w| self.worker(w));
        let running = workers().filter(|w| w.running()).count() as u32;
        let booting = workers().filter(|w| w.booting()).count() as u32;
        let q = QueueState {
            waiting: self.brokers[&desk.site].waiting(&app.name) + extra,
            running,
            booting,
            exec_time: desk.exec.get(),
            deploy_time: desk.deploy.get(),
        };
        let (price, cap) = self.worker_price_and_room(world, d);
        let limits = Limits {
            until_deadline,
            budget_left: offer.budget.map_or(f64::INFINITY, |b| {
                b - self.desk_spent(world, d, world.now())
            }),
            price_per_period: price,
            max_vms: offer.max_vms.min((running + booting).saturating_add(cap)),
        };
        (q, limits)
    }

    /// vCPUs and memory of desk `d`'s workers.
    pub(super) fn worker_size(&self, world: &World, d: DeskId) -> (u32, f64) {
        let fed = world.fed();
        let app = &fed.spec.appliances[self.desk(d).appliance];
        let t = fed.vm_type(&app.vm_type).expect("checked on load");
        (t.vcpus, t.memory_mb)
    }

    /// Price of one worker for one billing period at desk `d`'s site, and how many more
    /// workers its cloud would start (a public cloud's quota).
    fn worker_price_and_room(&self, world: &World, d: DeskId) -> (f64, u32) {
        let site = self.desk(d).site;
        match (world.fed().site(site), world.sites().get(site)) {
            (
                SiteSpec::Private {
                    price_per_vm_hour, ..
                },
                _,
            ) => (*price_per_vm_hour, u32::MAX),
            (_, Site::Public(c)) => {
                let (vcpus, mem) = self.worker_size(world, d);
                match c.instance_type_for(vcpus, mem) {
                    Some(t) => (c.types[t].price_per_period, c.quota_left(t, world.now())),
                    None => (0.0, 0),
                }
            }
            _ => unreachable!("site kinds match their specs"),
        }
    }

    /// What desk `d`'s workers have cost up to `until` (started periods of public instances,
    /// VM-hours at a private site's price).
    fn desk_spent(&self, world: &World, d: DeskId, until: Millis) -> f64 {
        let desk = self.desk(d);
        match (world.fed().site(desk.site), world.sites().get(desk.site)) {
            (
                SiteSpec::Private {
                    price_per_vm_hour, ..
                },
                _,
            ) => self.worker_hours(d, until) * price_per_vm_hour,
            (_, Site::Public(c)) => desk
                .workers
                .iter()
                .filter_map(|&w| match self.worker(w).place {
                    Place::Public { instance } => Some(c.charge(instance, until)),
                    Place::Private { .. } => None,
                })
                .fold(0.0, |a, b| a + b),
            _ => unreachable!("site kinds match their specs"),
        }
    }
}
