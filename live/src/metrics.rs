//! The Prometheus metrics of `orrery live`: a [`Metrics`] handle the loop updates after each
//! round and action, and [`serve`], a small HTTP server that exposes them at `GET /metrics` in
//! the OpenMetrics text format. Every metric carries the constant label `config` (the config's
//! name), so several live loops can share one Prometheus.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

/// The content type of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Label set `{state}` of the host and VM gauges.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

/// Label set `{kind,outcome}` of the actions counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    kind: String,
    outcome: String,
}

/// Label set `{host}` of the host-failures counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HostLabels {
    host: String,
}

/// What one round of the live loop saw, for [`Metrics::round`].
#[derive(Debug, Default, Clone)]
pub struct RoundMetrics {
    /// Hosts powered on.
    pub hosts_on: u64,
    /// Hosts powered off.
    pub hosts_off: u64,
    /// Hosts marked failed.
    pub hosts_failed: u64,
    /// Hosts in maintenance.
    pub hosts_maintenance: u64,
    /// VMs waiting to be placed.
    pub vms_pending: u64,
    /// VMs running.
    pub vms_running: u64,
    /// VMs suspended.
    pub vms_suspended: u64,
    /// VMs stopped.
    pub vms_stopped: u64,
    /// VMs failed.
    pub vms_failed: u64,
    /// Names of the hosts that did not answer this round.
    pub unreachable: Vec<String>,
    /// How long the round took.
    pub duration: Duration,
    /// When the round ended, in unix seconds.
    pub ended_unix_s: f64,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    hosts: Family<StateLabels, Gauge>,
    vms: Family<StateLabels, Gauge>,
    unreachable_hosts: Gauge,
    rounds: Counter,
    round_duration: Histogram,
    actions: Family<ActionLabels, Counter>,
    host_failures: Family<HostLabels, Counter>,
    last_round: Gauge<f64, AtomicU64>,
}

/// The live loop's metrics: a cheap, clonable, thread-safe handle on one registry.
#[derive(Debug, Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

