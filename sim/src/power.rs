//! Host power: booting and shutting hosts down, and powering idle hosts off.

use orrery_engine::model::PowerState;
use orrery_engine::view::HostId;

use super::accounting;
use super::event::Event;
use super::Simulator;

impl Simulator {
    /// Powers host `h` off if that was asked for (or idle hosts are powered off) and it is empty.
    pub(crate) fn maybe_power_off(&mut self, h: HostId) {
        let host = &self.view.hosts[h];
        let wanted =
            self.hosts[h].off_requested || (self.power_off_idle && !self.quirks().energy_window);
        if wanted
            && host.vms.is_empty()
            && host.power == PowerState::On
            && self.hosts[h].waiting.is_empty()
            && self.hosts[h].waiting_vms.is_empty()
        {
            if !std::mem::take(&mut self.hosts[h].off_requested) {
                let result = Ok("idle".into());
                self.audit(
                    accounting::POWER_MANAGER,
                    "power-off",
                    None,
                    Some(h),
                    result,
                );
            }
            self.power_off(h);
        }
    }

    pub(crate) fn power_off(&mut self, h: HostId) {
        let delay = self.view.host_type(h).shutdown_delay;
        let energy = self.view.host_type(h).shutdown_energy_j;
        self.view.hosts[h].power = PowerState::ShuttingDown;
        self.log("host-off-requested", None, Some(h), String::new());
        if delay == 0 {
            self.hosts[h].meter.joules += energy;
            self.view.hosts[h].power = PowerState::Off;
            self.recompute(h);
            self.log("host-off", None, Some(h), String::new());
        } else {
            self.recompute(h);
            self.hosts[h].power_due = Some(self.view.now + delay);
            self.queue.push(self.view.now + delay, Event::PoweredOff(h));
        }
    }

    pub(crate) fn power_on(&mut self, h: HostId) {
        let delay = self.view.host_type(h).boot_delay;
        let energy = self.view.host_type(h).boot_energy_j;
        self.view.hosts[h].power = PowerState::Booting;
        self.log("host-boot", None, Some(h), String::new());
        self.hosts[h].power_due = Some(self.view.now + delay);
        if delay == 0 {
            self.hosts[h].meter.joules += energy;
            self.handle(Event::Booted(h));
        } else {
            self.recompute(h);
            self.queue.push(self.view.now + delay, Event::Booted(h));
        }
    }
}
