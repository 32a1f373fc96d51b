//! The HTTP server (axum on tokio): `POST /` (or `GET /?…`) answers EC2 Query API requests,
//! `POST /orrery/advance?seconds=N` moves simulated time (admin keys only). Every request is
//! authenticated (SigV4), answered under one lock on the cloud, and audited. Simulated time
//! advances from a clock thread at `--rate`, or only on request (`--on-demand`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;

use crate::audit::{AuditLog, Entry};
use crate::auth::{authenticate, Caller, Incoming};
use crate::cloud::Cloud;
use crate::dates::iso8601;
use crate::ec2;
use crate::error::ApiError;
use crate::keys::Keys;
use crate::params::Params;

/// How simulated time advances.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Clock {
    /// This many simulated seconds per wall-clock second.
    Rate(f64),
    /// Only when an admin asks (`POST /orrery/advance?seconds=N`).
    OnDemand,
}

/// How to serve.
#[derive(Debug)]
pub struct Config {
    /// Address to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// How simulated time advances.
    pub clock: Clock,
    /// The tenants' access keys.
    pub keys: Keys,
    /// The audit trail's file, if any.
    pub audit: Option<PathBuf>,
    /// Largest request body accepted, bytes.
    pub max_body: usize,
}

/// Largest request body accepted by default (EC2's Query API requests are small).
pub const DEFAULT_MAX_BODY: usize = 256 * 1024;

/// Interval between two steps of the rate clock.
const TICK: Duration = Duration::from_millis(50);

struct App {
    cloud: Mutex<Cloud>,
    keys: Keys,
    audit: AuditLog,
    max_body: usize,
}

impl App {
    fn cloud(&self) -> MutexGuard<'_, Cloud> {
        // A panic under the lock (a bug) leaves the cloud as it was: keep serving.
        self.cloud.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Serves `cloud` per `config` until SIGINT or SIGTERM; `ready` is called with the bound
/// address once the server listens.
pub fn serve(cloud: Cloud, config: Config, ready: impl FnOnce(SocketAddr)) -> Result<(), String> {
    let audit = AuditLog::open(config.audit.as_deref())?;
    let app = Arc::new(App {
        cloud: Mutex::new(cloud),
        keys: config.keys,
        audit,
        max_body: config.max_body,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the server's runtime: {e}"))?;
    let stop = Arc::new(AtomicBool::new(false));
    let ticker = match config.clock {
        Clock::Rate(rate) => {
            let (app, stop) = (Arc::clone(&app), Arc::clone(&stop));
            Some(std::thread::spawn(move || tick(&app, rate, &stop)))
        }
        Clock::OnDemand => None,
    };
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the bound address: {e}"))?;
        ready(addr);
        let router = Router::new()
            .route("/orrery/advance", any(advance))
            .fallback(ec2_request)
            .with_state(Arc::clone(&app));
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown())
            .await
            .map_err(|e| format!("the server failed: {e}"))
    });
    stop.store(true, Ordering::Relaxed);
    if let Some(t) = ticker {
        let _ = t.join();
    }
    result
}

async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler can be installed");
        tokio::select! {
            _ = interrupt => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// The rate clock: every tick, simulated time moves by the wall time elapsed × `rate` (from
/// where it is, should an admin have moved it further).
fn tick(app: &App, rate: f64, stop: &AtomicBool) {
    let mut last = Instant::now();
    let mut target = app.cloud().backend().now_ms() as f64;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(TICK);
        let now = Instant::now();
        target += now.duration_since(last).as_secs_f64() * rate * 1000.0;
        last = now;
        let mut cloud = app.cloud();
        let at = cloud.backend().now_ms() as f64;
        target = target.max(at);
        if let Err(e) = cloud.backend_mut().advance_to(target as i64) {
            eprintln!("error: the simulation failed: {e}");
            return;
        }
        if cloud
            .backend()
            .horizon_ms()
            .is_some_and(|h| cloud.backend().now_ms() >= h)
        {
            return;
        }
    }
}

