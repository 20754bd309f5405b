//! Subscriptions: live events of one plan, scoped like every read (see `live::watch`).
use async_graphql::{Context, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::stream::{self, Stream, StreamExt};

use super::action::filter::ActionFilterInput;
use super::action::Action;
use super::batch::{ActionBatch, BatchEnv};
use super::context::state;
use super::rag_update::RagUpdate;
use super::{principal, to_gql, State};
use crate::auth::Principal;
use crate::error::AppResult;
use crate::live::{watch::Seen, EventKind, Watch, WatchRequest};
use crate::plans::catalogue::Catalogues;

pub struct SubscriptionRoot;

/// A RAG status recorded for an action.
#[derive(SimpleObject)]
pub struct RagUpdatedEvent {
    /// The event's id (the audit event's): increasing, never reused.
    event_id: i32,
    /// The action as it is when the event is sent.
    action: Action,
    /// The history entry the change appended.
    rag_update: RagUpdate,
}

/// An audited change of an action: a status, an edit, a move, an extension, a retirement...
#[derive(SimpleObject)]
pub struct ActionChangedEvent {
    /// The event's id (the audit event's): increasing, never reused.
    event_id: i32,
    /// The action as it is when the event is sent.
    action: Action,
    /// The mutation that made the change (`recordRagUpdate`, `moveAction`, ...).
    operation: String,
    /// When the change was committed.
    changed_at: DateTime<Utc>,
}

/// Live events of one plan, over `graphql-transport-ws` at `/graphql/ws`.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Every RAG status recorded, from now on, for an action of `plan` that the token can see
    /// and `filter` selects. Events missed while disconnected are not replayed: catch up with
    /// `Plan.ragChanges` from the last event's `recordedAt`.
    async fn rag_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan's slug, e.g. `herefordshire-2012`.")] plan: String,
        #[graphql(desc = "Only actions this filter selects (checked for each event).")]
        filter: Option<ActionFilterInput>,
    ) -> Result<impl Stream<Item = Result<RagUpdatedEvent>>> {
        let (watch, st, who) = start(ctx, plan, filter, EventKind::RagUpdated).await?;
        Ok(events(watch, st, who).filter_map(|r| async move {
            match r {
                Ok((seen, action)) => seen.rag_update.map(|u| {
                    Ok(RagUpdatedEvent {
                        event_id: seen.event.id,
                        action,
                        rag_update: RagUpdate::new(u),
                    })
                }),
                Err(e) => Some(Err(e)),
            }
        }))
    }

    /// Every audited change, from now on, of an action of `plan` that the token can see and
    /// `filter` selects. An action moved out of the token's scope sends nothing more.
    async fn action_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan's slug, e.g. `herefordshire-2012`.")] plan: String,
        #[graphql(desc = "Only actions this filter selects (checked for each event).")]
        filter: Option<ActionFilterInput>,
    ) -> Result<impl Stream<Item = Result<ActionChangedEvent>>> {
        let (watch, st, who) = start(ctx, plan, filter, EventKind::ActionChanged).await?;
        Ok(events(watch, st, who).map(|r| {
            r.map(|(seen, action)| ActionChangedEvent {
                event_id: seen.event.id,
                action,
                operation: seen.event.operation.clone(),
                changed_at: seen.event.occurred_at,
            })
        }))
    }
}

async fn start(
    ctx: &Context<'_>,
    plan: String,
    filter: Option<ActionFilterInput>,
    kind: EventKind,
) -> Result<(Watch, State, Principal)> {
    let who = principal(ctx)?.clone();
    let st = state(ctx)?.clone();
    let req = WatchRequest {
        plan,
        filter: filter.map(Into::into).unwrap_or_default(),
        kind,
    };
    let watch = Watch::start(&st.db, &st.catalogues, &st.hub, &who, req).await?;
    Ok((watch, st, who))
}

/// The watch's events with their actions, each batch resolved together (one `ActionBatch`,
/// with fresh catalogues: a subscription lives longer than any import). An error ends it.
fn events(watch: Watch, st: State, who: Principal) -> impl Stream<Item = Result<(Seen, Action)>> {
    stream::unfold(Some(watch), move |w| {
        let st = st.clone();
        let visible = who.visible_actions();
        async move {
            let mut w = w?;
            let batch: AppResult<Vec<Seen>> = w.next().await;
            let items: Vec<Result<(Seen, Action)>> = match batch {
                Ok(seen) => {
                    let env = BatchEnv {
                        db: st.db.clone(),
                        catalogues: Catalogues::new(st.db.clone(), st.catalogues.clone()),
                        visible,
                    };
                    let rows = seen.iter().map(|s| s.action.clone()).collect();
                    let batch = ActionBatch::new(env, rows);
                    let actions = Action::all_of(&batch);
                    seen.into_iter().zip(actions).map(Ok).collect()
                }
                Err(e) => {
                    return Some((stream::iter(vec![Err(to_gql(&e))]), None));
                }
            };
            Some((stream::iter(items), Some(w)))
        }
    })
    .flatten()
}
