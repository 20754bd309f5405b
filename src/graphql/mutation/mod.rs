//! Mutations, Relay-style: one `input` object each, a payload with the changed objects.
//! Each resolver decodes ids, calls one service function and wraps what it returns; the
//! rules (who, when, what is valid) live in `actions`, `rag` and `auth`.
//!
//! One file per operation (or pair of operations): its input, its payload and its resolver.
//! What several share (`ActionPayload`, `MilestoneInput`, `UserError`) is here.
mod add_evidence;
mod create_action;
mod extend_deadline;
mod import_plan;
mod lifecycle;
mod links;
mod move_action;
mod record_rag_update;
mod update_action;

use async_graphql::{InputObject, MergedObject, SimpleObject};

use super::action::Action;
use super::batch::BatchEnv;
use super::scalars::Date;
use crate::actions::{Changed, NewMilestone};
use crate::error::AppError;

/// The mutations of plans and actions. `MergedObject` lists its members' fields in the order
/// of the members: this order is the schema's (`schema.graphql`), so new ones go at the end.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    record_rag_update::RecordRagUpdateMutation,
    update_action::UpdateActionMutation,
    create_action::CreateActionMutation,
    move_action::MoveActionMutation,
    extend_deadline::ExtendDeadlineMutation,
    lifecycle::LifecycleMutation,
    links::LinksMutation,
    import_plan::ImportPlanMutation,
    add_evidence::AddEvidenceMutation,
);

fn action<R>(env: BatchEnv, changed: Changed<R>) -> Action {
    Action::single(env, changed.action.into())
}

/// Why one item of a batch failed, with the same codes as top-level errors.
#[derive(SimpleObject)]
pub struct UserError {
    /// The error code, as `extensions.code` of a top-level error (`VERSION_CONFLICT`, ...).
    code: String,
    /// What went wrong, for people.
    message: String,
}

impl From<AppError> for UserError {
    fn from(e: AppError) -> Self {
        Self {
            code: e.code().to_string(),
            message: e.client_message(),
        }
    }
}

/// The changed action.
#[derive(SimpleObject)]
pub struct ActionPayload {
    /// The action after the change.
    action: Action,
}

/// A milestone of an action's "by when".
#[derive(InputObject)]
pub struct MilestoneInput {
    /// As it should read, e.g. `Stage 1 – Nov 12`.
    pub label: String,
    /// When it is due; null when the milestone has no date.
    pub due: Option<Date>,
}

fn milestones(ms: Option<Vec<MilestoneInput>>) -> Option<Vec<NewMilestone>> {
    ms.map(|v| {
        v.into_iter()
            .map(|m| NewMilestone {
                label: m.label,
                due: m.due.map(|d| d.0),
            })
            .collect()
    })
}
