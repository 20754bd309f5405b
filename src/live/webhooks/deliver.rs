//! The delivery worker: posts the events the outbox says each webhook is owed.
//!
//! - **At least once.** An outbox row is deleted only after the receiver answered 2xx. A
//!   crash before that leaves the row, and the event is posted again, with the same event id,
//!   by whichever replica gets there first.
//! - **One worker per webhook at a time, in order.** On PostgreSQL a worker takes the
//!   webhook's row `FOR UPDATE SKIP LOCKED` for the length of its turn, so replicas share the
//!   webhooks without waiting on each other; on SQLite there is one server and one worker.
//!   Within a turn events go out oldest first, and a failure stops the turn: later events of
//!   that webhook wait, so every action's events arrive in order.
//! - **Retries** back off exponentially with jitter, from `retry_base` up to `retry_max`, and
//!   never give up while the webhook is active. Every attempt is recorded.
//! - **Idle when there is nothing to do**: it sleeps until an event is announced (`Hub`) or
//!   the earliest retry is due.
//! - **Paused webhooks queue.** Their events wait in the outbox until they are resumed, up to
//!   `retention`; older ones are dropped and counted in `webhook.dropped`.
//! - **One webhook's trouble is its own.** A filter that no longer resolves (a lead alias a
//!   re-import removed, say) fails that webhook's turn like a refused delivery, with the
//!   reason in its attempts; the other webhooks' turns go on. A receiver's answer is read up
//!   to `MAX_ANSWER_BYTES` and the rest dropped.
//! - **Nothing out of scope.** The change's `links` name only the actions the webhook's scope
//!   can see.
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use entity::{rag_update, webhook, webhook_attempt, webhook_outbox};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use tokio::task::JoinHandle;

use super::registry::{events_of, filter_of, scope_of};
use super::sign::{self, signature};
use super::target::TargetGuard;
use super::WebhookSettings;
use crate::actions::{self, resolve_filter, ActionOrder, ActionRow};
use crate::audit::Writer;
use crate::error::{AppError, AppResult};
use crate::live::event::{self, LiveEvent};
use crate::live::Hub;
use crate::objects::{self, Kind};
use crate::plans::catalogue::{CatalogueCache, Catalogues};

/// Events posted per webhook per turn (then the next webhook gets a turn).
const TURN: u64 = 50;
/// Longest the worker sleeps without being woken (a safety net for missed wake-ups).
const MAX_IDLE: Duration = Duration::from_secs(30);
/// What is read of a receiver's answer (enough for a connection to be reused; it says
/// nothing the status does not).
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// How often queued events past the retention window are looked for.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

pub struct Deliverer {
    db: DatabaseConnection,
    /// SQLite: its writes take their turn with the API's (see `audit::Writer::queue`); under
    /// a steady stream of changes, waiting on SQLite's busy handler instead starved them.
    writer: Writer,
    hub: Hub,
    catalogues: CatalogueCache,
    client: reqwest::Client,
    settings: WebhookSettings,
    /// When the outbox was last pruned of events past the retention window.
    pruned: std::sync::Mutex<Option<Instant>>,
}

/// How one attempt went.
struct Outcome {
    status: Option<u16>,
    error: Option<String>,
    took: Duration,
}

