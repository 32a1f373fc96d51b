//! Request-level performance of a multi-tier service: from the request rate, each role's
//! per-request CPU demand and its running VMs to utilisations, drops and response times.
//!
//! **Model.** Every request visits every role once, in order (tiers in series). Within a role
//! the load balancer splits the role's arrivals across its VMs in proportion to their capacity
//! (vCPUs × allocated MIPS per vCPU), so every VM of a role runs at the same utilisation. A VM
//! is an M/M/c station ([`Station`]): `c` = its vCPUs, per-server rate `μ = mips_per_vcpu / MI`
//! with `MI` the role's demand per request. The discipline is first come first served: with
//! exponential demands the number in system, hence the mean response time and the drops, are
//! the same under processor sharing; only the tail differs, and FCFS is the one whose response
//! time distribution is exact. The requests a role serves go on to the next role as a Poisson
//! stream (exact for infinite queues by Burke's theorem, an approximation behind a finite
//! backlog), and a request's sojourn times at successive roles are taken as independent (exact
//! for M/M/1 tandems, an approximation otherwise).
//!
//! **Drops.** With a backlog limit `K` per VM (requests in service or queued), each VM is
//! M/M/c/K: an arrival finding `K` is dropped ([`Station::drop_probability`]), which is well
//! defined at any load, and an accepted request finding `n` requests waits for `n − c + 1`
//! departures (each at rate `cμ`) when `n ≥ c`. Without a limit, a VM at or above saturation
//! (`λ ≥ cμ`) serves `cμ` and drops the excess `λ − cμ`; its queue has no steady state, so the
//! response time of the role and of the service is infinite (set a backlog to get finite
//! times under overload). A role without capacity (no VMs, or none with vCPUs and MIPS) drops
//! every request that reaches it and has an infinite response time.
//!
//! **Response times.** A role's response time is the mixture of its VMs' sojourn times
//! weighted by the requests each serves; M/M/c: [`Station::response_tail`] (closed form);
//! M/M/c/K: the phase-type sojourn evaluated by uniformisation at rate `cμ` (series cut
//! where the Poisson tail is below 1e-16, terms below e^{−40} skipped). The end-to-end mean is the sum of the role means;
//! the end-to-end p95 is the quantile of the sum of the role sojourns, computed numerically:
//! each role is discretised on a grid of step `h` with all mass at the left edge of each cell
//! (`h⌊X/h⌋`, exact cell masses from the tails) and the lattices are convolved, up to a reach
//! that a union bound shows to be past the quantile. The lattice sum lies less than `nh` below
//! the true sum, so the true p95 lies in `[q, q + nh]` where `q` is the lattice p95; the result
//! is the middle, `q + nh/2`, and `h = 0.01 × (largest role p95) / n`: since the p95 of a sum of
//! non-negative terms is at least each term's p95, the relative error is below 0.5 %. The cost
//! is about `n` tail evaluations and `n` convolutions over `~140n²` cells. One role: its exact
//! p95 (bisection to 1e-10).

use super::queueing::Station;

/// The quantile reported as "p95".
pub const P95: f64 = 0.95;

/// One running VM of a role, as far as request processing is concerned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VmCapacity {
    /// Virtual CPUs (servers of the VM's M/M/c station).
    pub vcpus: u32,
    /// MIPS the VM actually gets per vCPU.
    pub mips_per_vcpu: f64,
}

/// One role (tier) of a service: its demand per request and its running VMs.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleDemand {
    /// CPU demand of one request at this role, in million instructions (> 0).
    pub mi_per_request: f64,
    /// The role's running VMs.
    pub vms: Vec<VmCapacity>,
}

/// One VM's share of its role's load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VmLoad {
    /// Requests per second the load balancer sends to the VM.
    pub arrival_rate: f64,
    /// Fraction of the VM's CPU capacity busy serving requests (0 to 1): the CPU demand to feed
    /// the simulator.
    pub utilisation: f64,
    /// Fraction of the VM's arrivals dropped.
    pub drop_fraction: f64,
}

