//! Logs, request ids and metrics.
//!
//! - Logs go through `tracing-subscriber`, as text or one JSON object per line
//!   (`PLAN_API_LOG_FORMAT=json`).
//! - Every request gets an id (`x-request-id`, kept when the client sent one, else generated)
//!   that is echoed in the response and carried by the request's span, so every log line of
//!   a request names it (tower-http's request-id and trace layers).
//! - One access-log line per request, written when the response is ready: status, duration,
//!   and for GraphQL the operation, its type, the principal's subject, the error codes and the
//!   estimated cost (the handler leaves an `Outcome` in the response's extensions).
//! - Prometheus metrics through the `metrics` facade; `/metrics` renders them (no listener of
//!   the exporter's own). Operation names come from clients, so at most `MAX_OPERATION_LABELS`
//!   distinct names become labels and later ones count as `other`: a client cannot grow the
//!   metrics without bound.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_graphql::parser::types::OperationType;
use axum::http::{HeaderValue, Request, Response};
use dashmap::DashMap;
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tower_http::request_id::{MakeRequestId, RequestId};
use tracing::Span;

/// Sets up logging once, for the whole process: `format` is `text` or `json`. Lines are
/// written by a thread of their own (`tracing-appender`'s non-blocking writer), so a slow log
/// reader never stalls a request, and many at a time; keep the returned guard until exit, it
/// flushes what is left.
pub fn init_logging(format: &str) -> tracing_appender::non_blocking::WorkerGuard {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "plan_api=info,warn".into());
    let ansi = std::io::stderr().is_terminal();
    // Buffered: under load the writer thread drains many lines per write, and it flushes
    // whenever it has caught up, so lines still appear at once when the server is quiet.
    let (writer, guard) = tracing_appender::non_blocking(std::io::BufWriter::with_capacity(
        64 * 1024,
        std::io::stderr(),
    ));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer);
    if format == "json" {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        builder.init();
    }
    guard
}

/// What the GraphQL handler learnt about a request, for the access log and metrics.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub operation: Option<String>,
    pub kind: Option<OperationType>,
    pub subject: Option<String>,
    /// `extensions.code` of every error in the answer.
    pub codes: Vec<&'static str>,
    /// The estimated cost, when the operation was measured.
    pub cost: Option<u64>,
}

/// Distinct operation names that become metric labels; later ones count as `other`.
pub const MAX_OPERATION_LABELS: usize = 200;

/// The process's metrics recorder, installed on first use (tests start many servers in one
/// process; they share it).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = || {
                PrometheusBuilder::new()
                    .set_buckets(&[
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                        10.0, 30.0,
                    ])
                    .expect("BUG: histogram buckets are not empty")
            };
            builder()
                .install_recorder()
                // Another recorder is installed (an embedding program's): render nothing.
                .unwrap_or_else(|_| builder().build_recorder().handle())
        })
        .clone()
}

/// Per-server observability state.
pub struct Observe {
    pub metrics: PrometheusHandle,
    labels: DashMap<Box<str>, Arc<str>>,
    other: Arc<str>,
    anonymous: Arc<str>,
}

impl Default for Observe {
    fn default() -> Self {
        Self {
            metrics: metrics_handle(),
            labels: DashMap::new(),
            other: "other".into(),
            anonymous: "anonymous".into(),
        }
    }
}

impl Observe {
    fn operation_label(&self, name: Option<&str>) -> Arc<str> {
        let Some(name) = name else {
            return self.anonymous.clone();
        };
        if let Some(l) = self.labels.get(name) {
            return l.clone();
        }
        if name.len() > 64 || self.labels.len() >= MAX_OPERATION_LABELS {
            return self.other.clone();
        }
        self.labels
            .entry(name.into())
            .or_insert_with(|| name.into())
            .clone()
    }
}

/// Refusal codes: counted as refused requests, not as errors of executed operations.
const REFUSALS: [&str; 24] = [
    "QUERY_TOO_COMPLEX",
    "TOO_MANY_NODES",
    "DEPTH_LIMIT",
    "ALIAS_LIMIT",
    "ROOT_FIELD_LIMIT",
    "PAYLOAD_TOO_LARGE",
    "UNSUPPORTED_MEDIA_TYPE",
    "NOT_ACCEPTABLE",
    "METHOD_NOT_ALLOWED",
    "RATE_LIMITED",
    "TIMEOUT",
    "BAD_REQUEST",
    "PERSISTED_QUERY_NOT_FOUND",
    "DOCUMENT_NOT_ALLOWED",
    "EVENTS_MISSED",
    "TOO_MANY_SUBSCRIPTIONS",
    "TOO_MANY_CONNECTIONS",
    "URI_TOO_LONG",
    "TOKEN_LIMIT",
    "DOCUMENT_TOO_LARGE",
    "NESTING_LIMIT",
    "OPERATION_LIMIT",
    "FRAGMENT_LIMIT",
    "DIRECTIVE_LIMIT",
];

/// Counts a request refused at the door, on a transport that has no request metrics of its own
/// (the WebSocket's operations).
pub fn record_refusal(code: &str) {
    let code = code_label(code);
    if REFUSALS.contains(&code) {
        counter!("plan_api_refused_requests_total", "code" => code).increment(1);
        if code == "RATE_LIMITED" {
            counter!("plan_api_rate_limited_requests_total").increment(1);
        }
    } else {
        counter!("plan_api_graphql_errors_total", "code" => code).increment(1);
    }
}