impl Outcome {
    fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

impl Deliverer {
    pub fn new(
        writer: Writer,
        hub: Hub,
        catalogues: CatalogueCache,
        guard: Arc<TargetGuard>,
        settings: WebhookSettings,
    ) -> AppResult<Self> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            // A redirect could lead anywhere, past the address checks.
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(guard.resolver())
            .user_agent(concat!("plan-api-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(AppError::internal)?;
        Ok(Self {
            db: writer.db().clone(),
            writer,
            hub,
            catalogues,
            client,
            settings,
            pruned: std::sync::Mutex::new(None),
        })
    }

    pub fn spawn(self) -> JoinHandle<()> {
        tokio::spawn(async move { self.run().await })
    }

    async fn run(self) {
        loop {
            let wait = match self.round().await {
                Ok(wait) => wait,
                Err(e) => {
                    tracing::warn!(error = ?e, "webhooks: delivery round failed");
                    Duration::from_secs(1)
                }
            };
            tokio::select! {
                _ = self.hub.webhooks_due() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Gives every due webhook a turn; returns how long until the next retry is due.
    async fn round(&self) -> AppResult<Duration> {
        self.prune().await?;
        while self.turn().await? {}
        if self.db.get_database_backend() != DbBackend::Postgres {
            // SQLite: commits wake this worker only while a webhook is active (the hub asks
            // this). PostgreSQL's notifications say themselves when a delivery was queued.
            let active = webhook::Entity::find()
                .filter(webhook::Column::Active.eq(true))
                .one(&self.db)
                .await?
                .is_some();
            self.hub.set_webhooks_active(active);
            if !active {
                return Ok(MAX_IDLE);
            }
        }
        let next: Option<DateTime<Utc>> = webhook::Entity::find()
            .select_only()
            .column_as(webhook::Column::NextAttemptAt.min(), "next")
            .filter(webhook::Column::Active.eq(true))
            .filter(owed())
            .into_tuple::<Option<DateTime<Utc>>>()
            .one(&self.db)
            .await?
            .flatten();
        Ok(match next {
            Some(at) => (at - Utc::now()).to_std().unwrap_or_default().min(MAX_IDLE),
            None => MAX_IDLE,
        })
    }

    /// Drops queued events older than the retention window (a webhook paused for longer, or
    /// failing for longer), counting them on their webhook. Each replica may do it; a row is
    /// deleted once, so it is counted once.
    async fn prune(&self) -> AppResult<()> {
        {
            let Ok(mut last) = self.pruned.lock() else {
                return Ok(());
            };
            if last.is_some_and(|t| t.elapsed() < PRUNE_EVERY) {
                return Ok(());
            }
            *last = Some(Instant::now());
        }
        let cutoff =
            Utc::now() - chrono::Duration::from_std(self.settings.retention).unwrap_or_default();
        let stale: Vec<i32> = webhook_outbox::Entity::find()
            .select_only()
            .column(webhook_outbox::Column::WebhookId)
            .filter(webhook_outbox::Column::CreatedAt.lt(cutoff))
            .distinct()
            .into_tuple()
            .all(&self.db)
            .await?;
        for id in stale {
            let _turn = self.writer.queue().await;
            let txn = self.db.begin().await?;
            let gone = webhook_outbox::Entity::delete_many()
                .filter(webhook_outbox::Column::WebhookId.eq(id))
                .filter(webhook_outbox::Column::CreatedAt.lt(cutoff))
                .exec(&txn)
                .await?
                .rows_affected;
            let gone = i32::try_from(gone).unwrap_or(i32::MAX);
            webhook::Entity::update_many()
                .col_expr(
                    webhook::Column::Dropped,
                    sea_orm::sea_query::ExprTrait::add(Expr::col(webhook::Column::Dropped), gone),
                )
                .filter(webhook::Column::Id.eq(id))
                .exec(&txn)
                .await?;
            txn.commit().await?;
            metrics::counter!("plan_api_webhook_events_dropped_total").increment(gone as u64);
            tracing::warn!(
                webhook = id,
                dropped = gone,
                "webhook events past the retention window dropped"
            );
        }
        Ok(())
    }

    /// One webhook's turn, if one is due; false when none is.
    async fn turn(&self) -> AppResult<bool> {
        let due = webhook::Entity::find()
            .filter(webhook::Column::Active.eq(true))
            .filter(webhook::Column::NextAttemptAt.lte(Utc::now()))
            .filter(owed())
            .order_by_asc(webhook::Column::NextAttemptAt)
            .limit(1);
        if self.db.get_database_backend() == DbBackend::Postgres {
            // The lock is the turn: held until commit, skipped by the other replicas.
            let txn = self.db.begin().await?;
            let Some(w) = due
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                .one(&txn)
                .await?
            else {
                return Ok(false);
            };
            self.deliver(&txn, w).await?;
            txn.commit().await?;
        } else {
            // One process and this one worker: no lock needed, and none held while posting
            // (SQLite's lock would stop every writer for as long as a receiver takes).
            let Some(w) = due.one(&self.db).await? else {
                return Ok(false);
            };
            self.deliver(&self.db, w).await?;
        }
        Ok(true)
    }

    /// Posts the webhook's owed events in order until one fails, then records the turn in
    /// one go: the attempts, the outbox rows done with, and the retry state. Reads are one
    /// statement each for the whole turn, so a backlog drains quickly.
    async fn deliver<C: ConnectionTrait>(&self, db: &C, w: webhook::Model) -> AppResult<()> {
        let owed = webhook_outbox::Entity::find()
            .filter(webhook_outbox::Column::WebhookId.eq(w.id))
            .order_by_asc(webhook_outbox::Column::EventId)
            .limit(TURN)
            .all(db)
            .await?;
        // The plan's catalogue (cached) has its slug too: no statement of its own for it.
        let cat = Catalogues::new(self.db.clone(), self.catalogues.clone())
            .of(w.plan_id)
            .await?;
        let slug = cat.plan.slug.as_str();
        let scope = scope_of(&w, slug);
        let wants = events_of(&w);
        let events =
            event::by_ids(db, &owed.iter().map(|o| o.event_id).collect::<Vec<_>>()).await?;
        let action_ids: Vec<i32> = events.iter().map(|e| e.action_id).collect();
        // The actions the webhook may see now (scope and filter), in one statement. A filter
        // that no longer resolves fails this webhook's turn, not the round.
        let resolved = filter_of(&w).and_then(|f| resolve_filter(&cat, &f, &scope));
        let resolved = match resolved {
            Ok(f) => f,
            Err(e) => {
                let Some(first) = events
                    .iter()
                    .find(|e| owed.first().is_some_and(|o| o.event_id == e.id))
                else {
                    return Ok(());
                };
                let outcome = Outcome {
                    status: None,
                    error: Some(format!(
                        "the webhook's filter no longer resolves: {}",
                        e.client_message()
                    )),
                    took: Duration::ZERO,
                };
                let _turn = self.writer.queue().await;
                webhook_attempt::Entity::insert(attempt(&w, first, &outcome))
                    .exec_without_returning(db)
                    .await?;
                return self.back_off(db, &w).await;
            }
        };
        // Codes the change's links name, and which of them the scope can see.
        let linked: Vec<String> = events.iter().flat_map(linked_codes).collect();
        let visible_links = if linked.is_empty() {
            std::collections::HashSet::new()
        } else {
            let seen = resolve_filter(&cat, &crate::actions::ActionFilter::default(), &scope)?.and(
                sea_orm::Condition::all().add(entity::action::Column::Code.is_in(linked.clone())),
            );
            let (rows, _) =
                actions::page(db, &seen, ActionOrder::default(), 0, linked.len() as u64).await?;
            rows.into_iter().map(|a| a.code).collect()
        };
        let filter = resolved
            .and(sea_orm::Condition::all().add(entity::action::Column::Id.is_in(action_ids)));
        let (actions, _) =
            actions::page(db, &filter, ActionOrder::default(), 0, owed.len() as u64).await?;
        let update_ids: Vec<i32> = events.iter().filter_map(|e| e.rag_update_id).collect();
        let updates = if update_ids.is_empty() {
            Vec::new()
        } else {
            rag_update::Entity::find()
                .filter(rag_update::Column::Id.is_in(update_ids))
                .all(db)
                .await?
        };

        let mut done = Vec::new();
        let mut attempts = Vec::new();
        let mut failed = false;
        for row in &owed {
            let event = events.iter().find(|e| e.id == row.event_id);
            let action = event.and_then(|e| actions.iter().find(|a| a.id == e.action_id));
            // Out of scope (now), not wanted any more, or gone: nothing to deliver.
            let (Some(event), Some(action)) = (event, action) else {
                done.push(row.id);
                continue;
            };
            if !wants.iter().any(|k| event.heard_by(*k)) {
                done.push(row.id);
                continue;
            }
            let update = event
                .rag_update_id
                .and_then(|id| updates.iter().find(|u| u.id == id));
            let outcome = self
                .post(&w, slug, event, action, update, &visible_links)
                .await?;
            metrics::counter!("plan_api_webhook_attempts_total",
                "outcome" => if outcome.delivered() { "delivered" } else { "failed" })
            .increment(1);
            metrics::histogram!("plan_api_webhook_attempt_duration_seconds")
                .record(outcome.took.as_secs_f64());
            let delivered = outcome.delivered();
            attempts.push(attempt(&w, event, &outcome));
            if !delivered {
                failed = true;
                break;
            }
            done.push(row.id);
        }

        let _turn = self.writer.queue().await;
        if !attempts.is_empty() {
            webhook_attempt::Entity::insert_many(attempts)
                .exec_without_returning(db)
                .await?;
        }
        if !done.is_empty() {
            webhook_outbox::Entity::delete_many()
                .filter(webhook_outbox::Column::Id.is_in(done))
                .exec(db)
                .await?;
        }
        if failed {
            self.back_off(db, &w).await?;
        } else if w.failures > 0 {
            webhook::Entity::update_many()
                .col_expr(webhook::Column::Failures, Expr::value(0))
                .filter(webhook::Column::Id.eq(w.id))
                .exec(db)
                .await?;
        }
        Ok(())
    }

    async fn post(
        &self,
        w: &webhook::Model,
        slug: &str,
        e: &LiveEvent,
        action: &ActionRow,
        rag_update: Option<&rag_update::Model>,
        visible_links: &std::collections::HashSet<String>,
    ) -> AppResult<Outcome> {
        let timestamp = Utc::now().timestamp();
        let body = serde_json::to_vec(&payload(
            w,
            slug,
            e,
            action,
            rag_update,
            timestamp,
            visible_links,
        ))?;
        let started = Instant::now();
        let sent = self
            .client
            .post(&w.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(sign::EVENT_ID_HEADER, e.id.to_string())
            .header(sign::EVENT_HEADER, e.kind().as_str())
            .header(sign::WEBHOOK_ID_HEADER, w.id.to_string())
            .header(sign::TIMESTAMP_HEADER, timestamp.to_string())
            .header(sign::SIGNATURE_HEADER, signature(&w.secret, &body))
            .body(body)
            .send()
            .await;
        let took = started.elapsed();
        Ok(match sent {
            Ok(mut res) => {
                let status = res.status().as_u16();
                // Read a little of the answer, so that a short one lets the connection be
                // reused; a long one is dropped (with its connection) rather than held.
                let mut read = 0usize;
                while read < MAX_ANSWER_BYTES {
                    match res.chunk().await {
                        Ok(Some(chunk)) => read += chunk.len(),
                        _ => break,
                    }
                }
                Outcome {
                    status: Some(status),
                    error: (!(200..300).contains(&status))
                        .then(|| format!("the receiver answered {status}")),
                    took,
                }
            }
            Err(err) => Outcome {
                status: None,
                error: Some(describe(&err)),
                took,
            },
        })
    }

    async fn back_off<C: ConnectionTrait>(&self, db: &C, w: &webhook::Model) -> AppResult<()> {
        let failures = w.failures.saturating_add(1);
        let delay = backoff(&self.settings, failures);
        let next = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
        webhook::ActiveModel {
            id: Set(w.id),
            failures: Set(failures),
            next_attempt_at: Set(next),
            ..Default::default()
        }
        .update(db)
        .await?;
        tracing::info!(
            webhook = w.id,
            failures,
            retry_in_ms = delay.as_millis() as u64,
            "webhook delivery failed; will retry"
        );
        Ok(())
    }
}

/// Webhooks that are owed at least one event.
fn owed() -> sea_orm::Condition {
    sea_orm::Condition::all().add(
        webhook::Column::Id.in_subquery(
            sea_orm::sea_query::Query::select()
                .column(webhook_outbox::Column::WebhookId)
                .from(webhook_outbox::Entity)
                .to_owned(),
        ),
    )
}

/// The delay before retry number `failures` (1, 2, ...): `base · 2^(failures-1)`, capped at
/// `max`, then "equal jitter" (a random point in its upper half), so receivers coming back
/// are not hit by every sender at once.
pub fn backoff(s: &WebhookSettings, failures: i32) -> Duration {
    let exp = u32::try_from(failures.saturating_sub(1))
        .unwrap_or(0)
        .min(30);
    let full = s
        .retry_base
        .saturating_mul(1u32 << exp)
        .min(s.retry_max)
        .max(Duration::from_millis(1));
    let mut b = [0u8; 8];
    let r = match getrandom::fill(&mut b) {
        Ok(()) => u64::from_le_bytes(b),
        Err(_) => 0,
    };
    let half = full / 2;
    let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX).max(1);
    half + Duration::from_nanos(r % nanos)
}

/// What went wrong, for admins reading `webhookDeliveries` (the URL is left out: they have it).
fn describe(err: &reqwest::Error) -> String {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    let mut cause = std::error::Error::source(err);
    let mut deepest = None;
    while let Some(c) = cause {
        deepest = Some(c.to_string());
        cause = c.source();
    }
    match deepest {
        Some(d) => format!("{what}: {d}"),
        None => what.to_string(),
    }
}

/// An attempt, as `webhookDeliveries` reads it back.
fn attempt(w: &webhook::Model, e: &LiveEvent, o: &Outcome) -> webhook_attempt::ActiveModel {
    webhook_attempt::ActiveModel {
        webhook_id: Set(w.id),
        event_id: Set(e.id),
        attempted_at: Set(Utc::now()),
        duration_ms: Set(i32::try_from(o.took.as_millis()).unwrap_or(i32::MAX)),
        status_code: Set(o.status.map(i32::from)),
        delivered: Set(o.delivered()),
        error: Set(o.error.clone()),
        ..Default::default()
    }
}

/// The action codes an event's change names in its `links` (a link or an unlink).
fn linked_codes(e: &LiveEvent) -> Vec<String> {
    [&e.before, &e.after]
        .into_iter()
        .filter_map(|t| t.as_deref())
        .filter_map(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        .filter_map(|v| v.get("links").and_then(|l| l.as_array()).cloned())
        .flatten()
        .filter_map(|c| c.as_str().map(str::to_string))
        .collect()
}

/// The JSON a receiver gets. `action` is the action as it is when delivered; `change` is
/// what this event did (the audit trail's before and after), its `links` cut to the codes the
/// webhook's scope can see.
fn payload(
    w: &webhook::Model,
    slug: &str,
    e: &LiveEvent,
    a: &ActionRow,
    rag: Option<&rag_update::Model>,
    timestamp: i64,
    visible_links: &std::collections::HashSet<String>,
) -> serde_json::Value {
    let parse = |t: &Option<String>| {
        let mut v = t
            .as_deref()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())?;
        if let Some(links) = v.get_mut("links").and_then(|l| l.as_array_mut()) {
            links.retain(|c| c.as_str().is_some_and(|c| visible_links.contains(c)));
        }
        Some(v)
    };
    json!({
        "eventId": e.id,
        "type": e.kind().as_str(),
        "webhookId": w.id,
        "timestamp": timestamp,
        "plan": slug,
        "operation": e.operation,
        "occurredAt": e.occurred_at,
        "action": {
            "id": objects::global_id(Kind::Action, a.id),
            "code": a.code,
            "version": a.version,
            "state": a.state,
            "rag": {
                "status": a.rag_status,
                "note": a.rag_note,
                "effectiveDate": a.rag_effective_date,
            },
        },
        "change": { "before": parse(&e.before), "after": parse(&e.after) },
        "ragUpdate": rag.map(|r| json!({
            "id": objects::global_id(Kind::RagUpdate, r.id),
            "status": r.status,
            "previousStatus": r.previous_status,
            "note": r.note,
            "effectiveDate": r.effective_date,
            "recordedAt": r.recorded_at,
            "author": r.author,
        })),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_stays_under_the_cap() {
        let s = WebhookSettings {
            retry_base: Duration::from_millis(100),
            retry_max: Duration::from_secs(1),
            ..Default::default()
        };
        for (failures, full) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (40, 1000),
        ] {
            for _ in 0..50 {
                let d = backoff(&s, failures).as_millis() as u64;
                assert!(d >= full / 2 && d <= full, "failure {failures}: {d} ms");
            }
        }
    }
}
