//! Queueing model of a service role: request arrivals at rate λ served by the role's `c`
//! VMs, each at rate μ (requests per second of one VM; times in seconds).
//!
//! Two disciplines:
//!
//! * **M/M/c, first come first served**: one queue in front of `c` VMs. The probability of
//!   waiting is Erlang C, computed from the Erlang B recursion `B(k) = a·B(k−1) / (k + a·B(k−1))`
//!   (`a = λ/μ`), which stays in `[0, 1]` and is stable for any `c` (no factorials, no powers).
//!   The wait is 0 with probability `1 − C` and otherwise exponential with rate `θ = cμ − λ`;
//!   the response time adds an exponential service time (rate μ), so its tail is
//!   `P(T > t) = (1 − C)e^{−μt} + C·(θe^{−μt} − μe^{−θt})/(θ − μ)` (`(1 + μt)e^{−μt}` when
//!   `θ = μ`), and [`Station::response_quantile`] inverts it by bisection.
//! * **Processor sharing**: each VM serves its share `λ/c` of the requests in PS (the load
//!   balancer splits evenly); M/M/1-PS has mean response `1/(μ − λ/c)`, as M/M/1. Its
//!   distribution has no simple closed form; [`Station::ps_response_quantile`] approximates it
//!   by the exponential of the same mean (exact for FCFS M/M/1; for PS only the mean is
//!   exact, the tail is an estimate).
//!
//! **Dropped requests**: the role holds at most `K ≥ c` requests (in service or queued, e.g.
//! the web server's connection backlog); an arrival finding `K` is dropped. That is M/M/c/K,
//! whose blocking probability [`Station::drop_probability`] is well defined even when the
//! role is overloaded (ρ ≥ 1), where the infinite-queue formulas diverge. Chosen over a
//! timeout rule because a bounded backlog is what servers configure and it needs no
//! assumption on patience.
//!
//! [`mod@crate::model::service_load`] builds multi-tier services out of these stations.

/// One role seen as a queueing station.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Station {
    /// Arrival rate λ, requests per second.
    pub arrival_rate: f64,
    /// Service rate μ of one VM, requests per second.
    pub service_rate: f64,
    /// Number of VMs c.
    pub servers: u32,
}

impl Station {
    /// Offered load `a = λ/μ` in VMs' worth of work.
    pub fn offered_load(&self) -> f64 {
        self.arrival_rate / self.service_rate
    }

    /// Utilisation `ρ = λ/(cμ)`; at or above 1 the infinite queue is unstable.
    pub fn utilisation(&self) -> f64 {
        self.offered_load() / f64::from(self.servers)
    }

    fn stable(&self) -> bool {
        self.servers > 0 && self.utilisation() < 1.0
    }

    /// Erlang B: the probability that all `c` VMs are busy in the loss system M/M/c/c.
    pub fn erlang_b(&self) -> f64 {
        let a = self.offered_load();
        (1..=self.servers).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
    }

    /// Erlang C: the probability that a request waits (1 when unstable).
    pub fn erlang_c(&self) -> f64 {
        if !self.stable() {
            return 1.0;
        }
        let (b, rho) = (self.erlang_b(), self.utilisation());
        b / (1.0 - rho * (1.0 - b))
    }

    /// Mean wait in the queue (infinite when unstable).
    pub fn mean_wait(&self) -> f64 {
        if !self.stable() {
            return f64::INFINITY;
        }
        self.erlang_c() / self.theta()
    }

    /// Mean response time: wait plus service (infinite when unstable).
    pub fn mean_response(&self) -> f64 {
        self.mean_wait() + 1.0 / self.service_rate
    }

    /// `θ = cμ − λ`, the rate of the conditional wait.
    fn theta(&self) -> f64 {
        f64::from(self.servers) * self.service_rate - self.arrival_rate
    }

    /// `P(T > t)` for the FCFS response time `T` (1 when unstable).
    pub fn response_tail(&self, t: f64) -> f64 {
        if !self.stable() {
            return 1.0;
        }
        let (c, mu, theta) = (self.erlang_c(), self.service_rate, self.theta());
        let both = if (theta - mu).abs() <= 1e-12 * mu {
            (1.0 + mu * t) * (-mu * t).exp()
        } else {
            (theta * (-mu * t).exp() - mu * (-theta * t).exp()) / (theta - mu)
        };
        (1.0 - c) * (-mu * t).exp() + c * both
    }

