//! Building and running the server: one state, one router, graceful shutdown.
use std::net::SocketAddr;
use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::auth::Verifier;
use crate::config::Limits;
use crate::graphql::{build_schema, DocumentCache};
use crate::http::{router, HttpState};
use crate::plans::catalogue::CatalogueCache;

/// A bound, ready-to-run server.
pub struct App {
    listener: TcpListener,
    router: axum::Router,
}

impl App {
    /// Binds `addr` (port 0 picks a free port, as tests do) over an already prepared database.
    pub async fn build(
        db: DatabaseConnection,
        addr: SocketAddr,
        limits: Limits,
        verifier: Arc<Verifier>,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let schema = build_schema(db.clone(), limits);
        let router = router(HttpState {
            schema,
            db,
            verifier,
            catalogues: CatalogueCache::default(),
            documents: DocumentCache::default(),
        });
        Ok(Self { listener, router })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves, letting in-flight requests finish.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
