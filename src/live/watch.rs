//! One subscriber's view of the events: those of its plan, of the kind it asked for, whose
//! action its token and filter let it see at the time the event is read.
//!
//! Scope is checked per batch of events, in one statement, with the same SQL condition every
//! read uses (`Principal::visible_actions`), so a change that moves an action out of a
//! partner's scope ends that action's events at once.
use std::sync::Arc;

use entity::rag_update;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};
use tokio::sync::broadcast::{self, error::RecvError};

use super::event::{EventKind, LiveEvent};
use super::Hub;
use crate::actions::{self, resolve_filter, ActionFilter, ActionOrder, ActionRow};
use crate::auth::Principal;
use crate::error::{AppError, AppResult, Refusal};
use crate::plans::catalogue::{CatalogueCache, Catalogues};

/// What a subscriber asks for.
pub struct WatchRequest {
    pub plan: String,
    pub filter: ActionFilter,
    pub kind: EventKind,
}

/// A running subscription's source of events.
pub struct Watch {
    db: DatabaseConnection,
    rx: broadcast::Receiver<Arc<LiveEvent>>,
    plan_id: i32,
    kind: EventKind,
    /// The filter, resolved once against the plan's catalogue, within the token's scope.
    filter: actions::ResolvedFilter,
}

/// An event with its action as the subscriber may see it.
pub struct Seen {
    pub event: Arc<LiveEvent>,
    pub action: ActionRow,
    /// The history row a status change appended.
    pub rag_update: Option<rag_update::Model>,
}

impl Watch {
    /// Checks the plan and filter now (a bad one is refused before any event), and starts
    /// listening.
    pub async fn start(
        db: &DatabaseConnection,
        cache: &CatalogueCache,
        hub: &Hub,
        who: &Principal,
        req: WatchRequest,
    ) -> AppResult<Self> {
        // Listen before reading anything, so no event between the checks and the first
        // `next` is missed.
        let rx = hub.subscribe(db).await?;
        let cats = Catalogues::new(db.clone(), cache.clone());
        let cat = crate::objects::visible_plan(&cats, who, &req.plan)
            .await?
            .ok_or_else(|| AppError::not_found(format!("no plan {:?}", req.plan)))?;
        let filter = resolve_filter(&cat, &req.filter, who)?;
        Ok(Self {
            db: db.clone(),
            rx,
            plan_id: cat.id(),
            kind: req.kind,
            filter,
        })
    }

    /// The next events this subscriber may see, oldest first (never empty). Ends with
    /// EVENTS_MISSED when it fell so far behind that events were dropped.
    pub async fn next(&mut self) -> AppResult<Vec<Seen>> {
        loop {
            let mut events = vec![self.recv().await?];
            // Whatever else has arrived is read with it, in the same statement.
            while events.len() < 100 {
                match self.rx.try_recv() {
                    Ok(e) => events.push(e),
                    Err(broadcast::error::TryRecvError::Lagged(n)) => {
                        return Err(AppError::Refused(Refusal::EventsMissed { missed: n }))
                    }
                    Err(_) => break,
                }
            }
            events.retain(|e| e.plan_id == self.plan_id && e.heard_by(self.kind));
            if events.is_empty() {
                continue;
            }
            let seen = self.visible(events).await?;
            if !seen.is_empty() {
                return Ok(seen);
            }
        }
    }

    async fn recv(&mut self) -> AppResult<Arc<LiveEvent>> {
        match self.rx.recv().await {
            Ok(e) => Ok(e),
            Err(RecvError::Lagged(n)) => {
                Err(AppError::Refused(Refusal::EventsMissed { missed: n }))
            }
            Err(RecvError::Closed) => Err(AppError::Internal("the event hub stopped".into())),
        }
    }

    /// The events whose action the subscriber sees, each with the action as it is now.
    async fn visible(&self, events: Vec<Arc<LiveEvent>>) -> AppResult<Vec<Seen>> {
        let mut ids: Vec<i32> = events.iter().map(|e| e.action_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let filter = self
            .filter
            .clone()
            .and(Condition::all().add(entity::action::Column::Id.is_in(ids.iter().copied())));
        let (rows, _) = actions::page(
            &self.db,
            &filter,
            ActionOrder::default(),
            0,
            ids.len() as u64,
        )
        .await?;
        let events: Vec<(Arc<LiveEvent>, ActionRow)> = events
            .into_iter()
            .filter_map(|event| {
                let action = rows.iter().find(|r| r.id == event.action_id)?.clone();
                Some((event, action))
            })
            .collect();
        // The status changes' history rows, in one statement too.
        let update_ids: Vec<i32> = events.iter().filter_map(|(e, _)| e.rag_update_id).collect();
        let mut updates = if update_ids.is_empty() {
            Vec::new()
        } else {
            rag_update::Entity::find()
                .filter(rag_update::Column::Id.is_in(update_ids))
                .all(&self.db)
                .await?
        };
        Ok(events
            .into_iter()
            .map(|(event, action)| {
                let rag_update = event.rag_update_id.and_then(|id| {
                    let at = updates.iter().position(|u| u.id == id)?;
                    Some(updates.swap_remove(at))
                });
                Seen {
                    event,
                    action,
                    rag_update,
                }
            })
            .collect())
    }
}