    /// The `p`-quantile of the FCFS response time (e.g. `p = 0.95`), by bisection on
    /// [`Station::response_tail`] to a relative precision of 1e-12; infinite when unstable.
    pub fn response_quantile(&self, p: f64) -> f64 {
        if !self.stable() {
            return f64::INFINITY;
        }
        let target = 1.0 - p;
        let mut hi = self.mean_response().max(1.0 / self.service_rate);
        while self.response_tail(hi) > target {
            hi *= 2.0;
        }
        let mut lo = 0.0;
        while hi - lo > 1e-12 * hi {
            let mid = 0.5 * (lo + hi);
            if self.response_tail(mid) > target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        hi
    }

    /// The `p`-quantile of the wait in the queue: `ln(C/(1−p))/θ`, 0 when `C ≤ 1 − p`.
    pub fn wait_quantile(&self, p: f64) -> f64 {
        if !self.stable() {
            return f64::INFINITY;
        }
        let c = self.erlang_c();
        if c <= 1.0 - p {
            0.0
        } else {
            (c / (1.0 - p)).ln() / self.theta()
        }
    }

    /// Mean response time with each VM a processor-sharing server taking `λ/c`:
    /// `1/(μ − λ/c)` (infinite when unstable).
    pub fn ps_mean_response(&self) -> f64 {
        if !self.stable() {
            return f64::INFINITY;
        }
        1.0 / (self.service_rate - self.arrival_rate / f64::from(self.servers))
    }

    /// The `p`-quantile of the PS response time, approximated by the exponential of the same
    /// mean: `−ln(1 − p) × mean` (see the module docs).
    pub fn ps_response_quantile(&self, p: f64) -> f64 {
        -(1.0 - p).ln() * self.ps_mean_response()
    }

    /// The stationary distribution `π_0 … π_K` of the number of requests in M/M/c/K
    /// (`K = max(capacity, c)`, `c ≥ 1`); computed in log space, so stable for large `c` and `K`
    /// and for any load.
    pub fn state_probabilities(&self, capacity: u32) -> Vec<f64> {
        let k = capacity.max(self.servers);
        let ln_a = self.offered_load().ln();
        // ln of the unnormalised p_n: a^n/n! up to c, then times ρ per extra request.
        let mut ln_t = 0.0f64;
        let mut terms = Vec::with_capacity(k as usize + 1);
        terms.push(0.0);
        for n in 1..=k {
            ln_t += ln_a - f64::from(n.min(self.servers)).ln();
            terms.push(ln_t);
        }
        let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = terms.iter().map(|t| (t - max).exp()).sum();
        terms.iter().map(|t| (t - max).exp() / sum).collect()
    }

    /// The fraction of arrivals dropped when the role holds at most `capacity` requests
    /// (M/M/c/K blocking `π_K`, `K = max(capacity, c)`; 1 without servers).
    pub fn drop_probability(&self, capacity: u32) -> f64 {
        if self.servers == 0 {
            return 1.0;
        }
        self.state_probabilities(capacity)
            .last()
            .copied()
            .unwrap_or(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(lambda: f64, mu: f64, c: u32) -> Station {
        Station {
            arrival_rate: lambda,
            service_rate: mu,
            servers: c,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn mm1_closed_forms() {
        // λ = 0.5, μ = 1: ρ = C = 0.5, Wq = ρ/(μ − λ) = 1, W = 2, T ~ Exp(0.5).
        let s = st(0.5, 1.0, 1);
        assert!(close(s.utilisation(), 0.5));
        assert!(close(s.erlang_c(), 0.5));
        assert!(close(s.mean_wait(), 1.0));
        assert!(close(s.mean_response(), 2.0));
        assert!(close(s.response_tail(3.0), (-1.5f64).exp()));
        // p95 of Exp(0.5) = ln 20 / 0.5 = 5.991464547…
        assert!(close(s.response_quantile(0.95), 20f64.ln() / 0.5));
        // Wait p95: P(Wq > t) = 0.5 e^{−0.5t} = 0.05 → t = 2 ln 10.
        assert!(close(s.wait_quantile(0.95), 2.0 * 10f64.ln()));
        assert_eq!(s.wait_quantile(0.4), 0.0);
    }

    #[test]
    fn mmc_textbook_values() {
        // M/M/2, a = 1: C = (1/2 · 2)/(1 + 1 + 1) = 1/3, Wq = C/(2 − 1) = 1/3.
        let s = st(1.0, 1.0, 2);
        assert!(close(s.erlang_c(), 1.0 / 3.0));
        assert!(close(s.mean_response(), 4.0 / 3.0));
        // θ = μ here: P(T > 1) = (2/3)e^{−1} + (1/3)(1 + 1)e^{−1} = (4/3)e^{−1}.
        assert!(close(s.response_tail(1.0), 4.0 / 3.0 / std::f64::consts::E));
        // M/M/3, a = 2: a³/3! · 1/(1 − ρ) = 4, Σ_{k<3} a^k/k! = 5, C = 4/9, Wq = 4/9.
        let s = st(2.0, 1.0, 3);
        assert!(close(s.erlang_c(), 4.0 / 9.0));
        assert!(close(s.mean_wait(), 4.0 / 9.0));
        // Erlang B of 2 Erlangs on 3 servers: (8/6)/(1 + 2 + 2 + 8/6) = 4/19.
        assert!(close(s.erlang_b(), 4.0 / 19.0));
        // The quantile inverts the tail.
        let q = s.response_quantile(0.95);
        assert!((s.response_tail(q) - 0.05).abs() < 1e-9);
    }

    #[test]
    fn large_c_matches_a_log_space_evaluation() {
        // c = 1000, a = 950: the textbook formula overflows (950^1000); compare with
        // Σ computed in log space independently.
        let (c, a) = (1000u32, 950.0f64);
        let s = st(a * 0.01, 0.01, c);
        let mut ln_terms = Vec::new();
        let mut ln_t = 0.0;
        for k in 0..c {
            if k > 0 {
                ln_t += a.ln() - f64::from(k).ln();
            }
            ln_terms.push(ln_t);
        }
        let ln_last = ln_t + a.ln() - f64::from(c).ln() - (1.0 - a / f64::from(c)).ln();
        let max = ln_terms.iter().copied().fold(ln_last, f64::max);
        let sum: f64 =
            ln_terms.iter().map(|t| (t - max).exp()).sum::<f64>() + (ln_last - max).exp();
        let expected = (ln_last - max).exp() / sum;
        assert!(
            (s.erlang_c() - expected).abs() < 1e-9,
            "{} vs {expected}",
            s.erlang_c()
        );
        assert!(s.erlang_c() > 0.0 && s.erlang_c() < 1.0);
        assert!(s.mean_response().is_finite());
    }

    #[test]
    fn unstable_and_processor_sharing() {
        let s = st(4.0, 1.0, 4);
        assert_eq!(s.erlang_c(), 1.0);
        assert_eq!(s.mean_response(), f64::INFINITY);
        assert_eq!(s.response_quantile(0.95), f64::INFINITY);
        // PS: λ = 3 over 4 VMs of μ = 1: 1/(1 − 0.75) = 4; p95 ≈ 4 ln 20.
        let s = st(3.0, 1.0, 4);
        assert!(close(s.ps_mean_response(), 4.0));
        assert!(close(s.ps_response_quantile(0.95), 4.0 * 20f64.ln()));
    }

    #[test]
    fn drops_follow_mmck_blocking() {
        // M/M/1/4 at ρ = 1: every state equally likely, P_4 = 1/5.
        assert!(close(st(1.0, 1.0, 1).drop_probability(4), 0.2));
        // K = c is Erlang B: 2 VMs, a = 1 → (1/2)/(1 + 1 + 1/2) = 0.2.
        assert!(close(st(1.0, 1.0, 2).drop_probability(2), 0.2));
        // M/M/1/2 at ρ = 0.5: P_2 = 0.25/(1 + 0.5 + 0.25) = 1/7.
        assert!(close(st(0.5, 1.0, 1).drop_probability(2), 1.0 / 7.0));
        // Overloaded by 2×, large buffer: the drop fraction tends to 1 − 1/ρ = 0.5.
        assert!((st(2000.0, 1.0, 1000).drop_probability(5000) - 0.5).abs() < 1e-6);
        // M/M/2/3 at a = 1: unnormalised 1, 1, 1/2, 1/4 → divided by 11/4.
        let p = st(1.0, 1.0, 2).state_probabilities(3);
        let expected = [4.0 / 11.0, 4.0 / 11.0, 2.0 / 11.0, 1.0 / 11.0];
        assert!(p.iter().zip(expected).all(|(a, b)| close(*a, b)), "{p:?}");
    }
}
