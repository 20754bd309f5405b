//! For operators and orchestrators: `/healthz` (the process is alive), `/readyz` (send it
//! traffic: the database answers, every migration is applied, and it is not shutting down) and
//! `/metrics` (Prometheus text format). None needs a token; restrict `/metrics` at the proxy if
//! operation names are sensitive.
use std::sync::atomic::{AtomicBool, Ordering};

use axum::{
    extract::State as AxumState,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use migration::{Migrator, MigratorTrait};
use sea_orm::DbBackend;

use super::HttpState;
use crate::observability;

/// Whether the server still wants traffic.
#[derive(Debug, Default)]
pub struct Health {
    shutting_down: AtomicBool,
}

impl Health {
    pub fn start_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    pub fn shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }
}

fn text(status: StatusCode, body: &'static str) -> Response {
    let mut res = (status, body).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Liveness: the process answers. It does not touch the database, so a database outage does
/// not get every replica restarted; `/readyz` covers that.
pub(super) async fn healthz() -> Response {
    text(StatusCode::OK, "ok")
}

/// Readiness: the database answers, no migration is pending, and no shutdown has begun.
pub(super) async fn readyz(AxumState(state): AxumState<HttpState>) -> Response {
    if state.health.shutting_down() {
        return text(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    if let Err(e) = state.db.ping().await {
        tracing::error!(error = %e, "readiness: database unreachable");
        return text(StatusCode::SERVICE_UNAVAILABLE, "database unreachable");
    }
    match Migrator::get_pending_migrations_read_only(&state.db).await {
        Ok(pending) if pending.is_empty() => text(StatusCode::OK, "ready"),
        Ok(pending) => {
            tracing::warn!(pending = pending.len(), "readiness: migrations pending");
            text(StatusCode::SERVICE_UNAVAILABLE, "migrations pending")
        }
        Err(e) => {
            tracing::error!(error = %e, "readiness: cannot read the applied migrations");
            text(StatusCode::SERVICE_UNAVAILABLE, "cannot read migrations")
        }
    }
}

/// Prometheus text format; pool gauges are read now, the rest as recorded.
pub(super) async fn metrics(AxumState(state): AxumState<HttpState>) -> Response {
    match state.db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = state.db.get_postgres_connection_pool();
            observability::record_pool(
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            );
        }
        DbBackend::Sqlite => {
            let pool = state.db.get_sqlite_connection_pool();
            observability::record_pool(
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            );
        }
        _ => {}
    }
    metrics::gauge!("plan_api_rate_limit_buckets").set(state.door.rate().tracked() as f64);
    let mut res = state.observe.metrics.render().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
