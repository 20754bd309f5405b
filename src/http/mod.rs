//! HTTP surface: GraphiQL at `/` (with its assets under `/assets/`), GraphQL at `/graphql`
//! (POST, and GET for queries) and `/graphql/ws` (graphql-transport-ws), `/healthz`,
//! `/readyz`, `/metrics`, and CSV exports under `/export/`. Every GraphQL operation and every
//! export is admitted by the door (`admission::Door`); this layer only says how its answers
//! and refusals travel.
//!
//! Around every route: a request id (kept from `x-request-id` or generated, echoed back), one
//! access-log line and HTTP metrics (tower-http's trace layer), a caught panic answered 500
//! `INTERNAL`, and CORS for the configured origins only.
mod export;
mod graphiql;
mod graphql;
mod ops;
mod ws;

use std::sync::Arc;

use axum::{
    http::{header, HeaderName, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use sea_orm::DatabaseConnection;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::admission::Door;
use crate::error::{AppError, Refusal};
use crate::observability::{self, Observe, RequestIds};
use crate::plans::catalogue::{CatalogueCache, Catalogues};

pub use graphql::{negotiate, Media};
pub use ops::Health;
pub use ws::{SocketSettings, Sockets};

/// What the handlers share: cheap to clone (every field is a handle).
#[derive(Clone)]
pub struct HttpState {
    /// The one admission path, and the schema behind it.
    pub door: Arc<Door>,
    pub db: DatabaseConnection,
    /// Origins whose pages may call the API (CORS) and open subscriptions.
    pub cors_origins: Arc<Vec<String>>,
    pub sockets: Arc<ws::Sockets>,
    pub observe: Arc<Observe>,
    pub health: Arc<Health>,
    /// Plans' catalogues, shared with the schema (see `plans::catalogue`).
    pub catalogues: CatalogueCache,
    /// "Today" for exports' default dates (see `clock`).
    pub clock: crate::clock::Clock,
}

impl HttpState {
    /// A request's view of the plans' catalogues.
    fn catalogues(&self) -> Catalogues {
        Catalogues::new(self.db.clone(), self.catalogues.clone())
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
    let routes = catching_panics(routes);
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

/// A panic that slips through anyway answers 500 INTERNAL, is logged and counted, and the
/// server goes on serving.
fn catching_panics(routes: Router) -> Router {
    routes.layer(tower_http::catch_panic::CatchPanicLayer::custom(
        observability::panic_response,
    ))
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

/// An error as an HTTP response: the status its code implies (`AppError::http_status`) and
/// a GraphQL-shaped JSON body (`errors[0].extensions.code`, built by `graphql::server_error`),
/// so clients handle every endpoint's errors alike. `content_type` is the body's type.
fn error_response(err: &AppError, content_type: HeaderValue) -> Response {
    let status =
        StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::json!({ "errors": [crate::graphql::server_error(err)] });
    let mut res = (status, body.to_string()).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, content_type);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    match err {
        AppError::Unauthenticated(_) => {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        AppError::Refused(Refusal::RateLimited { retry_after_secs }) => {
            h.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        AppError::Refused(Refusal::MutationOverGet) => {
            h.insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        _ => {}
    }
    res
}

/// `application/json` for endpoints that are not `/graphql`.
fn json_type() -> HeaderValue {
    HeaderValue::from_static("application/json")
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn panics() -> &'static str {
        panic!("a bug a request reached")
    }

    #[tokio::test]
    async fn a_handler_that_panics_answers_internal_and_the_server_goes_on() {
        let app = catching_panics(
            Router::new()
                .route("/panics", get(panics))
                .route("/fine", get(|| async { "fine" })),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = reqwest::Client::new();
        let res = client
            .get(format!("http://{addr}/panics"))
            .send()
            .await
            .expect("an answer, not a reset");
        assert_eq!(res.status(), 500);
        let body: serde_json::Value =
            serde_json::from_str(&res.text().await.expect("body")).expect("a GraphQL-shaped body");
        assert_eq!(body["errors"][0]["extensions"]["code"], "INTERNAL");
        assert_eq!(body["errors"][0]["message"], "internal error");
        let res = client
            .get(format!("http://{addr}/fine"))
            .send()
            .await
            .expect("still serving");
        assert_eq!(res.text().await.expect("body"), "fine");
    }
}
