//! Accounting: usage records per VM and tenant, billing by started period, availability, and
//! the rows of the audit log.
//!
//! A [`Ledger`] follows each VM through its *runs* (boot on a host to loss or stop) and the
//! *segments* of a run (the stretches on one host, split by live migrations). Usage is metered
//! per segment; billing counts the started billing periods of each run, as public clouds bill an
//! instance from its start and round every started period up; availability is the time a VM
//! was up over the time it asked to live.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::time::{to_secs, Millis, SECOND};
use crate::view::{HostId, VmId};

/// The unit a VM type's price is charged in; every started period is billed in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BillingPeriod {
    /// Per second started.
    Second,
    /// Per minute started.
    Minute,
    /// Per hour started (the default).
    #[default]
    Hour,
    /// Per day started.
    Day,
}

impl BillingPeriod {
    /// Length of one period.
    pub fn length(self) -> Millis {
        match self {
            BillingPeriod::Second => SECOND,
            BillingPeriod::Minute => 60 * SECOND,
            BillingPeriod::Hour => 3_600 * SECOND,
            BillingPeriod::Day => 86_400 * SECOND,
        }
    }

    /// The name used in the scenario file and `billing.csv`.
    pub fn name(self) -> &'static str {
        match self {
            BillingPeriod::Second => "second",
            BillingPeriod::Minute => "minute",
            BillingPeriod::Hour => "hour",
            BillingPeriod::Day => "day",
        }
    }

    /// Periods billed for a run of `duration`: every started period counts.
    pub fn periods(self, duration: Millis) -> u64 {
        duration.div_ceil(self.length())
    }
}

/// What the ledger needs to know about one VM.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// VM name.
    pub name: String,
    /// Owning tenant.
    pub tenant: String,
    /// VM type name.
    pub vm_type: String,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory, MB.
    pub memory_mb: f64,
    /// Price of one billing period.
    pub price: f64,
    /// Billing period.
    pub period: BillingPeriod,
    /// When the request arrives.
    pub arrival: Millis,
    /// When its requested lifetime ends (the end of the run for VMs without a lifetime).
    pub end: Millis,
}

/// One VM's running books.
#[derive(Debug, Clone, Default)]
struct Books {
    /// Start and host of the open segment.
    segment: Option<(Millis, HostId)>,
    /// Start of the open run.
    run: Option<Millis>,
    up: Millis,
    runs: u64,
    periods: u64,
    /// When the VM stopped for good before its requested end.
    ended: Option<Millis>,
    rejected: bool,
}

/// Usage, billing and availability of every VM, fed by the infrastructure as VMs start, move,
/// go down and end.
#[derive(Debug, Clone)]
pub struct Ledger {
    accounts: Vec<Account>,
    books: Vec<Books>,
    usage: Vec<UsageRow>,
}

impl Ledger {
    /// A ledger for these VMs (indexed by VM id), none of them up yet.
    pub fn new(accounts: Vec<Account>) -> Self {
        Ledger {
            books: vec![Books::default(); accounts.len()],
            accounts,
            usage: Vec::new(),
        }
    }

    /// Opens the books of one more VM (the next id).
    pub fn add(&mut self, account: Account) {
        self.accounts.push(account);
        self.books.push(Books::default());
    }

    /// What VM `vm` has been billed up to `t`: its price for every billing period started
    /// so far, the open run's included.
    pub fn billed_to(&self, vm: VmId, t: Millis) -> f64 {
        let (a, b) = (&self.accounts[vm], &self.books[vm]);
        let open = b
            .run
            .map_or(0, |start| a.period.periods(t.saturating_sub(start)));
        a.price * (b.periods + open) as f64
    }

    /// VM `vm` starts running on `host` at `t` (a new run).
    pub fn up(&mut self, vm: VmId, host: HostId, t: Millis) {
        let b = &mut self.books[vm];
        b.segment = Some((t, host));
        b.run = Some(t);
    }

