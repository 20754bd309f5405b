//! `retireAction` and `reinstateAction`: an action leaves the plan or comes back.
use async_graphql::{Context, InputObject, Object, Result, ID};

use super::{action, ActionPayload};
use crate::actions;
use crate::graphql::context::{batch_env, state};
use crate::graphql::principal;
use crate::graphql::relay::{decode_id_of, Kind};

/// Retire (remove from the plan) or reinstate an action.
#[derive(InputObject)]
pub struct ActionLifecycleInput {
    /// The action's global id (`Action.id`).
    pub action_id: ID,
    /// Why; kept in the audit trail, and as `removedReason` when retiring.
    pub reason: String,
    /// The action's `version` you read; a stale one is VERSION_CONFLICT. Null: no check.
    pub expected_version: Option<i32>,
    /// Makes retries safe: the same key and input returns the first result (integration
    /// tokens must send one).
    pub idempotency_key: Option<String>,
}

/// `retireAction` and `reinstateAction`, one member of `MutationRoot`.
#[derive(Default)]
pub struct LifecycleMutation;

#[Object]
impl LifecycleMutation {
    /// Removes an action from the plan (it stays readable, state REMOVED, with the reason).
    async fn retire_action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action and why it leaves the plan.")] input: ActionLifecycleInput,
    ) -> Result<ActionPayload> {
        self.lifecycle(ctx, input, true).await
    }

    /// Brings a removed action back into the plan.
    async fn reinstate_action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action and why it comes back.")] input: ActionLifecycleInput,
    ) -> Result<ActionPayload> {
        self.lifecycle(ctx, input, false).await
    }
}

impl LifecycleMutation {
    async fn lifecycle(
        &self,
        ctx: &Context<'_>,
        input: ActionLifecycleInput,
        retire: bool,
    ) -> Result<ActionPayload> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        let l = actions::Lifecycle {
            action_id: decode_id_of(Kind::Action, &input.action_id)?,
            reason: input.reason,
            expected_version: input.expected_version,
        };
        let key = input.idempotency_key.as_deref();
        let changed = if retire {
            actions::retire(&st.writer, who, l, key).await?
        } else {
            actions::reinstate(&st.writer, who, l, key).await?
        };
        Ok(ActionPayload {
            action: action(batch_env(ctx)?, changed),
        })
    }
}