/// The request's parts as authentication reads them.
struct Parts {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Reads the request, its body capped at `max` bytes.
async fn read(req: Request, max: usize) -> Result<Parts, ApiError> {
    let (parts, body) = req.into_parts();
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = to_bytes(body, max).await.map_err(|_| ApiError {
        code: "RequestEntityTooLarge",
        message: format!("The request body is larger than {max} bytes"),
        status: 413,
    })?;
    Ok(Parts {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers,
        body: body.to_vec(),
    })
}

fn authenticate_parts(app: &App, p: &Parts) -> Result<Caller, crate::auth::Refusal> {
    authenticate(
        &Incoming {
            method: &p.method,
            raw_path: &p.path,
            raw_query: &p.query,
            headers: &p.headers,
            body: &p.body,
        },
        &app.keys,
        now_ms() / 1000,
    )
}

fn xml_response(status: u16, xml: String) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        "text/xml;charset=UTF-8".parse().expect("a valid header"),
    );
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        headers,
        Body::from(xml),
    )
        .into_response()
}

/// What one request came to, for the audit trail.
struct Audited<'a> {
    request_id: &'a str,
    sim_time_s: f64,
    access_key: Option<&'a str>,
    organisation: Option<&'a str>,
    action: Option<&'a str>,
    resources: &'a [String],
    result: Result<(), &'a ApiError>,
}

fn audit(app: &App, a: Audited<'_>) {
    let time = iso8601(now_ms());
    let (result, status) = match a.result {
        Ok(()) => ("ok", 200),
        Err(e) => (e.code, e.status),
    };
    app.audit.record(&Entry {
        time: &time,
        sim_time_s: a.sim_time_s,
        request_id: a.request_id,
        access_key: a.access_key,
        organisation: a.organisation,
        action: a.action,
        resources: a.resources,
        result,
        status,
    });
}

/// The resources a request names (for the audit trail of a refused one).
fn named_resources(params: &Params) -> Vec<String> {
    ["InstanceId", "ResourceId", "ImageId"]
        .iter()
        .flat_map(|p| params.list(p).unwrap_or_default())
        .chain(params.get("ImageId").map(str::to_string))
        .collect()
}

/// An EC2 Query API request.
async fn ec2_request(State(app): State<Arc<App>>, req: Request) -> Response {
    let path_ok = req.uri().path() == "/";
    let parts = read(req, app.max_body).await;
    let (request_id, sim_time_s) = {
        let mut cloud = app.cloud();
        (
            cloud.next_request_id(),
            cloud.backend().now_ms() as f64 / 1000.0,
        )
    };
    let parts = match parts {
        Ok(p) => p,
        Err(e) => {
            audit(
                &app,
                Audited {
                    request_id: &request_id,
                    sim_time_s,
                    access_key: None,
                    organisation: None,
                    action: None,
                    resources: &[],
                    result: Err(&e),
                },
            );
            return xml_response(e.status, e.to_xml(&request_id));
        }
    };
    let params = Params::parse(&parts.query, &parts.body);
    let action = params.get("Action");
    let caller = match authenticate_parts(&app, &parts) {
        Ok(c) => c,
        Err(refusal) => {
            audit(
                &app,
                Audited {
                    request_id: &request_id,
                    sim_time_s,
                    access_key: refusal.access_key.as_deref(),
                    organisation: None,
                    action,
                    resources: &named_resources(&params),
                    result: Err(&refusal.error),
                },
            );
            return xml_response(refusal.error.status, refusal.error.to_xml(&request_id));
        }
    };
    let answer = if path_ok {
        let mut cloud = app.cloud();
        let answer = ec2::handle(&mut cloud, &caller, &params, &request_id);
        let t = cloud.backend().now_ms() as f64 / 1000.0;
        drop(cloud);
        (answer, t)
    } else {
        (
            Err(ApiError::new(
                "InvalidAction",
                format!("No such endpoint: {}", parts.path),
            )),
            sim_time_s,
        )
    };
    let (answer, sim_time_s) = answer;
    let (resources, result) = match &answer {
        Ok(o) => (o.resources.clone(), Ok(())),
        Err(e) => (named_resources(&params), Err(e)),
    };
    audit(
        &app,
        Audited {
            request_id: &request_id,
            sim_time_s,
            access_key: Some(&caller.access_key),
            organisation: Some(&caller.organisation),
            action,
            resources: &resources,
            result,
        },
    );
    match answer {
        Ok(o) => xml_response(200, o.xml),
        Err(e) => xml_response(e.status, e.to_xml(&request_id)),
    }
}

