//! `extendDeadline`: a later due date for an action, as agreed.
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};

use super::action;
use crate::actions;
use crate::graphql::action::records::TimescaleExtension;
use crate::graphql::action::Action;
use crate::graphql::context::{batch_env, state};
use crate::graphql::principal;
use crate::graphql::relay::{decode_id_of, Kind};
use crate::graphql::scalars::Date;

/// A later due date for an action, as agreed.
#[derive(InputObject)]
pub struct ExtendDeadlineInput {
    /// The action's global id (`Action.id`).
    pub action_id: ID,
    /// Must be later than the current due date.
    pub new_due_date: Date,
    /// Why the timescale was extended.
    pub reason: String,
    /// When the extension was agreed (default today).
    pub agreed_on: Option<Date>,
    /// The action's `version` you read; a stale one is VERSION_CONFLICT. Null: no check.
    pub expected_version: Option<i32>,
    /// Makes retries safe: the same key and input returns the first result (integration
    /// tokens must send one).
    pub idempotency_key: Option<String>,
}

/// The action with its new due date, and the extension recorded.
#[derive(SimpleObject)]
pub struct ExtendDeadlinePayload {
    /// The action after the change (its new `dueDate`).
    action: Action,
    /// The extension, as `Action.extensions` now lists it.
    extension: TimescaleExtension,
}

/// `extendDeadline`, one member of `MutationRoot`.
#[derive(Default)]
pub struct ExtendDeadlineMutation;

#[Object]
impl ExtendDeadlineMutation {
    /// Sets a later due date, with the reason and when it was agreed; the old date is kept.
    async fn extend_deadline(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action, its new due date and why.")] input: ExtendDeadlineInput,
    ) -> Result<ExtendDeadlinePayload> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        let e = actions::Extension {
            action_id: decode_id_of(Kind::Action, &input.action_id)?,
            new_due: input.new_due_date.0,
            reason: input.reason,
            agreed_on: input.agreed_on.map(|d| d.0),
            expected_version: input.expected_version,
        };
        let changed = actions::extend(&st.writer, who, e, input.idempotency_key.as_deref()).await?;
        Ok(ExtendDeadlinePayload {
            extension: TimescaleExtension(changed.appended.clone()),
            action: action(batch_env(ctx)?, changed),
        })
    }
}
