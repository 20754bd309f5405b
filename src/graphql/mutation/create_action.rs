//! `createAction`: a new action in a plan.
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};

use super::{action, milestones, MilestoneInput};
use crate::actions;
use crate::graphql::action::filter::RagStatusGql;
use crate::graphql::action::Action;
use crate::graphql::context::{batch_env, state};
use crate::graphql::principal;
use crate::graphql::rag_update::RagUpdate;
use crate::graphql::relay::{decode_id_of, Kind};

/// A new action.
#[derive(InputObject)]
pub struct CreateActionInput {
    /// The plan's global id (`Plan.id`).
    pub plan_id: ID,
    /// Unique in the plan, e.g. `3.49`.
    pub code: String,
    /// Theme number.
    pub theme: i32,
    /// Work-stream name.
    pub workstream: String,
    /// The objective's lead text.
    pub objective: String,
    /// The objective's bullet items.
    #[graphql(default)]
    pub objective_items: Vec<String>,
    /// Measurable targets.
    #[graphql(default)]
    pub outcomes: Vec<String>,
    /// Lead person codes of the plan, in order (`KOM`; spelling variants such as `J.Rez`
    /// resolve).
    #[graphql(default)]
    pub leads: Vec<String>,
    /// Reference codes (`AA1`, `JD`).
    #[graphql(default)]
    pub references: Vec<String>,
    /// Ofsted descriptor codes (`QP3.7`, or bare `3.7`) or areas (`OE`, `EHP`, `QP`, `LG`).
    #[graphql(default)]
    pub descriptors: Vec<String>,
    /// As it should read; defaults to the milestones' labels.
    pub by_when: Option<String>,
    /// Milestones; the due date is the latest of their dates.
    #[graphql(default)]
    pub milestones: Vec<MilestoneInput>,
    /// First RAG status (default GREY, not started).
    pub status: Option<RagStatusGql>,
    /// Why the first status; required when it is RED.
    pub note: Option<String>,
    /// Makes retries safe: the same key and input returns the first result (integration
    /// tokens must send one).
    pub idempotency_key: Option<String>,
}

/// The new action and its first history entry.
#[derive(SimpleObject)]
pub struct CreateActionPayload {
    /// The action as created (version 1).
    action: Action,
    /// Its first RAG history entry.
    rag_update: RagUpdate,
}

/// `createAction`, one member of `MutationRoot`.
#[derive(Default)]
pub struct CreateActionMutation;

#[Object]
impl CreateActionMutation {
    /// Adds an action to a plan, after the last action of its theme.
    async fn create_action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new action.")] input: CreateActionInput,
    ) -> Result<CreateActionPayload> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        let new = actions::NewAction {
            plan_id: decode_id_of(Kind::Plan, &input.plan_id)?,
            code: input.code,
            theme: input.theme,
            workstream: input.workstream,
            objective: input.objective,
            objective_items: input.objective_items,
            outcomes: input.outcomes,
            leads: input.leads,
            references: input.references,
            descriptors: input.descriptors,
            by_when: input.by_when,
            milestones: milestones(Some(input.milestones)).unwrap_or_default(),
            status: input.status.map(Into::into),
            note: input.note,
        };
        let changed =
            actions::create(&st.writer, who, new, input.idempotency_key.as_deref()).await?;
        Ok(CreateActionPayload {
            rag_update: RagUpdate::new(changed.appended.clone()),
            action: action(batch_env(ctx)?, changed),
        })
    }
}
