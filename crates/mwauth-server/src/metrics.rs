//! Prometheus metrics (`metrics_listen`): what the server answered, per API module, and
//! what its stores and hashing threads are doing, served as OpenMetrics text on a listener
//! of its own so that it stays off the public port. Off by default: without
//! `metrics_listen` nothing is counted.
//!
//! On the request path everything is an atomic add or an uncontended lock of one
//! histogram: the counters of an action, and of the usual statuses, are looked up once and
//! kept (see [`Metrics::action`]), so a request does no map lookup and no allocation. Only
//! an API error code is looked up by name, in the family of its counters.

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use mwauth::hash_pool::HashPool;
use mwauth::request::{ApiResponse, LoginResult};
use mwauth::store::SessionStore;
use mwauth::Services;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::borrow::Cow;
use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::net::TcpListener;

/// The label of an api.php request that ran no module (an unknown action, a request
/// refused before dispatch), and of the pages' requests.
const NO_MODULE: &str = "-";
const PAGE: &str = "page";
/// Statuses whose counters are kept at hand; others are looked up.
const USUAL_STATUSES: [u16; 9] = [200, 400, 403, 404, 405, 408, 413, 500, 503];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    action: &'static str,
    /// `success`, or the API error code (`MediaWiki-API-Error`).
    outcome: Cow<'static, str>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreLabels {
    store: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Seconds, from 100 µs to about 13 s: a token request to a login that waits for hashing.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 4.0, 9))
}

/// The counters of one action, kept at hand.
struct PerAction {
    name: &'static str,
    success: Counter,
    latency: Histogram,
}