/// One role's performance.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleLoad {
    /// Requests per second reaching the role.
    pub arrival_rate: f64,
    /// Requests per second the role serves (passed on to the next role).
    pub served_rate: f64,
    /// Fraction of the role's arrivals dropped.
    pub drop_fraction: f64,
    /// Mean response time (wait plus service) of the requests it serves, in seconds.
    pub mean_response_s: f64,
    /// 95th percentile of that response time, in seconds.
    pub p95_response_s: f64,
    /// Per VM, in the order of [`RoleDemand::vms`].
    pub vms: Vec<VmLoad>,
}

/// A service's performance at one arrival rate.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceLoad {
    /// Requests per second arriving at the service.
    pub arrival_rate: f64,
    /// Requests per second that pass every role.
    pub throughput: f64,
    /// Requests per second dropped at some role (`arrival_rate − throughput`).
    pub drop_rate: f64,
    /// Mean end-to-end response time of served requests (sum of the role means), seconds.
    pub mean_response_s: f64,
    /// 95th percentile of the end-to-end response time, seconds (see the module docs).
    pub p95_response_s: f64,
    /// Per role, in request order.
    pub roles: Vec<RoleLoad>,
}

/// The response time distribution of the requests one VM serves.
#[derive(Debug, Clone, PartialEq)]
enum Sojourn {
    /// M/M/c with an infinite queue, stable.
    Queue(Station),
    /// M/M/c/K: `phases[j]` = probability an accepted request waits for `j` departures.
    Bounded {
        mu: f64,
        servers: u32,
        phases: Vec<f64>,
    },
    /// No steady state (saturated infinite queue or no capacity).
    Unbounded,
}

impl Sojourn {
    fn mean(&self) -> f64 {
        match self {
            Sojourn::Queue(s) => s.mean_response(),
            Sojourn::Bounded {
                mu,
                servers,
                phases,
            } => {
                let waits: f64 = phases.iter().enumerate().map(|(j, p)| j as f64 * p).sum();
                waits / (f64::from(*servers) * mu) + 1.0 / mu
            }
            Sojourn::Unbounded => f64::INFINITY,
        }
    }

    /// `P(T > t)`.
    fn tail(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 1.0;
        }
        match self {
            Sojourn::Queue(s) => s.response_tail(t),
            Sojourn::Bounded {
                mu,
                servers,
                phases,
            } => uniformised_tail(*mu, *servers, phases, t),
            Sojourn::Unbounded => 1.0,
        }
    }
}

/// `P(T > t)` for `T` = `J` exponential phases of rate `cμ` (J distributed as `phases`) then
/// one of rate `μ`, by uniformisation at rate `Λ = cμ`: after `m` Poisson(Λt) events the request
/// is still in the system iff `m < J`, or `m ≥ J` and none of the `m − J` events during
/// service ended it (each ends it with probability `1/c`). So
/// `P(T > t) = Σ_m Poisson(m; Λt)·h(m)` with `h(m) = P(J > m) + Σ_{j ≤ m} P(J = j)·β^{m−j}`,
/// `β = 1 − 1/c`.
fn uniformised_tail(mu: f64, servers: u32, phases: &[f64], t: f64) -> f64 {
    let x = f64::from(servers) * mu * t;
    let beta = 1.0 - 1.0 / f64::from(servers);
    let last = phases.len() - 1;
    // Poisson(x) mass beyond x + 12√x + 40 is below 1e-16.
    let m_max = (x + 12.0 * x.sqrt() + 40.0).ceil() as usize;
    let (mut total, mut g, mut beyond) = (0.0, 0.0, 1.0);
    let ln_x = x.ln();
    LN_FACTORIALS.with_borrow_mut(|ln_fact| {
        extend_ln_factorials(ln_fact, m_max);
        for (m, &ln_fact) in ln_fact[..=m_max].iter().enumerate() {
            // g(m) = β·g(m−1) + P(J = m); beyond = P(J > m).
            let p = phases.get(m).copied().unwrap_or(0.0);
            g = beta * g + p;
            beyond -= p;
            let h = if m >= last { g } else { beyond.max(0.0) + g };
            // Terms below e^{−40} (all together < 1e-14) are skipped.
            let ln_p = -x + m as f64 * ln_x - ln_fact;
            if ln_p > -40.0 {
                total += ln_p.exp() * h;
            }
        }
    });
    total.clamp(0.0, 1.0)
}