    /// VM `vm` finished a live migration to `to` at `t`: its run goes on there.
    pub fn moved(&mut self, vm: VmId, to: HostId, t: Millis) {
        if self.books[vm].segment.is_some() {
            self.close_segment(vm, t);
            self.books[vm].segment = Some((t, to));
        }
    }

    /// VM `vm` stops running at `t` (lost, crashed or stopped); nothing if it was not up.
    pub fn down(&mut self, vm: VmId, t: Millis) {
        self.close_segment(vm, t);
        let a = &self.accounts[vm];
        let b = &mut self.books[vm];
        if let Some(start) = b.run.take() {
            let d = t - start;
            b.up += d;
            b.runs += 1;
            b.periods += a.period.periods(d);
        }
    }

    /// VM `vm` is done for good at `t` (lifetime over, shut down or removed): it goes down and
    /// its requested lifetime ends there.
    pub fn ended(&mut self, vm: VmId, t: Millis) {
        self.down(vm, t);
        let b = &mut self.books[vm];
        b.ended = Some(b.ended.map_or(t, |e| e.min(t)));
    }

    /// VM `vm` was refused by placement: unless it ran before (a restart that found no room,
    /// down until its requested end), it counts in no availability.
    pub fn rejected(&mut self, vm: VmId) {
        let b = &mut self.books[vm];
        b.rejected = b.runs == 0;
    }

    fn close_segment(&mut self, vm: VmId, t: Millis) {
        let Some((start, host)) = self.books[vm].segment.take() else {
            return;
        };
        let a = &self.accounts[vm];
        let secs = to_secs(t - start);
        self.usage.push(UsageRow {
            tenant: a.tenant.clone(),
            vm,
            name: a.name.clone(),
            host,
            start_s: to_secs(start),
            end_s: to_secs(t),
            vcpu_s: a.vcpus as f64 * secs,
            memory_mb_s: a.memory_mb * secs,
        });
    }

    /// Closes every open run at `end` (the end of the run) and settles the accounts.
    pub fn finish(mut self, end: Millis) -> Accounts {
        for vm in 0..self.books.len() {
            self.down(vm, end);
        }
        let mut usage = std::mem::take(&mut self.usage);
        usage.sort_by(|a, b| a.vm.cmp(&b.vm).then(a.start_s.total_cmp(&b.start_s)));
        let mut tenant_usage: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        for u in &usage {
            let e = tenant_usage.entry(u.tenant.clone()).or_default();
            e.0 += u.vcpu_s;
            e.1 += u.memory_mb_s;
        }
        let usage_totals: Vec<UsageTotalRow> = tenant_usage
            .into_iter()
            .map(|(tenant, (vcpu_s, memory_mb_s))| UsageTotalRow {
                tenant,
                vcpu_s,
                memory_mb_s,
            })
            .collect();

        let mut billing = Vec::new();
        let mut tenant_bills: BTreeMap<&str, BillingTotalRow> = BTreeMap::new();
        let (mut sum, mut min, mut n) = (0.0, f64::INFINITY, 0usize);
        for (vm, (a, b)) in self.accounts.iter().zip(&self.books).enumerate() {
            let until = b.ended.unwrap_or(a.end).min(a.end);
            let window = until.saturating_sub(a.arrival);
            if b.rejected || window == 0 {
                continue;
            }
            let availability = (to_secs(b.up) / to_secs(window)).min(1.0);
            sum += availability;
            min = min.min(availability);
            n += 1;
            let cost = b.periods as f64 * a.price;
            let row = BillingRow {
                tenant: a.tenant.clone(),
                vm,
                name: a.name.clone(),
                vm_type: a.vm_type.clone(),
                up_s: to_secs(b.up),
                availability,
                runs: b.runs,
                period: a.period.name(),
                price: a.price,
                periods: b.periods,
                cost,
            };
            let total = tenant_bills
                .entry(&a.tenant)
                .or_insert_with(|| BillingTotalRow {
                    tenant: a.tenant.clone(),
                    up_s: 0.0,
                    runs: 0,
                    periods: 0,
                    cost: 0.0,
                });
            total.up_s += row.up_s;
            total.runs += row.runs;
            total.periods += row.periods;
            total.cost += cost;
            billing.push(row);
        }
        let cost_total = tenant_bills.values().map(|t| t.cost).sum();
        Accounts {
            usage,
            usage_totals,
            billing,
            billing_totals: tenant_bills.into_values().collect(),
            availability_mean: (n > 0).then(|| sum / n as f64),
            availability_min: (n > 0).then_some(min),
            cost_total,
        }
    }
}

