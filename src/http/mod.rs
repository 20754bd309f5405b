//! HTTP surface: GraphiQL at `/`, GraphQL at `/graphql` (POST, and GET for queries), `/healthz`.
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::{
    extract::State as AxumState,
    http::StatusCode,
    response::{Html, IntoResponse},
    routing::get,
    Router,
};
use sea_orm::DatabaseConnection;

use crate::graphql::{request_loaders, AppSchema};

#[derive(Clone)]
pub struct HttpState {
    pub schema: AppSchema,
    pub db: DatabaseConnection,
}

pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/", get(graphiql))
        .route("/graphql", get(graphql).post(graphql))
        .route("/healthz", get(healthz))
        .with_state(state)
}

async fn graphiql() -> impl IntoResponse {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
}

async fn graphql(AxumState(state): AxumState<HttpState>, req: GraphQLRequest) -> GraphQLResponse {
    let req = req.into_inner().data(request_loaders(&state.db));
    let mut res = state.schema.execute(req).await;
    // Parse and validation errors come from async-graphql without a code; they are the
    // client's mistakes, so they get BAD_USER_INPUT like every other input error.
    for err in &mut res.errors {
        let ext = err.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", "BAD_USER_INPUT");
        }
    }
    res.into()
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
