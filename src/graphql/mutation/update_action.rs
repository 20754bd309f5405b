//! `updateAction`: changes to an action's text, theme, leads, references, descriptors or
//! milestones.
use async_graphql::{Context, InputObject, Object, Result, ID};

use super::{action, milestones, ActionPayload, MilestoneInput};
use crate::actions::{self, ActionEdit};
use crate::graphql::context::{batch_env, state};
use crate::graphql::principal;
use crate::graphql::relay::{decode_id_of, Kind};

/// Fields to change; omitted fields stay as they are. Lead tokens may change only
/// `byWhen` and `milestones`.
#[derive(InputObject)]
pub struct UpdateActionInput {
    /// The action's global id (`Action.id`).
    pub action_id: ID,
    /// The objective's new lead text.
    pub objective: Option<String>,
    /// The objective's bullet items, replacing all of them.
    pub objective_items: Option<Vec<String>>,
    /// The measurable targets, replacing all of them.
    pub outcomes: Option<Vec<String>>,
    /// Theme number.
    pub theme: Option<i32>,
    /// Person codes, in order.
    pub leads: Option<Vec<String>>,
    /// Reference codes (`AA1`).
    pub references: Option<Vec<String>>,
    /// Ofsted descriptor codes (`QP3.7`) or areas.
    pub descriptors: Option<Vec<String>>,
    /// The "by when" text, as it should read.
    pub by_when: Option<String>,
    /// The milestones, replacing all of them; the due date becomes the latest of their dates
    /// and of any agreed extension.
    pub milestones: Option<Vec<MilestoneInput>>,
    /// The action's `version` you read; a stale one is VERSION_CONFLICT. Null: no check.
    pub expected_version: Option<i32>,
    /// Makes retries safe: the same key and input returns the first result (integration
    /// tokens must send one).
    pub idempotency_key: Option<String>,
}

/// `updateAction`, one member of `MutationRoot`.
#[derive(Default)]
pub struct UpdateActionMutation;

#[Object]
impl UpdateActionMutation {
    /// Changes an action's text, theme, leads, references, descriptors or milestones.
    async fn update_action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action and the fields to change.")] input: UpdateActionInput,
    ) -> Result<ActionPayload> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        let edit = ActionEdit {
            action_id: decode_id_of(Kind::Action, &input.action_id)?,
            expected_version: input.expected_version,
            objective: input.objective,
            objective_items: input.objective_items,
            outcomes: input.outcomes,
            theme: input.theme,
            leads: input.leads,
            references: input.references,
            descriptors: input.descriptors,
            by_when: input.by_when,
            milestones: milestones(input.milestones),
        };
        let changed =
            actions::update(&st.writer, who, edit, input.idempotency_key.as_deref()).await?;
        Ok(ActionPayload {
            action: action(batch_env(ctx)?, changed),
        })
    }
}