/// Counts and logs a panic that a request caused. The handler's task unwound and the server
/// goes on; the client gets what every internal error gets.
pub fn panicked(payload: &(dyn std::any::Any + Send), transport: &'static str) {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into());
    counter!("plan_api_panics_total", "transport" => transport).increment(1);
    tracing::error!(panic = %what, transport, "a request panicked; answered INTERNAL");
}

/// The answer to an HTTP request whose handler panicked (tower-http's `CatchPanicLayer`).
pub fn panic_response(
    payload: Box<dyn std::any::Any + Send + 'static>,
) -> Response<axum::body::Body> {
    panicked(payload.as_ref(), "http");
    let body = r#"{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}"#;
    let mut res = Response::new(axum::body::Body::from(body));
    *res.status_mut() = axum::http::StatusCode::INTERNAL_SERVER_ERROR;
    res.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// An error code as a label: one of ours, or `OTHER` (codes are client-visible strings, but
/// only ours should ever appear).
pub fn code_label(code: &str) -> &'static str {
    const OURS: [&str; 7] = [
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "NOT_FOUND",
        "BAD_USER_INPUT",
        "VERSION_CONFLICT",
        "INTERNAL",
        "CONFLICT",
    ];
    OURS.iter()
        .chain(REFUSALS.iter())
        .find(|c| **c == code)
        .copied()
        .unwrap_or("OTHER")
}

fn status_label(status: u16) -> &'static str {
    match status {
        200 => "200",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        406 => "406",
        413 => "413",
        414 => "414",
        415 => "415",
        429 => "429",
        500 => "500",
        503 => "503",
        504 => "504",
        _ => "other",
    }
}

fn kind_label(kind: Option<OperationType>) -> &'static str {
    match kind {
        Some(OperationType::Query) => "query",
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        None => "none",
    }
}

/// Counts one GraphQL request: by operation, type and status; its latency; its error codes;
/// and whether it was refused or rate-limited.
pub fn record_graphql<B>(
    observe: &Observe,
    outcome: &Outcome,
    response: &Response<B>,
    started: Instant,
) {
    let op = observe.operation_label(outcome.operation.as_deref());
    let kind = kind_label(outcome.kind);
    let status = status_label(response.status().as_u16());
    counter!("plan_api_graphql_requests_total",
        "operation" => op.clone(), "type" => kind, "status" => status)
    .increment(1);
    histogram!("plan_api_graphql_request_duration_seconds", "operation" => op, "type" => kind)
        .record(started.elapsed().as_secs_f64());
    for code in &outcome.codes {
        if REFUSALS.contains(code) {
            counter!("plan_api_refused_requests_total", "code" => *code).increment(1);
            if *code == "RATE_LIMITED" {
                counter!("plan_api_rate_limited_requests_total").increment(1);
            }
        } else {
            counter!("plan_api_graphql_errors_total", "code" => *code).increment(1);
        }
    }
}

/// The database pool's use, read when `/metrics` is scraped.
pub fn record_pool(size: u32, idle: usize, max: u32) {
    gauge!("plan_api_db_pool_connections", "state" => "idle").set(idle as f64);
    gauge!("plan_api_db_pool_connections", "state" => "in_use")
        .set(size.saturating_sub(idle as u32) as f64);
    gauge!("plan_api_db_pool_max_connections").set(f64::from(max));
}

/// Request ids: a random per-process prefix and a counter (cheaper than a random UUID per
/// request, and still unique across replicas and restarts).
#[derive(Clone)]
pub struct RequestIds {
    prefix: Arc<str>,
    next: Arc<AtomicU64>,
}

impl Default for RequestIds {
    fn default() -> Self {
        let mut bytes = [0u8; 6];
        // Without randomness ids are still unique within the process.
        let _ = getrandom::fill(&mut bytes);
        Self {
            prefix: hex::encode(bytes).into(),
            next: Arc::new(AtomicU64::new(1)),
        }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n:x}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

/// The span every request runs in: its id, method and route.
pub fn request_span<B>(req: &Request<B>) -> Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.get(..64).unwrap_or(s))
        .unwrap_or("");
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str())
        .unwrap_or_else(|| req.uri().path());
    tracing::info_span!("request", request_id = %id, method = %req.method(), route = %route.get(..128).unwrap_or(route))
}

/// The access-log line, and the HTTP-level metrics, of one finished request.
pub fn log_response<B>(res: &Response<B>, latency: Duration, _span: &Span) {
    let status = res.status().as_u16();
    counter!("plan_api_http_requests_total", "status" => status_label(status)).increment(1);
    histogram!("plan_api_http_request_duration_seconds").record(latency.as_secs_f64());
    let ms = latency.as_micros() as f64 / 1000.0;
    // Fields a request does not have (a health check has no operation) are left out.
    let outcome = res.extensions().get::<Outcome>();
    let operation = outcome.and_then(|o| o.operation.as_deref());
    let kind = outcome.and_then(|o| o.kind).map(|k| kind_label(Some(k)));
    let subject = outcome.and_then(|o| o.subject.as_deref());
    let codes = outcome
        .filter(|o| !o.codes.is_empty())
        .map(|o| o.codes.join(","));
    let cost = outcome.and_then(|o| o.cost);
    macro_rules! line {
        ($level:ident) => {
            tracing::$level!(
                target: "plan_api::access",
                status,
                duration_ms = ms,
                operation,
                kind,
                subject,
                codes,
                cost,
                "request"
            )
        };
    }
    // Client mistakes (4xx) are the clients' business: info, like successes.
    if status >= 500 {
        line!(error);
    } else {
        line!(info);
    }
}
