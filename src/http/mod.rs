//! HTTP surface: GraphiQL at `/`, GraphQL at `/graphql` (POST, and GET for queries), `/healthz`,
//! and CSV exports under `/export/`.
mod export;

use std::sync::Arc;

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::{
    extract::State as AxumState,
    http::{header, HeaderMap, StatusCode},
    response::{Html, IntoResponse, Response},
    routing::get,
    Json, Router,
};
use sea_orm::DatabaseConnection;

use crate::auth::{Principal, Verifier};
use crate::error::AppError;
use crate::graphql::{request_catalogues, AppSchema, DocumentCache};
use crate::plans::catalogue::CatalogueCache;

#[derive(Clone)]
pub struct HttpState {
    pub schema: AppSchema,
    pub db: DatabaseConnection,
    pub verifier: Arc<Verifier>,
    /// Plans' catalogues, shared with the schema (see `plans::catalogue`).
    pub catalogues: CatalogueCache,
    /// Parsed queries by their text (see `graphql::documents`).
    pub documents: DocumentCache,
}

pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/", get(graphiql))
        .route("/graphql", get(graphql).post(graphql))
        .route("/healthz", get(healthz))
        .route("/export/actions.csv", get(export::actions_csv))
        .route("/export/rag-history.csv", get(export::history_csv))
        .with_state(state)
}

async fn graphiql() -> impl IntoResponse {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
}

/// Who a request speaks for: `None` without an `Authorization` header, an error for a bad one.
fn principal(state: &HttpState, headers: &HeaderMap) -> Result<Option<Principal>, AppError> {
    bearer(headers)?
        .map(|t| state.verifier.verify(t))
        .transpose()
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

/// An error as an HTTP response: the status its code implies and a GraphQL-shaped JSON body
/// (`errors[0].extensions.code`), so clients handle every endpoint's errors alike.
fn error_response(err: &AppError) -> Response {
    let status = match err {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::BadUserInput(_) => StatusCode::BAD_REQUEST,
        AppError::VersionConflict(_) => StatusCode::CONFLICT,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let body = serde_json::json!({
        "errors": [{ "message": err.client_message(), "extensions": { "code": err.code() } }]
    });
    let mut res = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    res
}

async fn graphql(
    AxumState(state): AxumState<HttpState>,
    headers: HeaderMap,
    req: GraphQLRequest,
) -> Response {
    let mut req = req
        .into_inner()
        .data(request_catalogues(&state.db, &state.catalogues));
    // No header: only introspection answers (every root field asks for a principal).
    match principal(&state, &headers) {
        Ok(Some(principal)) => {
            // Only authenticated clients' documents are kept.
            state.documents.prepare(&mut req);
            req = req.data(principal)
        }
        Ok(None) => {}
        // A bad token fails the whole request with 401, before execution.
        Err(e) => return error_response(&e),
    }
    let mut res = state.schema.execute(req).await;
    // Parse and validation errors come from async-graphql without a code; they are the
    // client's mistakes, so they get BAD_USER_INPUT like every other input error.
    for err in &mut res.errors {
        let ext = err.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", "BAD_USER_INPUT");
        }
    }
    GraphQLResponse::from(res).into_response()
}

/// Liveness and database reachability, for load balancers; no authentication.
async fn healthz(AxumState(state): AxumState<HttpState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}