/// One store's calls: how long they take and how many failed.
#[derive(Clone)]
pub struct StoreMeter {
    pub latency: Histogram,
    pub errors: Counter,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<OutcomeLabels, Counter>,
    latency: Histograms<ActionLabels>,
    responses: Family<StatusLabels, Counter>,
    usual_statuses: [Counter; USUAL_STATUSES.len()],
    logins: [Counter; LoginResult::ALL.len()],
    logouts: Counter,
    throttled: Counter,
    hash_queue: Gauge,
    sessions_held: Gauge,
    upstream_responses: Family<StatusLabels, Counter>,
    upstream_latency: Histogram,
    /// Filled as actions are first seen (there are a dozen); a full table falls back to the
    /// families.
    actions: [OnceLock<PerAction>; 32],
    pub users: StoreMeter,
    pub sessions: StoreMeter,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("mwauth");
        let requests = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "api_requests",
            "api.php requests by module (action) and outcome: success or the API error code",
            requests.clone(),
        );
        let latency = Histograms::<ActionLabels>::new_with_constructor(latency_histogram);
        registry.register(
            "request_duration_seconds",
            "Time to answer, by API module (action); `page` for index.php, `-` when no module ran",
            latency.clone(),
        );
        let responses = Family::<StatusLabels, Counter>::default();
        registry.register(
            "http_responses",
            "HTTP responses by status",
            responses.clone(),
        );
        let logins = Family::<ResultLabels, Counter>::default();
        registry.register(
            "logins",
            "action=login and action=clientlogin attempts by result",
            logins.clone(),
        );
        let logouts = Counter::default();
        registry.register(
            "logouts",
            "Successful action=logout requests",
            logouts.clone(),
        );
        let throttled = Counter::default();
        registry.register(
            "throttle_rejections",
            "Logins refused by the password-attempt throttle",
            throttled.clone(),
        );
        let hash_queue = Gauge::default();
        registry.register(
            "hash_queue_depth",
            "Password hashes waiting for a hashing thread",
            hash_queue.clone(),
        );
        let sessions_held = Gauge::default();
        registry.register(
            "sessions",
            "Sessions the embedded session store holds (expired ones until the next sweep); \
             always 0 with Redis or the objectcache table, which cannot count them cheaply",
            sessions_held.clone(),
        );
        let upstream_responses = Family::<StatusLabels, Counter>::default();
        registry.register(
            "upstream_responses",
            "Requests passed through to the upstream wiki, by the status answered (502 and 504: \
             the upstream could not be reached or did not answer in time)",
            upstream_responses.clone(),
        );
        let upstream_latency = latency_histogram();
        registry.register(
            "upstream_duration_seconds",
            "Time from a passed-through request read to the upstream's answer head",
            upstream_latency.clone(),
        );
        let store_latency = Histograms::<StoreLabels>::new_with_constructor(latency_histogram);
        registry.register(
            "store_duration_seconds",
            "Time of each store call, by store (users, sessions)",
            store_latency.clone(),
        );
        let store_errors = Family::<StoreLabels, Counter>::default();
        registry.register(
            "store_errors",
            "Store calls that failed (the database or Redis could not answer)",
            store_errors.clone(),
        );
        let meter = |store| StoreMeter {
            latency: store_latency.get_or_create(&StoreLabels { store }).clone(),
            errors: store_errors.get_or_create(&StoreLabels { store }).clone(),
        };
        Metrics {
            usual_statuses: USUAL_STATUSES
                .map(|status| responses.get_or_create(&StatusLabels { status }).clone()),
            logins: LoginResult::ALL.map(|r| {
                logins
                    .get_or_create(&ResultLabels { result: r.as_str() })
                    .clone()
            }),
            users: meter("users"),
            sessions: meter("sessions"),
            registry,
            requests,
            latency,
            responses,
            logouts,
            throttled,
            hash_queue,
            sessions_held,
            upstream_responses,
            upstream_latency,
            actions: [const { OnceLock::new() }; 32],
        }
    }

    /// The counters of `name`, looked up in the families once: a table slot holds either
    /// an action or nothing yet, and the first request of a new action takes the first free
    /// slot (another thread may take it first, for the same action or another).
    fn action(&self, name: &'static str) -> Option<&PerAction> {
        for slot in &self.actions {
            let entry = slot.get_or_init(|| PerAction {
                name,
                success: self
                    .requests
                    .get_or_create(&OutcomeLabels {
                        action: name,
                        outcome: Cow::Borrowed("success"),
                    })
                    .clone(),
                latency: self
                    .latency
                    .get_or_create(&ActionLabels { action: name })
                    .clone(),
            });
            if entry.name == name {
                return Some(entry);
            }
        }
        None
    }

    /// An api.php request the core answered.
    pub fn api(&self, res: &ApiResponse, took: Duration) {
        let action = res.ran.action.unwrap_or(NO_MODULE);
        let error = res.header("MediaWiki-API-Error");
        let seconds = took.as_secs_f64();
        match (self.action(action), error) {
            (Some(per), None) => {
                per.success.inc();
                per.latency.observe(seconds);
            }
            (per, error) => {
                let outcome = match error {
                    Some(code) => Cow::Owned(code.to_string()),
                    None => Cow::Borrowed("success"),
                };
                self.requests
                    .get_or_create(&OutcomeLabels { action, outcome })
                    .inc();
                match per {
                    Some(per) => per.latency.observe(seconds),
                    None => self
                        .latency
                        .get_or_create(&ActionLabels { action })
                        .observe(seconds),
                }
            }
        }
        if let Some(result) = res.ran.login {
            if let Some(i) = LoginResult::ALL.iter().position(|r| *r == result) {
                self.logins[i].inc();
            }
            if result == LoginResult::Throttled {
                self.throttled.inc();
            }
        }
        if action == "logout" && error.is_none() {
            self.logouts.inc();
        }
    }

    /// A request for a page (index.php).
    pub fn page(&self, took: Duration) {
        if let Some(per) = self.action(PAGE) {
            per.latency.observe(took.as_secs_f64());
        }
    }

    /// A request passed through to the upstream: the status sent back (the upstream's, or
    /// 502/504 when it failed) and the time to its answer's head.
    pub fn passed(&self, status: u16, took: Duration) {
        self.upstream_responses
            .get_or_create(&StatusLabels { status })
            .inc();
        self.upstream_latency.observe(took.as_secs_f64());
        self.response(status);
    }

    /// An answer written, whatever answered it.
    pub fn response(&self, status: u16) {
        match USUAL_STATUSES.iter().position(|s| *s == status) {
            Some(i) => {
                self.usual_statuses[i].inc();
            }
            None => {
                self.responses.get_or_create(&StatusLabels { status }).inc();
            }
        }
    }

    /// The exposition: every metric, the hashing queue and the sessions held as they are now.
    pub fn encode(&self, hasher: &HashPool, sessions: &dyn SessionStore) -> String {
        self.hash_queue
            .set(i64::try_from(hasher.queued()).unwrap_or(i64::MAX));
        let held = sessions.sessions_held().unwrap_or(0);
        self.sessions_held
            .set(i64::try_from(held).unwrap_or(i64::MAX));
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// Serves `GET /metrics` (anything else: 404) on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>, services: Services) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!("metrics listener: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let metrics = metrics.clone();
        let services = services.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                let answer = if req.uri().path() == "/metrics" && req.method() == hyper::Method::GET
                {
                    let mut res = Response::new(Full::new(Bytes::from(
                        metrics.encode(&services.hasher, services.sessions.as_ref()),
                    )));
                    res.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static(
                            "application/openmetrics-text; version=1.0.0; charset=utf-8",
                        ),
                    );
                    res
                } else {
                    let mut res = Response::new(Full::new(Bytes::new()));
                    *res.status_mut() = StatusCode::NOT_FOUND;
                    res
                };
                async move { Ok::<_, Infallible>(answer) }
            });
            let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            // A scraper that stalls is dropped rather than held for ever.
            let _ = tokio::time::timeout(Duration::from_secs(60), conn).await;
        });
    }
}