/// `POST /orrery/advance?seconds=N`: moves simulated time forward by N seconds (0: reads
/// it); answers `{"now_s": …, "ended": …}`. Signed like any request; admin keys only.
async fn advance(State(app): State<Arc<App>>, req: Request) -> Response {
    let is_post = req.method() == axum::http::Method::POST;
    let parts = read(req, app.max_body).await;
    let (request_id, sim_time_s) = {
        let mut cloud = app.cloud();
        (
            cloud.next_request_id(),
            cloud.backend().now_ms() as f64 / 1000.0,
        )
    };
    let outcome = (|| {
        let parts = parts.map_err(|e| (None, e))?;
        let caller = authenticate_parts(&app, &parts).map_err(|r| (r.access_key, r.error))?;
        let key = Some(caller.access_key.clone());
        if !is_post {
            return Err((
                key,
                ApiError::new("InvalidAction", "POST /orrery/advance?seconds=N"),
            ));
        }
        if !caller.admin {
            return Err((
                key,
                ApiError::new(
                    "UnauthorizedOperation",
                    "You are not authorized to advance simulated time: the key needs admin = true",
                ),
            ));
        }
        let params = Params::parse(&parts.query, &parts.body);
        let raw = params
            .get("seconds")
            .ok_or_else(|| (key.clone(), ApiError::missing("seconds")))?;
        let seconds = raw
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && (0.0..=1e9).contains(s))
            .ok_or_else(|| {
                (
                    key.clone(),
                    ApiError::invalid("seconds", raw, "Must be a number of seconds from 0 to 1e9."),
                )
            })?;
        let mut cloud = app.cloud();
        let now = cloud.backend().now_ms();
        let reached = cloud
            .backend_mut()
            .advance_to(now + (seconds * 1000.0).round() as i64)
            .map_err(|e| {
                (
                    key.clone(),
                    ApiError::new("InternalError", format!("the simulation failed: {e}")),
                )
            })?;
        let ended = cloud.backend().horizon_ms().is_some_and(|h| reached >= h);
        Ok((caller, reached, ended))
    })();
    match outcome {
        Ok((caller, reached, ended)) => {
            audit(
                &app,
                Audited {
                    request_id: &request_id,
                    sim_time_s: reached as f64 / 1000.0,
                    access_key: Some(&caller.access_key),
                    organisation: Some(&caller.organisation),
                    action: Some("orrery:Advance"),
                    resources: &[],
                    result: Ok(()),
                },
            );
            let body = serde_json::json!({
                "now_s": reached as f64 / 1000.0,
                "ended": ended,
                "requestId": request_id,
            });
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                body.to_string(),
            )
                .into_response()
        }
        Err((key, e)) => {
            audit(
                &app,
                Audited {
                    request_id: &request_id,
                    sim_time_s,
                    access_key: key.as_deref(),
                    organisation: None,
                    action: Some("orrery:Advance"),
                    resources: &[],
                    result: Err(&e),
                },
            );
            xml_response(e.status, e.to_xml(&request_id))
        }
    }
}
