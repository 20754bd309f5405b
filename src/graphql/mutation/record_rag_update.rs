//! `recordRagUpdate` and `recordRagUpdates`: RAG status changes, one or many at a time.
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};

use super::UserError;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::graphql::action::filter::RagStatusGql;
use crate::graphql::action::Action;
use crate::graphql::context::{batch_env, state};
use crate::graphql::principal;
use crate::graphql::rag_update::RagUpdate;
use crate::graphql::relay::{decode_id_of, Kind};
use crate::graphql::scalars::Date;
use crate::rag;

/// Most updates one `recordRagUpdates` call takes.
pub const MAX_BATCH: usize = 500;

/// A status change for one action.
#[derive(InputObject, Clone)]
pub struct RecordRagUpdateInput {
    /// The action's global id (`Action.id`).
    pub action_id: ID,
    /// The new status.
    pub status: RagStatusGql,
    /// Required when the action becomes RED or leaves BLUE.
    pub note: Option<String>,
    /// When the status took effect (default today); may be back-dated, never in the future.
    pub effective_date: Option<Date>,
    /// The action's `version` you read; a stale one is VERSION_CONFLICT. Null: no check.
    pub expected_version: Option<i32>,
    /// Makes retries safe: the same key and input returns the first result (integration
    /// tokens must send one).
    pub idempotency_key: Option<String>,
}

/// What `recordRagUpdate` did.
#[derive(SimpleObject)]
pub struct RecordRagUpdatePayload {
    /// The action after the change (its new `rag` and `version`).
    action: Action,
    /// The history entry appended.
    rag_update: RagUpdate,
}

/// Many status changes in one call; each is its own transaction.
#[derive(InputObject)]
pub struct RecordRagUpdatesInput {
    /// The changes, at most 500, recorded in this order.
    pub updates: Vec<RecordRagUpdateInput>,
}

/// The outcome of one item of `recordRagUpdates`: its result or its error.
#[derive(SimpleObject)]
pub struct RagUpdateResult {
    /// The item's position in `updates`.
    index: i32,
    /// The item's `actionId`, as sent.
    action_id: ID,
    /// The action after the change; null when the item failed.
    action: Option<Action>,
    /// The history entry appended; null when the item failed.
    rag_update: Option<RagUpdate>,
    /// Why the item failed; null when it succeeded.
    error: Option<UserError>,
}

/// What `recordRagUpdates` did, item by item.
#[derive(SimpleObject)]
pub struct RecordRagUpdatesPayload {
    /// One result per item of `updates`, in the same order.
    results: Vec<RagUpdateResult>,
    /// How many items were recorded.
    succeeded: i32,
    /// How many items failed (and changed nothing).
    failed: i32,
}

async fn record_one(
    ctx: &Context<'_>,
    who: &Principal,
    input: RecordRagUpdateInput,
) -> AppResult<RecordRagUpdatePayload> {
    let st = state(ctx).map_err(|_| AppError::Internal("BUG: no state".into()))?;
    let update = rag::NewRagUpdate {
        action_id: decode_id_of(Kind::Action, &input.action_id)?,
        status: input.status.into(),
        note: input.note,
        effective_date: input.effective_date.map(|d| d.0),
        expected_version: input.expected_version,
    };
    let recorded = rag::record(&st.writer, who, update, input.idempotency_key.as_deref()).await?;
    Ok(RecordRagUpdatePayload {
        action: Action::single(
            batch_env(ctx).map_err(|_| AppError::Internal("BUG: no state".into()))?,
            recorded.action.into(),
        ),
        rag_update: RagUpdate::new(recorded.appended),
    })
}

/// `recordRagUpdate` and `recordRagUpdates`, one member of `MutationRoot`.
#[derive(Default)]
pub struct RecordRagUpdateMutation;

#[Object]
impl RecordRagUpdateMutation {
    /// Records a RAG status change (appends to the history; the action's current status is
    /// the latest by effective date).
    async fn record_rag_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The status change.")] input: RecordRagUpdateInput,
    ) -> Result<RecordRagUpdatePayload> {
        let who = principal(ctx)?;
        Ok(record_one(ctx, who, input).await?)
    }

    /// Records many status changes, each on its own: one bad item does not block the others.
    async fn record_rag_updates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The status changes.")] input: RecordRagUpdatesInput,
    ) -> Result<RecordRagUpdatesPayload> {
        let who = principal(ctx)?;
        if input.updates.len() > MAX_BATCH {
            return Err(AppError::bad_input(format!(
                "{} updates in one call; the most is {MAX_BATCH}",
                input.updates.len()
            ))
            .into());
        }
        let mut results = Vec::with_capacity(input.updates.len());
        let (mut succeeded, mut failed) = (0, 0);
        for (index, item) in input.updates.into_iter().enumerate() {
            let action_id = item.action_id.clone();
            let result = match record_one(ctx, who, item).await {
                Ok(p) => {
                    succeeded += 1;
                    RagUpdateResult {
                        index: index as i32,
                        action_id,
                        action: Some(p.action),
                        rag_update: Some(p.rag_update),
                        error: None,
                    }
                }
                Err(e) => {
                    failed += 1;
                    RagUpdateResult {
                        index: index as i32,
                        action_id,
                        action: None,
                        rag_update: None,
                        error: Some(e.into()),
                    }
                }
            };
            results.push(result);
        }
        Ok(RecordRagUpdatesPayload {
            results,
            succeeded,
            failed,
        })
    }
}