fn gauge_value(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Metrics {
    /// A registry of all live-mode metrics, each labelled `config="<config_name>"`.
    pub fn new(config_name: &str) -> Metrics {
        let mut registry = Registry::with_prefix_and_labels(
            "orrery_live",
            std::iter::once((Cow::Borrowed("config"), Cow::Owned(config_name.to_owned()))),
        );
        let hosts = Family::<StateLabels, Gauge>::default();
        registry.register("hosts", "Hosts by state", hosts.clone());
        let vms = Family::<StateLabels, Gauge>::default();
        registry.register("vms", "VMs by state", vms.clone());
        let unreachable_hosts = Gauge::default();
        registry.register(
            "unreachable_hosts",
            "Hosts that did not answer in the last round",
            unreachable_hosts.clone(),
        );
        let rounds = Counter::default();
        registry.register("rounds", "Rounds of the live loop", rounds.clone());
        // 0.01 s .. 2621 s (then +Inf): covers 10 ms to about an hour.
        let round_duration = Histogram::new(exponential_buckets(0.01, 4.0, 10));
        registry.register_with_unit(
            "round_duration",
            "Duration of a round of the live loop",
            Unit::Seconds,
            round_duration.clone(),
        );
        let actions = Family::<ActionLabels, Counter>::default();
        registry.register("actions", "Actions by kind and outcome", actions.clone());
        let host_failures = Family::<HostLabels, Counter>::default();
        registry.register(
            "host_failures",
            "Rounds in which a host did not answer",
            host_failures.clone(),
        );
        let last_round = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "last_round_timestamp",
            "Unix time of the end of the last round",
            Unit::Seconds,
            last_round.clone(),
        );
        Metrics {
            inner: Arc::new(Inner {
                registry,
                hosts,
                vms,
                unreachable_hosts,
                rounds,
                round_duration,
                actions,
                host_failures,
                last_round,
            }),
        }
    }

    /// Records a finished round: sets the gauges, counts the round and its unreachable hosts,
    /// and observes its duration.
    pub fn round(&self, r: &RoundMetrics) {
        let m = &self.inner;
        let set = |family: &Family<StateLabels, Gauge>, state: &str, n: u64| {
            family
                .get_or_create(&StateLabels {
                    state: state.to_owned(),
                })
                .set(gauge_value(n));
        };
        set(&m.hosts, "on", r.hosts_on);
        set(&m.hosts, "off", r.hosts_off);
        set(&m.hosts, "failed", r.hosts_failed);
        set(&m.hosts, "maintenance", r.hosts_maintenance);
        set(&m.vms, "pending", r.vms_pending);
        set(&m.vms, "running", r.vms_running);
        set(&m.vms, "suspended", r.vms_suspended);
        set(&m.vms, "stopped", r.vms_stopped);
        set(&m.vms, "failed", r.vms_failed);
        m.unreachable_hosts
            .set(gauge_value(r.unreachable.len() as u64));
        for host in &r.unreachable {
            m.host_failures
                .get_or_create(&HostLabels { host: host.clone() })
                .inc();
        }
        m.rounds.inc();
        m.round_duration.observe(r.duration.as_secs_f64());
        m.last_round.set(r.ended_unix_s);
    }

    /// Counts one action of `kind` (deploy, migrate, ...) with `outcome` (done, failed, ...).
    pub fn action(&self, kind: &str, outcome: &str) {
        self.inner
            .actions
            .get_or_create(&ActionLabels {
                kind: kind.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// The OpenMetrics text exposition of every metric, ending with `# EOF`.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail; on a (never seen) encoder error, serve what we have.
        let _ = encode(&mut out, &self.inner.registry);
        out
    }
}

/// A running metrics server (see [`serve`]); dropping it stops its thread.
pub struct MetricsServer {
    server: Arc<tiny_http::Server>,
    stop: Arc<AtomicBool>,
    addr: SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// The address the server listens on (the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl std::fmt::Debug for MetricsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Listens on `addr` (`host:port`) and serves `metrics` from one thread: `GET /metrics` the
/// exposition, `GET /` a pointer to it, 404 for other paths, 405 for other methods.
pub fn serve(metrics: Metrics, addr: &str) -> Result<MetricsServer, String> {
    let server = tiny_http::Server::http(addr)
        .map_err(|e| format!("cannot listen on {addr} for metrics: {e}"))?;
    let local = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| format!("cannot listen on {addr} for metrics: not an IP address"))?;
    let server = Arc::new(server);
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let server = Arc::clone(&server);
        let stop = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("orrery-metrics".to_owned())
            .spawn(move || serve_loop(&server, &stop, &metrics))
            .map_err(|e| format!("cannot start the metrics server thread: {e}"))?
    };
    Ok(MetricsServer {
        server,
        stop,
        addr: local,
        thread: Some(thread),
    })
}

fn serve_loop(server: &tiny_http::Server, stop: &AtomicBool, metrics: &Metrics) {
    loop {
        match server.recv() {
            Ok(request) => respond(request, metrics),
            Err(_) if stop.load(Ordering::SeqCst) => return,
            // An accept error (e.g. out of file descriptors): wait a little, never spin.
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn header(name: &str, value: &str) -> Option<tiny_http::Header> {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

fn respond(request: tiny_http::Request, metrics: &Metrics) {
    let path = request.url().split('?').next().unwrap_or("");
    let (status, content_type, body, allow) = if *request.method() != tiny_http::Method::Get {
        (
            405,
            "text/plain; charset=utf-8",
            "method not allowed: only GET\n".to_owned(),
            true,
        )
    } else {
        match path {
            "/metrics" => (200, CONTENT_TYPE, metrics.encode(), false),
            "/" => (
                200,
                "text/plain; charset=utf-8",
                "orrery live: metrics at /metrics\n".to_owned(),
                false,
            ),
            _ => (
                404,
                "text/plain; charset=utf-8",
                "not found: metrics are at /metrics\n".to_owned(),
                false,
            ),
        }
    };
    let mut response = tiny_http::Response::from_string(body).with_status_code(status);
    if let Some(h) = header("Content-Type", content_type) {
        response = response.with_header(h);
    }
    if allow {
        if let Some(h) = header("Allow", "GET") {
            response = response.with_header(h);
        }
    }
    // A client that went away is its own problem.
    let _ = request.respond(response);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;

    fn get(addr: SocketAddr, method: &str, path: &str) -> String {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nHost: localhost\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).unwrap();
        out
    }

    fn status_line(response: &str) -> &str {
        response.lines().next().unwrap_or("")
    }

    fn feed(metrics: &Metrics) {
        metrics.round(&RoundMetrics {
            hosts_on: 3,
            hosts_off: 1,
            vms_running: 5,
            vms_pending: 2,
            unreachable: vec!["h2".to_owned()],
            duration: Duration::from_millis(1500),
            ended_unix_s: 1_700_000_000.0,
            ..RoundMetrics::default()
        });
        metrics.round(&RoundMetrics {
            hosts_on: 2,
            hosts_off: 1,
            hosts_failed: 1,
            vms_running: 6,
            vms_failed: 1,
            unreachable: vec!["h2".to_owned(), "h3".to_owned()],
            duration: Duration::from_millis(2250),
            ended_unix_s: 1_700_000_030.5,
            ..RoundMetrics::default()
        });
        metrics.action("migrate", "done");
        metrics.action("migrate", "done");
        metrics.action("deploy", "failed");
        metrics.action("power-off", "refused");
    }

    #[test]
    fn scrape_serves_the_exposition() {
        let metrics = Metrics::new("c");
        let server = serve(metrics.clone(), "127.0.0.1:0").unwrap();
        feed(&metrics);
        let response = get(server.local_addr(), "GET", "/metrics");
        assert_eq!(status_line(&response), "HTTP/1.0 200 OK", "{response}");
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(
            head.lines().any(|l| l.eq_ignore_ascii_case(
                "content-type: application/openmetrics-text; version=1.0.0; charset=utf-8"
            )),
            "{head}"
        );
        let lines: Vec<&str> = body.lines().collect();
        for want in [
            r#"orrery_live_actions_total{config="c",kind="migrate",outcome="done"} 2"#,
            r#"orrery_live_actions_total{config="c",kind="deploy",outcome="failed"} 1"#,
            r#"orrery_live_actions_total{config="c",kind="power-off",outcome="refused"} 1"#,
            r#"orrery_live_rounds_total{config="c"} 2"#,
            r#"orrery_live_round_duration_seconds_count{config="c"} 2"#,
            r#"orrery_live_round_duration_seconds_sum{config="c"} 3.75"#,
            r#"orrery_live_round_duration_seconds_bucket{config="c",le="0.64"} 0"#,
            r#"orrery_live_round_duration_seconds_bucket{config="c",le="2.56"} 2"#,
            r#"orrery_live_round_duration_seconds_bucket{config="c",le="+Inf"} 2"#,
            r#"orrery_live_hosts{config="c",state="on"} 2"#,
            r#"orrery_live_hosts{config="c",state="off"} 1"#,
            r#"orrery_live_hosts{config="c",state="failed"} 1"#,
            r#"orrery_live_hosts{config="c",state="maintenance"} 0"#,
            r#"orrery_live_vms{config="c",state="pending"} 0"#,
            r#"orrery_live_vms{config="c",state="running"} 6"#,
            r#"orrery_live_vms{config="c",state="suspended"} 0"#,
            r#"orrery_live_vms{config="c",state="stopped"} 0"#,
            r#"orrery_live_vms{config="c",state="failed"} 1"#,
            r#"orrery_live_unreachable_hosts{config="c"} 2"#,
            r#"orrery_live_host_failures_total{config="c",host="h2"} 2"#,
            r#"orrery_live_host_failures_total{config="c",host="h3"} 1"#,
            r#"orrery_live_last_round_timestamp_seconds{config="c"} 1700000030.5"#,
            "# HELP orrery_live_rounds Rounds of the live loop.",
            "# TYPE orrery_live_round_duration_seconds histogram",
            "# EOF",
        ] {
            assert!(lines.contains(&want), "missing {want:?} in:\n{body}");
        }
        drop(server);
    }

    #[test]
    fn other_paths_and_methods() {
        let server = serve(Metrics::new("c"), "127.0.0.1:0").unwrap();
        let addr = server.local_addr();
        assert_eq!(
            status_line(&get(addr, "GET", "/nope")),
            "HTTP/1.0 404 Not Found"
        );
        let root = get(addr, "GET", "/");
        assert_eq!(status_line(&root), "HTTP/1.0 200 OK");
        assert!(root.contains("/metrics"), "{root}");
        assert_eq!(
            status_line(&get(addr, "POST", "/metrics")),
            "HTTP/1.0 405 Method Not Allowed"
        );
        // Garbage does not kill the server.
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"\x00\x01 not http\r\n\r\n").unwrap();
        drop(s);
        assert_eq!(
            status_line(&get(addr, "GET", "/metrics?x=1")),
            "HTTP/1.0 200 OK"
        );
    }

    #[test]
    fn second_server_on_same_address_fails_naming_it() {
        let first = serve(Metrics::new("c"), "127.0.0.1:0").unwrap();
        let addr = first.local_addr().to_string();
        let err = serve(Metrics::new("c"), &addr).unwrap_err();
        assert!(
            err.starts_with(&format!("cannot listen on {addr} for metrics: ")),
            "{err}"
        );
    }

    #[test]
    fn encode_ends_with_eof() {
        let metrics = Metrics::new("c");
        assert!(
            metrics.encode().ends_with("# EOF\n"),
            "{}",
            metrics.encode()
        );
        feed(&metrics);
        assert!(metrics.encode().ends_with("# EOF\n"));
    }

    #[test]
    fn metrics_is_send_sync_clone() {
        fn check<T: Send + Sync + Clone>() {}
        check::<Metrics>();
    }
}
