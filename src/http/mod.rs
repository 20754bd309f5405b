//! HTTP surface: GraphiQL at `/` (with its assets under `/assets/`), GraphQL at `/graphql`
//! (POST, and GET for queries), `/healthz`, `/readyz`, `/metrics`, and CSV exports under
//! `/export/`.
//!
//! Around every route: a request id (kept from `x-request-id` or generated, echoed back), one
//! access-log line and HTTP metrics (tower-http's trace layer), and CORS for the configured
//! origins only.
mod export;
mod graphiql;
mod graphql;
mod ops;
mod ws;

use std::sync::Arc;

use axum::{
    http::{header, HeaderMap, HeaderName, Method, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use sea_orm::DatabaseConnection;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::auth::{Principal, Verifier};
use crate::config::Serving as ServingConfig;
use crate::error::{AppError, Refusal};
use crate::graphql::{AppSchema, DocumentCache};
use crate::limits::{CostLimits, RateLimiter, SchemaShape, TrustedDocuments};
use crate::observability::{self, Observe, RequestIds};
use crate::plans::catalogue::CatalogueCache;

pub use graphql::{negotiate, Media};
pub use ops::Health;

/// What the handlers share: cheap to clone (every field is a handle).
#[derive(Clone)]
pub struct HttpState {
    pub schema: AppSchema,
    pub db: DatabaseConnection,
    pub verifier: Arc<Verifier>,
    pub serving: Arc<Serving>,
    /// The schema's shape for cost estimates, read once from its SDL.
    pub shape: Arc<SchemaShape>,
    pub observe: Arc<Observe>,
    pub health: Arc<Health>,
    /// Plans' catalogues, shared with the schema (see `plans::catalogue`).
    pub catalogues: CatalogueCache,
    /// Parsed queries by their text (see `graphql::documents`).
    pub documents: DocumentCache,
    /// "Today" for exports' default dates (see `clock`).
    pub clock: crate::clock::Clock,
}

/// The request-time form of the serving settings.
pub struct Serving {
    pub cost: CostLimits,
    pub max_body_bytes: u64,
    pub request_timeout: std::time::Duration,
    pub rate: RateLimiter,
    pub trusted: Option<Arc<TrustedDocuments>>,
    /// Origins whose pages may call the API (CORS) and open subscriptions.
    pub cors_origins: Vec<String>,
}

impl Serving {
    pub fn new(cfg: &ServingConfig) -> Self {
        Self {
            cost: cfg.cost.clone(),
            max_body_bytes: cfg.max_body_bytes,
            request_timeout: cfg.request_timeout,
            rate: RateLimiter::new(cfg.rate.clone()),
            trusted: cfg.trusted.clone(),
            cors_origins: cfg.cors_origins.clone(),
        }
    }
}

pub fn router(state: HttpState, cors_origins: &[String]) -> Router {
    let x_request_id = HeaderName::from_static("x-request-id");
    let routes = Router::new()
        .route("/", get(graphiql::page))
        .route("/assets/{*file}", get(graphiql::asset))
        .route("/graphql", get(graphql::graphql).post(graphql::graphql))
        .route("/graphql/ws", get(ws::upgrade))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/export/actions.csv", get(export::actions_csv))
        .route("/export/rag-history.csv", get(export::history_csv))
        .with_state(state);
    // Layers run outside-in from the last added: the id is set first, so the trace span and
    // every handler see it, and it is copied onto the response last.
    let routes = routes.layer(
        TraceLayer::new_for_http()
            .make_span_with(observability::request_span)
            .on_request(())
            .on_response(observability::log_response)
            .on_failure(()),
    );
    let routes = match cors(cors_origins) {
        Some(cors) => routes
            .layer(cors)
            .layer(axum::middleware::map_response(only_for_allowed_origins)),
        None => routes,
    };
    routes
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(SetRequestIdLayer::new(x_request_id, RequestIds::default()))
}

/// CORS for the allow-listed origins: preflights get the methods and the headers a GraphQL
/// client sends; other origins get no CORS headers at all. No list, no layer.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let origins: Vec<_> = origins.iter().filter_map(|o| o.parse().ok()).collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([
                HeaderName::from_static("x-request-id"),
                header::RETRY_AFTER,
                HeaderName::from_static("ratelimit-limit"),
                HeaderName::from_static("ratelimit-remaining"),
                HeaderName::from_static("ratelimit-reset"),
            ])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// tower-http answers every preflight with the allowed methods and headers, and leaves out
/// only `Access-Control-Allow-Origin` for origins not on the list; this drops the rest too, so
/// other origins learn nothing of the CORS policy.
async fn only_for_allowed_origins(mut res: Response) -> Response {
    let h = res.headers_mut();
    if !h.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        for name in [
            header::ACCESS_CONTROL_ALLOW_METHODS,
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            header::ACCESS_CONTROL_MAX_AGE,
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        ] {
            h.remove(name);
        }
    }
    res
}

/// Who a request speaks for: `None` without an `Authorization` header, an error for a bad one.
fn principal(state: &HttpState, headers: &HeaderMap) -> Result<Option<Principal>, AppError> {
    bearer_principal(&state.verifier, headers)
}

fn bearer_principal(
    verifier: &Verifier,
    headers: &HeaderMap,
) -> Result<Option<Principal>, AppError> {
    bearer(headers)?.map(|t| verifier.verify(t)).transpose()
}

/// The bearer token of a request, if it sent an `Authorization` header.
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| AppError::Unauthenticated("the Authorization header is not text".into()))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err(AppError::Unauthenticated(
            "the Authorization header must be `Bearer <token>`".into(),
        )),
    }
}

/// The one mapping from errors to HTTP statuses.
fn status_of(err: &AppError) -> StatusCode {
    match err {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::BadUserInput(_) => StatusCode::BAD_REQUEST,
        AppError::VersionConflict(_) | AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        AppError::Refused(r) => match r {
            Refusal::QueryTooComplex { .. }
            | Refusal::TooManyNodes { .. }
            | Refusal::DepthLimit { .. }
            | Refusal::AliasLimit { .. }
            | Refusal::RootFieldLimit { .. }
            | Refusal::BadRequest(_)
            | Refusal::PersistedQueryNotFound
            | Refusal::DocumentNotAllowed
            | Refusal::TooManySubscriptions { .. } => StatusCode::BAD_REQUEST,
            Refusal::EventsMissed { .. } => StatusCode::CONFLICT,
            Refusal::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Refusal::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            Refusal::MutationOverGet => StatusCode::METHOD_NOT_ALLOWED,
            Refusal::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Refusal::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        },
    }
}

/// An error as an HTTP response: the status its code implies and a GraphQL-shaped JSON body
/// (`errors[0].extensions.code`), so clients handle every endpoint's errors alike.
fn error_response(err: &AppError) -> Response {
    let status = status_of(err);
    let mut ext = serde_json::Map::new();
    ext.insert("code".into(), err.code().into());
    if let AppError::Refused(r) = err {
        for (k, v) in r.details() {
            ext.insert(k.into(), v.into());
        }
    }
    let body = serde_json::json!({
        "errors": [{ "message": err.client_message(), "extensions": ext }]
    });
    let mut res = (status, Json(body)).into_response();
    match err {
        AppError::Unauthenticated(_) => {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        AppError::Refused(Refusal::RateLimited { retry_after_secs }) => {
            res.headers_mut()
                .insert(header::RETRY_AFTER, (*retry_after_secs).into());
        }
        _ => {}
    }
    res
}
