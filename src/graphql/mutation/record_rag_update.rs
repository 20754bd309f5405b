//! `recordRagUpdate` and `recordRagUpdates`: RAG status changes, one or many at a time.
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};

use super::UserError;
use crate::error::AppResult;
use crate::graphql::action::filter::RagStatusGql;
use crate::graphql::action::Action;
use crate::graphql::batch::BatchEnv;
use crate::graphql::context::{batch_env, state};
use crate::graphql::principal;
use crate::graphql::rag_update::RagUpdate;
use crate::graphql::relay::{decode_id_of, Kind};
use crate::graphql::scalars::Date;
use crate::rag;

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

/// The service's form of one item; a malformed id fails that item alone.
fn new_update(input: RecordRagUpdateInput) -> AppResult<(rag::NewRagUpdate, Option<String>)> {
    let update = rag::NewRagUpdate {
        action_id: decode_id_of(Kind::Action, &input.action_id)?,
        status: input.status.into(),
        note: input.note,
        effective_date: input.effective_date.map(|d| d.0),
        expected_version: input.expected_version,
    };
    Ok((update, input.idempotency_key))
}

fn payload(env: BatchEnv, recorded: rag::Recorded) -> RecordRagUpdatePayload {
    RecordRagUpdatePayload {
        action: Action::single(env, recorded.action.into()),
        rag_update: RagUpdate::new(recorded.appended),
    }
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
        let (update, key) = new_update(input)?;
        let recorded = rag::record(&state(ctx)?.writer, who, update, key.as_deref()).await?;
        Ok(payload(batch_env(ctx)?, recorded))
    }

    /// Records many status changes, each on its own: one bad item does not block the others.
    async fn record_rag_updates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The status changes.")] input: RecordRagUpdatesInput,
    ) -> Result<RecordRagUpdatesPayload> {
        let who = principal(ctx)?;
        let ids: Vec<ID> = input.updates.iter().map(|u| u.action_id.clone()).collect();
        let items = input.updates.into_iter().map(new_update).collect();
        let outcomes = rag::record_many(&state(ctx)?.writer, who, items).await?;
        let env = batch_env(ctx)?;
        let results: Vec<RagUpdateResult> = ids
            .into_iter()
            .zip(outcomes)
            .enumerate()
            .map(|(index, (action_id, outcome))| {
                let (action, rag_update, error) = match outcome {
                    Ok(r) => {
                        let p = payload(env.clone(), r);
                        (Some(p.action), Some(p.rag_update), None)
                    }
                    Err(e) => (None, None, Some(e.into())),
                };
                RagUpdateResult {
                    index: index as i32,
                    action_id,
                    action,
                    rag_update,
                    error,
                }
            })
            .collect();
        let succeeded = results.iter().filter(|r| r.error.is_none()).count() as i32;
        Ok(RecordRagUpdatesPayload {
            failed: results.len() as i32 - succeeded,
            succeeded,
            results,
        })
    }
}