thread_local! {
    /// `ln m!` for m = 0, 1, …, summed term by term (`ln (m−1)! + ln m`), grown on demand:
    /// the tails above ask for the same prefix thousands of times per measurement interval.
    static LN_FACTORIALS: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Extends `table` (`ln m!` from m = 0) to hold m = 0..=`m_max`.
fn extend_ln_factorials(table: &mut Vec<f64>, m_max: usize) {
    if table.is_empty() {
        table.push(0.0);
    }
    while table.len() <= m_max {
        let m = table.len();
        let next = table[m - 1] + (m as f64).ln();
        table.push(next);
    }
}

/// The smallest `t` with `tail(t) ≤ 1 − p`, by doubling from `scale` then bisection to a
/// relative precision of 1e-10 (`tail` non-increasing, tending to 0).
fn quantile(tail: impl Fn(f64) -> f64, p: f64, scale: f64) -> f64 {
    let target = 1.0 - p;
    let mut hi = scale;
    while tail(hi) > target {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    while hi - lo > 1e-10 * hi {
        let mid = 0.5 * (lo + hi);
        if tail(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// A role's response time: its VMs' sojourns weighted by the requests each serves.
///
/// VMs of a role usually share one sojourn distribution (same size, same share of the host):
/// each distinct one is kept once and its tail evaluated once per `t`, so a role of many alike
/// VMs costs what one VM does.
#[derive(Default)]
struct RoleSojourn {
    /// Per VM, in order: its weight and its sojourn's index in `distinct`.
    parts: Vec<(f64, usize)>,
    distinct: Vec<Sojourn>,
}

impl RoleSojourn {
    /// Adds a VM serving `weight` of the role's requests with `sojourn`.
    fn push(&mut self, weight: f64, sojourn: Sojourn) {
        let i = match self.distinct.iter().position(|s| *s == sojourn) {
            Some(i) => i,
            None => {
                self.distinct.push(sojourn);
                self.distinct.len() - 1
            }
        };
        self.parts.push((weight, i));
    }

    fn bounded(&self) -> bool {
        !self.parts.is_empty()
            && self
                .distinct
                .iter()
                .all(|s| !matches!(s, Sojourn::Unbounded))
    }

    /// `Σ w·f(sojourn)` over the VMs in order, `f` evaluated once per distinct sojourn.
    fn weighted(&self, f: impl Fn(&Sojourn) -> f64) -> f64 {
        let values: Vec<f64> = self.distinct.iter().map(f).collect();
        self.parts.iter().map(|&(w, i)| w * values[i]).sum()
    }

    fn tail(&self, t: f64) -> f64 {
        self.weighted(|s| s.tail(t))
    }

    fn mean(&self) -> f64 {
        if !self.bounded() {
            return f64::INFINITY;
        }
        self.weighted(Sojourn::mean)
    }

    fn quantile(&self, p: f64) -> f64 {
        if !self.bounded() {
            return f64::INFINITY;
        }
        quantile(|t| self.tail(t), p, self.mean())
    }
}

/// One VM's load and sojourn: `lambda` requests/s, `mu` per vCPU.
fn vm_load(lambda: f64, mu: f64, servers: u32, backlog: Option<u32>) -> (VmLoad, Sojourn) {
    let station = Station {
        arrival_rate: lambda,
        service_rate: mu,
        servers,
    };
    let capacity = f64::from(servers) * mu;
    let (served, sojourn) = match backlog {
        Some(k) => {
            let pi = station.state_probabilities(k);
            let dropped = pi[pi.len() - 1];
            let accepted = 1.0 - dropped;
            let c = servers as usize;
            let phases: Vec<f64> = (0..pi.len() - c)
                .map(|j| {
                    let p = if j == 0 {
                        pi[..c].iter().sum()
                    } else {
                        pi[c + j - 1]
                    };
                    p / accepted
                })
                .collect();
            (
                lambda * accepted,
                Sojourn::Bounded {
                    mu,
                    servers,
                    phases,
                },
            )
        }
        None if lambda < capacity => (lambda, Sojourn::Queue(station)),
        None => (capacity, Sojourn::Unbounded),
    };
    let load = VmLoad {
        arrival_rate: lambda,
        utilisation: (served / capacity).min(1.0),
        drop_fraction: if lambda > 0.0 {
            1.0 - served / lambda
        } else {
            0.0
        },
    };
    (load, sojourn)
}

fn role_load(lambda: f64, role: &RoleDemand, backlog: Option<u32>) -> (RoleLoad, RoleSojourn) {
    let cap = |v: &VmCapacity| f64::from(v.vcpus) * v.mips_per_vcpu;
    let total: f64 = role.vms.iter().map(cap).sum();
    let mut vms = Vec::with_capacity(role.vms.len());
    let mut parts = Vec::new();
    let mut served = 0.0;
    for vm in &role.vms {
        if cap(vm) <= 0.0 {
            vms.push(VmLoad {
                arrival_rate: 0.0,
                utilisation: 0.0,
                drop_fraction: 0.0,
            });
            continue;
        }
        let share = cap(vm) / total;
        let mu = vm.mips_per_vcpu / role.mi_per_request;
        let (load, sojourn) = vm_load(lambda * share, mu, vm.vcpus, backlog);
        served += lambda * share * (1.0 - load.drop_fraction);
        // Weight by requests served (by capacity share when nothing arrives).
        parts.push((share * (1.0 - load.drop_fraction), sojourn));
        vms.push(load);
    }
    let weight: f64 = parts.iter().map(|(w, _)| w).sum();
    let mut sojourn = RoleSojourn::default();
    for (w, s) in parts {
        sojourn.push(w / weight, s);
    }
    let load = RoleLoad {
        arrival_rate: lambda,
        served_rate: served,
        drop_fraction: if total <= 0.0 {
            1.0
        } else if lambda > 0.0 {
            1.0 - served / lambda
        } else {
            0.0
        },
        mean_response_s: sojourn.mean(),
        p95_response_s: sojourn.quantile(P95),
        vms,
    };
    (load, sojourn)
}

/// The `p`-quantile of the sum of independent role sojourns (see the module docs; all roles
/// bounded, at least one).
fn sum_quantile(roles: &[RoleSojourn], p: f64, role_quantiles: &[f64]) -> f64 {
    let n = roles.len();
    if n == 1 {
        return role_quantiles[0];
    }
    let q_max = role_quantiles.iter().copied().fold(0.0, f64::max);
    let h = 0.01 * q_max / n as f64;
    // Union bound: P(S > Σ q_{1−(1−p)/n}) ≤ 1 − p, so the quantile is below `reach`.
    let level = 1.0 - (1.0 - p) / n as f64;
    let reach: f64 = roles.iter().map(|r| r.quantile(level)).sum();
    let cells = (reach / h).ceil() as usize + 1;
    // mass[j] = P(Σ h⌊X_i/h⌋ = jh), truncated past `reach`.
    let mut mass = vec![0.0; cells];
    mass[0] = 1.0;
    for role in roles {
        let tails: Vec<f64> = (0..=cells).map(|j| role.tail(j as f64 * h)).collect();
        let cell: Vec<f64> = tails.windows(2).map(|w| w[0] - w[1]).collect();
        let mut next = vec![0.0; cells];
        for (i, &a) in mass.iter().enumerate().filter(|(_, &a)| a > 0.0) {
            for (j, &b) in cell[..cells - i].iter().enumerate() {
                next[i + j] += a * b;
            }
        }
        mass = next;
    }
    let mut cdf = 0.0;
    let j = mass
        .iter()
        .position(|m| {
            cdf += m;
            cdf >= p
        })
        .unwrap_or(cells - 1);
    (j as f64 + 0.5 * n as f64) * h
}

/// The performance of a service receiving `arrival_rate` requests per second, its roles in
/// request order, each VM holding at most `backlog_per_vm` requests (None: unbounded queues).
/// Err names the bad input (negative or non-finite rate, demand ≤ 0, negative MIPS).
pub fn service_load(
    arrival_rate: f64,
    roles: &[RoleDemand],
    backlog_per_vm: Option<u32>,
) -> Result<ServiceLoad, String> {
    if !(arrival_rate.is_finite() && arrival_rate >= 0.0) {
        return Err(format!(
            "the request rate must be a number ≥ 0, found {arrival_rate}"
        ));
    }
    for (i, role) in roles.iter().enumerate() {
        if !(role.mi_per_request.is_finite() && role.mi_per_request > 0.0) {
            return Err(format!(
                "role {i}: the CPU demand per request must be > 0 MI, found {}",
                role.mi_per_request
            ));
        }
        if let Some(v) = role
            .vms
            .iter()
            .find(|v| !(v.mips_per_vcpu.is_finite() && v.mips_per_vcpu >= 0.0))
        {
            return Err(format!(
                "role {i}: MIPS per vCPU must be a number ≥ 0, found {}",
                v.mips_per_vcpu
            ));
        }
    }
    let mut lambda = arrival_rate;
    let mut loads = Vec::with_capacity(roles.len());
    let mut sojourns = Vec::with_capacity(roles.len());
    for role in roles {
        let (load, sojourn) = role_load(lambda, role, backlog_per_vm);
        lambda = load.served_rate;
        loads.push(load);
        sojourns.push(sojourn);
    }
    let bounded = sojourns.iter().all(RoleSojourn::bounded);
    let (mean, p95) = if !bounded {
        (f64::INFINITY, f64::INFINITY)
    } else if sojourns.is_empty() {
        (0.0, 0.0)
    } else {
        let quantiles: Vec<f64> = loads.iter().map(|l| l.p95_response_s).collect();
        (
            loads.iter().map(|l| l.mean_response_s).sum(),
            sum_quantile(&sojourns, P95, &quantiles),
        )
    };
    Ok(ServiceLoad {
        arrival_rate,
        throughput: lambda,
        drop_rate: arrival_rate - lambda,
        mean_response_s: mean,
        p95_response_s: p95,
        roles: loads,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-12)
    }

    fn vm(vcpus: u32, mips_per_vcpu: f64) -> VmCapacity {
        VmCapacity {
            vcpus,
            mips_per_vcpu,
        }
    }

    /// A role of 100 MI per request on the given VMs.
    fn role(vms: &[VmCapacity]) -> RoleDemand {
        RoleDemand {
            mi_per_request: 100.0,
            vms: vms.to_vec(),
        }
    }

    #[test]
    fn single_mm1_tier_matches_the_closed_form() {
        // μ = 1000/100 = 10 req/s, λ = 6: mean 1/(μ − λ) = 0.25 s, p95 = ln 20/4.
        let s = service_load(6.0, &[role(&[vm(1, 1000.0)])], None).unwrap();
        assert!(close(s.mean_response_s, 0.25, 1e-12));
        assert!(close(s.p95_response_s, 20f64.ln() / 4.0, 1e-9));
        assert!(close(
            s.roles[0].p95_response_s,
            0.748_933_068_388_497_7,
            1e-9
        ));
        // Utilisation λ·MI/(c·mips) = 6·100/1000.
        assert!(close(s.roles[0].vms[0].utilisation, 0.6, 1e-12));
        assert_eq!((s.throughput, s.drop_rate), (6.0, 0.0));
    }

    #[test]
    fn identical_tandem_tiers_sum_to_an_erlang() {
        // Each tier Exp(4): the sum of two is Erlang-2 with rate 4, whose p95 x/4 solves
        // e^{−x}(1 + x) = 0.05, x = 4.743 864 518…; of three, e^{−x}(1 + x + x²/2) = 0.05,
        // x = 6.295 793 621…. The method promises 0.5 %.
        let tier = role(&[vm(1, 1000.0)]);
        let two = service_load(6.0, &[tier.clone(), tier.clone()], None).unwrap();
        assert!(close(two.mean_response_s, 0.5, 1e-12));
        assert!(
            close(two.p95_response_s, 4.743_864_518_390_578 / 4.0, 0.005),
            "{}",
            two.p95_response_s
        );
        let three = service_load(6.0, &[tier.clone(), tier.clone(), tier], None).unwrap();
        assert!(close(three.mean_response_s, 0.75, 1e-12));
        assert!(
            close(three.p95_response_s, 6.295_793_621_871_989 / 4.0, 0.005),
            "{}",
            three.p95_response_s
        );
    }

    #[test]
    fn load_is_split_by_capacity() {
        // Capacities 2·1000, 1·2000, 1·500 MIPS: shares 4/9, 4/9, 1/9 of λ = 9.
        let s = service_load(
            9.0,
            &[role(&[vm(2, 1000.0), vm(1, 2000.0), vm(1, 500.0)])],
            None,
        )
        .unwrap();
        let r = &s.roles[0];
        let rates: Vec<f64> = r.vms.iter().map(|v| v.arrival_rate).collect();
        assert!(rates
            .iter()
            .zip([4.0, 4.0, 1.0])
            .all(|(a, b)| close(*a, b, 1e-12)));
        // Same utilisation everywhere: 9·100/4500.
        assert!(r.vms.iter().all(|v| close(v.utilisation, 0.2, 1e-12)));
        // M/M/2 (μ 10, λ 4): C = 2ρ²/(1 + ρ) = 1/15, T = 0.1 + C/16 = 0.1041667;
        // M/M/1 (μ 20, λ 4): 1/16; M/M/1 (μ 5, λ 1): 1/4. Weighted 4:4:1.
        let expected = (4.0 * (0.1 + 1.0 / 240.0) + 4.0 / 16.0 + 0.25) / 9.0;
        assert!(close(r.mean_response_s, expected, 1e-12));
        // The p95 inverts the mixture tail.
        let tail: f64 = [
            (
                4.0 / 9.0,
                Station {
                    arrival_rate: 4.0,
                    service_rate: 10.0,
                    servers: 2,
                },
            ),
            (
                4.0 / 9.0,
                Station {
                    arrival_rate: 4.0,
                    service_rate: 20.0,
                    servers: 1,
                },
            ),
            (
                1.0 / 9.0,
                Station {
                    arrival_rate: 1.0,
                    service_rate: 5.0,
                    servers: 1,
                },
            ),
        ]
        .iter()
        .map(|(w, st)| w * st.response_tail(r.p95_response_s))
        .sum();
        assert!(close(tail, 0.05, 1e-8), "{tail}");
    }

    #[test]
    fn a_role_without_vms_drops_everything() {
        let s = service_load(5.0, &[role(&[vm(1, 1000.0)]), role(&[])], None).unwrap();
        assert_eq!(s.throughput, 0.0);
        assert_eq!(s.drop_rate, 5.0);
        assert_eq!(s.roles[1].drop_fraction, 1.0);
        assert_eq!(s.roles[1].mean_response_s, f64::INFINITY);
        assert_eq!(s.mean_response_s, f64::INFINITY);
        assert_eq!(s.p95_response_s, f64::INFINITY);
        // The first role still serves normally: M/M/1, μ 10, λ 5.
        assert!(close(s.roles[0].mean_response_s, 0.2, 1e-12));
        // A VM without MIPS counts as no capacity.
        let z = service_load(5.0, &[role(&[vm(2, 0.0)])], None).unwrap();
        assert_eq!((z.throughput, z.roles[0].drop_fraction), (0.0, 1.0));
        assert_eq!(z.roles[0].vms[0].utilisation, 0.0);
    }

    #[test]
    fn saturation_without_backlog_serves_capacity() {
        // λ 15 on μ 10: serves 10, drops 1/3, no finite response time.
        let s = service_load(15.0, &[role(&[vm(1, 1000.0)])], None).unwrap();
        assert!(close(s.throughput, 10.0, 1e-12));
        assert!(close(s.roles[0].drop_fraction, 1.0 / 3.0, 1e-12));
        assert_eq!(s.roles[0].vms[0].utilisation, 1.0);
        assert_eq!(s.p95_response_s, f64::INFINITY);
    }

    #[test]
    fn backlog_limit_gives_mmck_drops_and_sojourns() {
        // M/M/1/2 at ρ = 0.5: π = 4/7, 2/7, 1/7. Drops 1/7; accepted requests find 0 (2/3)
        // or 1 (1/3): T ~ Exp(10) or Erlang(2, 10), mean 2/3·0.1 + 1/3·0.2, tail
        // e^{−10t}(1 + 10t/3), whose 0.05 point is 0.381 646 030 5….
        let s = service_load(5.0, &[role(&[vm(1, 1000.0)])], Some(2)).unwrap();
        let r = &s.roles[0];
        assert!(close(r.drop_fraction, 1.0 / 7.0, 1e-12));
        assert!(close(s.throughput, 5.0 * 6.0 / 7.0, 1e-12));
        assert!(close(r.vms[0].utilisation, 3.0 / 7.0, 1e-12));
        assert!(close(r.mean_response_s, 0.4 / 3.0, 1e-12));
        assert!(close(r.p95_response_s, 0.381_646_030_516_782_9, 1e-8));
        // Overloaded but bounded, M/M/1/4 at ρ = 1: drops 1/5, accepted find 0 to 3 equally
        // often, mean (1 + 2 + 3 + 4)/4 · 0.1.
        let s = service_load(10.0, &[role(&[vm(1, 1000.0)])], Some(4)).unwrap();
        assert!(close(s.roles[0].drop_fraction, 0.2, 1e-12));
        assert!(close(s.mean_response_s, 0.25, 1e-12));
        assert!(s.p95_response_s.is_finite());
        // A backlog that is never reached leaves M/M/2 as it is: the uniformised tail equals
        // the closed form (μ 10, λ 10 on 2 vCPUs).
        let big = service_load(10.0, &[role(&[vm(2, 1000.0)])], Some(400)).unwrap();
        let mmc = Station {
            arrival_rate: 10.0,
            service_rate: 10.0,
            servers: 2,
        };
        assert!(close(big.mean_response_s, mmc.mean_response(), 1e-9));
        assert!(close(big.p95_response_s, mmc.response_quantile(0.95), 1e-8));
        // Drops at the first tier thin the second tier's arrivals.
        let chain = service_load(
            5.0,
            &[role(&[vm(1, 1000.0)]), role(&[vm(1, 1000.0)])],
            Some(2),
        )
        .unwrap();
        assert!(close(chain.roles[1].arrival_rate, 30.0 / 7.0, 1e-12));
        assert!(close(
            chain.drop_rate,
            5.0 - chain.roles[1].served_rate,
            1e-12
        ));
    }

    #[test]
    fn bad_input_is_rejected() {
        assert!(service_load(-1.0, &[], None).unwrap_err().contains("rate"));
        let mut r = role(&[vm(1, 1000.0)]);
        r.mi_per_request = 0.0;
        assert!(service_load(1.0, &[r], None)
            .unwrap_err()
            .contains("role 0"));
        assert!(service_load(1.0, &[role(&[vm(1, f64::NAN)])], None).is_err());
        // No roles: every request passes at once.
        let s = service_load(3.0, &[], None).unwrap();
        assert_eq!((s.throughput, s.mean_response_s), (3.0, 0.0));
    }
}