/// The settled accounts of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Accounts {
    /// Usage per VM segment.
    pub usage: Vec<UsageRow>,
    /// Usage per tenant.
    pub usage_totals: Vec<UsageTotalRow>,
    /// The bill per VM.
    pub billing: Vec<BillingRow>,
    /// The bill per tenant.
    pub billing_totals: Vec<BillingTotalRow>,
    /// Mean availability over the VMs not rejected (`None` without any).
    pub availability_mean: Option<f64>,
    /// Lowest availability of a VM not rejected.
    pub availability_min: Option<f64>,
    /// Everything billed.
    pub cost_total: f64,
}

crate::table! {
    /// One row of `usage.csv`: a VM's stay on one host.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct UsageRow in "usage" {
        /// Owning tenant.
        pub tenant: String = "",
        /// The VM.
        pub vm: VmId = "VM id",
        /// VM name.
        pub name: String = "",
        /// The host it ran on.
        pub host: HostId = "host id",
        /// Start of the stay, s.
        pub start_s: f64 = "s",
        /// End of the stay, s.
        pub end_s: f64 = "s",
        /// vCPUs × seconds.
        pub vcpu_s: f64 = "vCPU·s",
        /// Memory MB × seconds.
        pub memory_mb_s: f64 = "MB·s",
    }
}

crate::table! {
    /// One row of `usage_totals.csv`: a tenant's usage over the run.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct UsageTotalRow in "usage_totals" {
        /// The tenant.
        pub tenant: String = "",
        /// vCPUs × seconds.
        pub vcpu_s: f64 = "vCPU·s",
        /// Memory MB × seconds.
        pub memory_mb_s: f64 = "MB·s",
    }
}

crate::table! {
    /// One row of `billing.csv`: a VM's bill and availability.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct BillingRow in "billing" {
        /// Owning tenant.
        pub tenant: String = "",
        /// The VM.
        pub vm: VmId = "VM id",
        /// VM name.
        pub name: String = "",
        /// VM type name.
        pub vm_type: String = "",
        /// Seconds up (booted on a host).
        pub up_s: f64 = "s",
        /// Up time over requested lifetime since arrival.
        pub availability: f64 = "fraction",
        /// Runs (starts); each is billed from its own start.
        pub runs: u64 = "runs",
        /// Billing period.
        pub period: &'static str = "",
        /// Price of one period.
        pub price: f64 = "price units",
        /// Periods billed (each started period of each run).
        pub periods: u64 = "periods",
        /// periods × price.
        pub cost: f64 = "price units",
    }
}

crate::table! {
    /// One row of `billing_totals.csv`: a tenant's bill.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct BillingTotalRow in "billing_totals" {
        /// The tenant.
        pub tenant: String = "",
        /// Seconds its VMs were up.
        pub up_s: f64 = "s",
        /// Runs (starts) of its VMs.
        pub runs: u64 = "runs",
        /// Periods billed.
        pub periods: u64 = "periods",
        /// What it owes.
        pub cost: f64 = "price units",
    }
}

