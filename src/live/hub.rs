//! One per replica: hears of committed events, reads each once, and fans it out to this
//! replica's subscribers; it also wakes the webhook deliverer when something is owed.
//!
//! It costs nothing when nobody listens: events are read only while this replica has
//! subscribers, and the deliverer is woken only when the change queued a delivery (PostgreSQL:
//! the trigger says so in the notification) or when webhooks exist (SQLite).
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{DatabaseConnection, DbBackend};
use tokio::sync::{broadcast, Mutex, Notify};
use tokio::task::JoinHandle;

use super::event::{self, LiveEvent};
use crate::error::AppResult;

/// The PostgreSQL channel the `audit_event` trigger notifies (see the `live` migration). The
/// payload is the event id, with `:w` appended when the change queued a webhook delivery.
pub const CHANNEL: &str = "plan_api_events";
/// Events a subscriber may fall behind by before it is ended (and told so).
const BACKLOG: usize = 4096;
/// Most events read per statement.
const READ_BATCH: u64 = 500;

/// Cheap to clone: every clone is the same hub.
#[derive(Clone)]
pub struct Hub(Arc<Inner>);

struct Inner {
    events: broadcast::Sender<Arc<LiveEvent>>,
    /// SQLite: a writer committed.
    committed: Notify,
    /// SQLite: the last event id read, while there are subscribers (`None`: not following).
    last: Mutex<Option<i32>>,
    /// Something for webhooks may be due.
    webhooks: Notify,
    /// Whether any webhook is active (SQLite: commits wake the deliverer only then).
    webhooks_active: AtomicBool,
}

impl Default for Hub {
    fn default() -> Self {
        Self(Arc::new(Inner {
            events: broadcast::channel(BACKLOG).0,
            committed: Notify::new(),
            last: Mutex::new(None),
            webhooks: Notify::new(),
            webhooks_active: AtomicBool::new(true),
        }))
    }
}

impl Hub {
    /// Every event committed from now on, in the order this replica read them.
    pub async fn subscribe(
        &self,
        db: &DatabaseConnection,
    ) -> AppResult<broadcast::Receiver<Arc<LiveEvent>>> {
        if db.get_database_backend() == DbBackend::Postgres {
            return Ok(self.0.events.subscribe());
        }
        // SQLite: under the reader's lock, so that every event committed after the mark is
        // read after this receiver exists.
        let mut last = self.0.last.lock().await;
        if last.is_none() {
            *last = Some(event::last_id(db).await?);
        }
        Ok(self.0.events.subscribe())
    }

    /// Called by the writer after each commit: on SQLite, the one way events are heard of.
    /// (A stored permit, so a commit between two reads is never missed.)
    pub fn committed(&self) {
        self.0.committed.notify_one();
    }

    /// Resolves when a webhook delivery may be due.
    pub async fn webhooks_due(&self) {
        self.0.webhooks.notified().await
    }

    /// Wakes the webhook deliverer (a webhook was created or changed).
    pub fn wake_webhooks(&self) {
        self.0.webhooks_active.store(true, Ordering::Relaxed);
        self.0.webhooks.notify_one();
    }

    /// The deliverer's finding after a round: whether any webhook is active.
    pub fn set_webhooks_active(&self, active: bool) {
        self.0.webhooks_active.store(active, Ordering::Relaxed);
    }

    fn publish(&self, events: Vec<LiveEvent>) {
        metrics::counter!("plan_api_live_events_total").increment(events.len() as u64);
        for e in events {
            // A subscriber that left meanwhile is not an error.
            let _ = self.0.events.send(Arc::new(e));
        }
    }

    /// Starts the reader for this replica's database.
    pub fn spawn(&self, db: DatabaseConnection) -> JoinHandle<()> {
        let hub = self.clone();
        tokio::spawn(async move {
            loop {
                let ended = match db.get_database_backend() {
                    DbBackend::Postgres => hub.listen(&db).await,
                    _ => hub.follow(&db).await,
                };
                if let Err(e) = ended {
                    tracing::warn!(error = ?e, "live events: reader failed; restarting in 1 s");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    }

    /// SQLite: after each commit, reads the events past the last one read. Writers commit in
    /// id order there (one at a time), so "past the last id" misses nothing.
    async fn follow(&self, db: &DatabaseConnection) -> AppResult<()> {
        loop {
            self.0.committed.notified().await;
            if self.0.webhooks_active.load(Ordering::Relaxed) {
                self.0.webhooks.notify_one();
            }
            let mut last = self.0.last.lock().await;
            if self.0.events.receiver_count() == 0 {
                // Nobody to tell: stop following until someone subscribes.
                *last = None;
                continue;
            }
            let Some(mut mark) = *last else { continue };
            loop {
                let events = event::after(db, mark, READ_BATCH).await?;
                let full = events.len() as u64 == READ_BATCH;
                match events.last() {
                    Some(e) => mark = e.id,
                    None => break,
                }
                self.publish(events);
                if !full {
                    break;
                }
            }
            *last = Some(mark);
        }
    }

    /// PostgreSQL: LISTEN, then read the events whose ids the notifications carry. A change
    /// written through any replica, or by the CLI, is heard by every replica.
    async fn listen(&self, db: &DatabaseConnection) -> AppResult<()> {
        use sea_orm::sqlx::postgres::PgListener;
        let mut listener = PgListener::connect_with(db.get_postgres_connection_pool()).await?;
        listener.listen(CHANNEL).await?;
        tracing::debug!("live events: listening on {CHANNEL}");
        // Deliveries owed from before this replica listened.
        self.0.webhooks.notify_one();
        loop {
            // `try_recv` reconnects by itself after a lost connection (and says so with None);
            // events committed meanwhile are not heard here, but webhooks still get them from
            // the outbox.
            let Some(first) = listener.try_recv().await? else {
                tracing::warn!("live events: the LISTEN connection was lost; reconnecting");
                self.0.webhooks.notify_one();
                continue;
            };
            let mut ids = Vec::new();
            let mut owed = false;
            let mut take = |payload: &str| {
                let (id, flag) = payload.split_once(':').unwrap_or((payload, ""));
                owed |= flag == "w";
                if let Ok(id) = id.parse::<i32>() {
                    ids.push(id);
                }
            };
            take(first.payload());
            for _ in 1..READ_BATCH {
                match listener.next_buffered() {
                    Some(n) => take(n.payload()),
                    None => break,
                }
            }
            if owed {
                self.0.webhooks.notify_one();
            }
            if self.0.events.receiver_count() > 0 {
                self.publish(event::by_ids(db, &ids).await?);
            }
        }
    }
}
