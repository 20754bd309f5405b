//! The audit trail, and the one way the API writes: a `Change`.
//!
//! Every mutation begins a `Change`, does its work on the change's transaction, records one
//! audit event per object it changed, and commits. Because the audit rows are written in the
//! same transaction as the change, there is no change without its event and no event without
//! its change. A `Change` also serialises writers and answers retries (idempotency keys).
mod idempotency;
mod log;

pub use log::{count, page, AuditFilter};

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::audit_event;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait, Set,
    TransactionTrait,
};
use serde::Serialize;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::auth::{Operation, Principal};
use crate::clock::Clock;
use crate::error::AppResult;
use crate::live::Hub;

/// Writes to the database. Cheap to clone; one per server.
#[derive(Clone)]
pub struct Writer {
    db: DatabaseConnection,
    /// Told after every commit (live updates on SQLite; see `live`).
    hub: Hub,
    /// SQLite allows one writer at a time; queueing our own writers here (in order) instead of
    /// letting them race for the file lock avoids busy-waiting. PostgreSQL uses row locks.
    sqlite_writes: Arc<Mutex<()>>,
    /// Stamps every change (see `clock`).
    clock: Clock,
}

impl Writer {
    pub fn new(db: DatabaseConnection, hub: Hub, clock: Clock) -> Self {
        Self {
            db,
            hub,
            sqlite_writes: Arc::new(Mutex::new(())),
            clock,
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The server's clock.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Queues behind the server's other SQLite writers, for writes that run their own
    /// transaction (imports). A no-op on PostgreSQL.
    pub async fn queue(&self) -> Option<OwnedMutexGuard<()>> {
        match self.db.get_database_backend() {
            DbBackend::Sqlite => Some(self.sqlite_writes.clone().lock_owned().await),
            _ => None,
        }
    }

    /// Starts a change by `who`. With an idempotency key that was used before, returns the
    /// first request's result instead (or BAD_USER_INPUT when the input differs).
    pub async fn begin(
        &self,
        who: &Principal,
        op: Operation,
        key: Option<&str>,
        input: &impl Serialize,
    ) -> AppResult<Begun> {
        let key = idempotency::check_key(who, key)?;
        let request = serde_json::to_string(&(op.name(), input))?;
        let backend = self.db.get_database_backend();
        let guard = self.queue().await;
        let txn = self.db.begin().await?;
        if backend == DbBackend::Sqlite {
            // Take SQLite's write lock now, not at the first write: a transaction that read
            // first and then upgrades can deadlock with another process (e.g. `plan-api import`).
            txn.execute_unprepared("UPDATE plan SET id = id WHERE 1 = 0")
                .await?;
        }
        if let Some(key) = &key {
            if let Some(result) = idempotency::replay(&txn, who, key, &request).await? {
                return Ok(Begun::Replay(result));
            }
        }
        Ok(Begun::Fresh(Change {
            txn,
            _guard: guard,
            hub: self.hub.clone(),
            actor: who.clone(),
            op,
            key,
            request,
            now: self.clock.now(),
        }))
    }
}

/// A change that has begun, or the stored result of an earlier identical request.
// Short-lived and moved once; boxing the change would only add an allocation per write.
#[allow(clippy::large_enum_variant)]
pub enum Begun {
    Fresh(Change),
    Replay(serde_json::Value),
}

/// One transaction of one mutation; dropped without `commit`, it rolls back.
pub struct Change {
    txn: DatabaseTransaction,
    _guard: Option<OwnedMutexGuard<()>>,
    hub: Hub,
    actor: Principal,
    op: Operation,
    key: Option<String>,
    request: String,
    now: DateTime<Utc>,
}

/// One audit event, as the trail stores it.
pub struct Event<'a> {
    pub at: DateTime<Utc>,
    pub actor_sub: &'a str,
    pub actor_role: &'a str,
    pub actor_name: Option<&'a str>,
    pub operation: &'a str,
    pub subject: Subject,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub idempotency_key: Option<&'a str>,
}

/// Appends an event; the caller's transaction makes it part of the change it describes.
pub async fn append<C: ConnectionTrait>(db: &C, e: Event<'_>) -> AppResult<()> {
    let event = audit_event::ActiveModel {
        plan_id: Set(e.subject.plan_id),
        occurred_at: Set(e.at),
        actor_sub: Set(e.actor_sub.to_string()),
        actor_role: Set(e.actor_role.to_string()),
        actor_name: Set(e.actor_name.map(str::to_string)),
        operation: Set(e.operation.to_string()),
        object_type: Set(e.subject.kind.to_string()),
        object_id: Set(e.subject.id),
        before: Set(e.before.map(|v| v.to_string())),
        after: Set(e.after.map(|v| v.to_string())),
        idempotency_key: Set(e.idempotency_key.map(str::to_string)),
        ..Default::default()
    };
    // Nothing of the row is needed back.
    audit_event::Entity::insert(event)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The kind every change of an action is audited under (and what live updates announce; the
/// `live` migration's trigger names it too).
pub const ACTION_KIND: &str = "Action";

/// An audited object: its kind, id and plan.
pub struct Subject {
    pub kind: &'static str,
    pub id: i32,
    pub plan_id: Option<i32>,
}

impl Change {
    pub fn txn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    pub fn actor(&self) -> &Principal {
        &self.actor
    }

    /// The time every row of this change is stamped with.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The date in England at `now`: the default date of what this change records.
    pub fn today(&self) -> chrono::NaiveDate {
        crate::clock::england_date(self.now)
    }

    /// Appends the audit event for one changed object.
    pub async fn record(
        &self,
        subject: Subject,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> AppResult<()> {
        append(
            &self.txn,
            Event {
                at: self.now,
                actor_sub: &self.actor.sub,
                actor_role: self.actor.role.as_str(),
                actor_name: self.actor.name.as_deref(),
                operation: self.op.name(),
                subject,
                before,
                after,
                idempotency_key: self.key.as_deref(),
            },
        )
        .await
    }

    /// Stores the result under the idempotency key (if any) and commits.
    pub async fn commit(self, result: &impl Serialize) -> AppResult<()> {
        if let Some(key) = &self.key {
            idempotency::remember(
                &self.txn,
                &self.actor,
                key,
                self.op,
                &self.request,
                &serde_json::to_value(result)?,
                self.now,
            )
            .await?;
        }
        self.txn.commit().await?;
        self.hub.committed();
        Ok(())
    }
}
