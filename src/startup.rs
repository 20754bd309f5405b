//! Building and running the server: one state, one router, and a shutdown in three steps.
//!
//! On SIGTERM or SIGINT (or when the future given to `run_until` resolves):
//! 1. `/readyz` fails at once, while the server keeps accepting for `shutdown_delay`, so load
//!    balancers that poll it stop sending traffic before connections are refused;
//! 2. the listener closes and idle connections are closed; in-flight requests finish;
//! 3. after `shutdown_grace`, whatever is still running is dropped and the process exits 0.
//!    A dropped write rolls back (every change is one transaction) and, with an idempotency
//!    key, is safe to send again.
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::admission::{Door, RateLimiter, RatePolicy};
use crate::audit::Writer;
use crate::auth::Verifier;
use crate::config::{Limits, Serving as ServingConfig};
use crate::graphql::{build_schema, LiveParts};
use crate::http::{router, Health, HttpState};
use crate::live::webhooks::{Deliverer, TargetGuard, WebhookSettings};
use crate::live::Hub;
use crate::observability::Observe;
use crate::plans::catalogue::CatalogueCache;

/// A bound, ready-to-run server.
pub struct App {
    listener: TcpListener,
    router: axum::Router,
    state: HttpState,
    shutdown_delay: Duration,
    shutdown_grace: Duration,
    hub: Hub,
    writer: Writer,
    webhooks: WebhookSettings,
    webhook_targets: Arc<TargetGuard>,
}

impl App {
    /// Binds `addr` (port 0 picks a free port, as tests do) over an already prepared database,
    /// with the default serving settings but no rate limits: for tests and benchmarks that
    /// embed the server. `plan-api` itself uses `with_serving`.
    pub async fn build(
        db: DatabaseConnection,
        addr: SocketAddr,
        limits: Limits,
        verifier: Arc<Verifier>,
    ) -> std::io::Result<Self> {
        let mut serving = ServingConfig::defaults(limits);
        serving.rate = RatePolicy::unlimited();
        Self::with_serving(db, addr, limits, verifier, serving).await
    }

    /// Binds `addr` with the given serving settings.
    pub async fn with_serving(
        db: DatabaseConnection,
        addr: SocketAddr,
        limits: Limits,
        verifier: Arc<Verifier>,
        serving: ServingConfig,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let hub = Hub::default();
        let writer = Writer::new(db.clone(), hub.clone(), serving.clock);
        let catalogues = CatalogueCache::default();
        let webhook_targets = Arc::new(TargetGuard::new(
            &serving.webhooks.allowed_hosts,
            listener.local_addr().ok(),
        ));
        let schema = build_schema(
            db.clone(),
            limits,
            LiveParts {
                writer: writer.clone(),
                hub: hub.clone(),
                catalogues: catalogues.clone(),
                webhook_targets: webhook_targets.clone(),
            },
        );
        let door = Door::new(
            schema,
            verifier,
            RateLimiter::new(serving.rate.clone()),
            serving.trusted.clone(),
            serving.door.clone(),
        )
        .await;
        let state = HttpState {
            door: Arc::new(door),
            db,
            cors_origins: Arc::new(serving.cors_origins.clone()),
            sockets: Arc::new(crate::http::Sockets::new(serving.sockets.clone())),
            catalogues,
            observe: Arc::new(Observe::default()),
            health: Arc::new(Health::default()),
            clock: serving.clock,
        };
        let router = router(state.clone(), &serving.cors_origins);
        Ok(Self {
            listener,
            router,
            state,
            shutdown_delay: serving.shutdown_delay,
            shutdown_grace: serving.shutdown_grace,
            hub,
            writer,
            webhooks: serving.webhooks.clone(),
            webhook_targets,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves, then stops as the module says. Returns when every
    /// connection has closed, or when the grace period is over.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
        let health = self.state.health.clone();
        let delay = self.shutdown_delay;
        let grace = self.shutdown_grace;
        let begin_shutdown = async move {
            shutdown.await;
            health.start_shutdown();
            let _ = stopping_tx.send(true);
            tracing::info!(
                delay_ms = delay.as_millis() as u64,
                grace_ms = grace.as_millis() as u64,
                "shutting down: /readyz fails; in-flight requests may finish"
            );
            tokio::time::sleep(delay).await;
        };
        let deadline = async move {
            let _ = stopping_rx.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(delay + grace).await;
        };
        let background = self.spawn_upkeep();
        let live = self.spawn_live();
        // No Nagle delay: a subscription's event or a response goes out at once instead of
        // waiting for the client's ACK of the previous small write.
        let listener = self.listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let serve = axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(begin_shutdown);
        let result = tokio::select! {
            r = serve.into_future() => r,
            _ = deadline => {
                tracing::warn!("shutdown grace period over: exiting with requests still running");
                Ok(())
            }
        };
        background.abort();
        for task in live {
            task.abort();
        }
        result
    }

    /// This replica's event reader, and its webhook deliverer (unless turned off).
    fn spawn_live(&self) -> Vec<tokio::task::JoinHandle<()>> {
        let mut tasks = vec![self.hub.spawn(self.state.db.clone())];
        if self.webhooks.deliver {
            match Deliverer::new(
                self.writer.clone(),
                self.hub.clone(),
                self.state.catalogues.clone(),
                self.webhook_targets.clone(),
                self.webhooks.clone(),
            ) {
                Ok(d) => tasks.push(d.spawn()),
                Err(e) => tracing::error!(error = ?e, "webhooks: cannot start the deliverer"),
            }
        }
        tasks
    }

    /// Periodic upkeep: forgetting idle rate-limit buckets, folding recorded metrics.
    fn spawn_upkeep(&self) -> tokio::task::JoinHandle<()> {
        let state = self.state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            let mut n: u64 = 0;
            loop {
                tick.tick().await;
                state.observe.metrics.run_upkeep();
                n += 1;
                if n % (crate::admission::rate::SWEEP_EVERY.as_secs() / 5).max(1) == 0 {
                    state.door.rate().sweep();
                }
            }
        })
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
    tracing::info!("shutdown signal received");
}