crate::table! {
    /// One row of `audit.csv`: an action someone took.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct AuditRow in "audit" {
        /// When, s.
        pub time_s: f64 = "s",
        /// Who: a policy's name, `vm-manager` or `power-manager`.
        pub actor: String = "",
        /// What: `deploy`, `migrate`, `power-on`, `power-off`, `reject`, `defer`, `restart`, …
        pub action: &'static str = "",
        /// The VM concerned, if any.
        pub vm: Option<VmId> = "VM id",
        /// The host concerned, if any.
        pub host: Option<HostId> = "host id",
        /// `ok` or `refused`.
        pub result: &'static str = "",
        /// Reason, refusal message or other detail.
        pub detail: String = "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(price: f64, period: BillingPeriod, end_s: u64) -> Account {
        Account {
            name: "vm".into(),
            tenant: "acme".into(),
            vm_type: "small".into(),
            vcpus: 2,
            memory_mb: 512.0,
            price,
            period,
            arrival: 0,
            end: end_s * SECOND,
        }
    }

    #[test]
    fn started_periods_are_rounded_up() {
        assert_eq!(BillingPeriod::Hour.periods(90 * 60 * SECOND), 2);
        assert_eq!(BillingPeriod::Hour.periods(3_600 * SECOND), 1);
        assert_eq!(BillingPeriod::Minute.periods(61 * SECOND), 2);
        assert_eq!(BillingPeriod::Second.periods(1_500), 2);
        assert_eq!(BillingPeriod::Day.periods(1), 1);
        assert_eq!(BillingPeriod::Hour.periods(0), 0);
    }

    #[test]
    fn runs_are_billed_separately_and_migrations_split_usage_only() {
        // VM up 0–1800 s on host 0, migrates to host 1 at 1800, lost at 3000 (a run of 3000 s:
        // 1 hour started); restarted at 3600 on host 2, up to the end at 7200 (3600 s: 1 hour).
        // 2 periods × 0.10 = 0.20. Availability = (3000 + 3600) / 7200 = 0.91666…
        let mut l = Ledger::new(vec![account(0.10, BillingPeriod::Hour, 7_200)]);
        l.up(0, 0, 0);
        l.moved(0, 1, 1_800 * SECOND);
        l.down(0, 3_000 * SECOND);
        l.up(0, 2, 3_600 * SECOND);
        let a = l.finish(7_200 * SECOND);
        let hosts: Vec<_> = a
            .usage
            .iter()
            .map(|u| (u.host, u.start_s, u.end_s))
            .collect();
        assert_eq!(
            hosts,
            vec![(0, 0.0, 1800.0), (1, 1800.0, 3000.0), (2, 3600.0, 7200.0)]
        );
        // Tenant total: 6600 s × 2 vCPU, × 512 MB.
        assert_eq!(a.usage_totals.len(), 1);
        assert_eq!(a.usage_totals[0].vcpu_s, 13_200.0);
        assert_eq!(a.usage_totals[0].memory_mb_s, 6_600.0 * 512.0);
        assert_eq!(a.billing[0].runs, 2);
        assert_eq!(a.billing[0].periods, 2);
        assert!((a.billing[0].cost - 0.20).abs() < 1e-12);
        assert_eq!(a.availability_min, Some(6_600.0 / 7_200.0));
        assert_eq!(a.billing.len(), 1);
        assert_eq!(a.billing_totals[0].cost, a.billing[0].cost);
        assert!((a.cost_total - 0.20).abs() < 1e-12);
    }

    #[test]
    fn an_early_end_shortens_the_window_and_rejected_vms_count_in_no_availability() {
        // VM 0 arrives at 0, up from 100 s, shut down at 1000 s: 900 / 1000 = 0.9.
        // VM 1 is rejected.
        let mut l = Ledger::new(vec![
            account(1.0, BillingPeriod::Second, 3_600),
            account(1.0, BillingPeriod::Second, 3_600),
        ]);
        l.up(0, 0, 100 * SECOND);
        l.ended(0, 1_000 * SECOND);
        l.rejected(1);
        let a = l.finish(3_600 * SECOND);
        assert_eq!(a.availability_mean, Some(0.9));
        assert_eq!(a.billing.len(), 1); // VM 0; the tenant's total is apart
        assert_eq!(a.billing_totals.len(), 1);
        assert_eq!(a.billing[0].periods, 900);
        assert_eq!(a.cost_total, 900.0);
    }
}
