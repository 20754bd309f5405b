//! `moveAction`: an action moves to another work stream of its plan.
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};

use super::action;
use crate::actions;
use crate::graphql::action::records::WorkstreamMove;
use crate::graphql::action::Action;
use crate::graphql::context::{batch_env, state};
use crate::graphql::principal;
use crate::graphql::relay::{decode_id_of, Kind};

/// A move of an action to another work stream of its plan.
#[derive(InputObject)]
pub struct MoveActionInput {
    /// The action's global id (`Action.id`).
    pub action_id: ID,
    /// The work stream to move to.
    pub workstream: String,
    /// Why it moves; kept with the move.
    pub reason: Option<String>,
    /// The action's `version` you read; a stale one is VERSION_CONFLICT. Null: no check.
    pub expected_version: Option<i32>,
    /// Makes retries safe: the same key and input returns the first result (integration
    /// tokens must send one).
    pub idempotency_key: Option<String>,
}

/// The moved action and the move recorded.
#[derive(SimpleObject)]
pub struct MoveActionPayload {
    /// The action after the move.
    action: Action,
    /// The move, as `Action.moves` now lists it.
    #[graphql(name = "move")]
    moved: WorkstreamMove,
}

/// `moveAction`, one member of `MutationRoot`.
#[derive(Default)]
pub struct MoveActionMutation;

#[Object]
impl MoveActionMutation {
    /// Moves an action to another work stream; the move is recorded on the action.
    async fn move_action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action and where it moves.")] input: MoveActionInput,
    ) -> Result<MoveActionPayload> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        let m = actions::Move {
            action_id: decode_id_of(Kind::Action, &input.action_id)?,
            workstream: input.workstream,
            reason: input.reason,
            expected_version: input.expected_version,
        };
        let changed =
            actions::move_to(&st.writer, who, m, input.idempotency_key.as_deref()).await?;
        Ok(MoveActionPayload {
            moved: WorkstreamMove {
                plan_id: changed.action.plan_id,
                row: changed.appended.clone(),
            },
            action: action(batch_env(ctx)?, changed),
        })
    }
}
