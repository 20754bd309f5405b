//! Mutations, Relay-style: one `input` object each, a payload with the changed objects.
//! Each resolver decodes ids, calls one service function and wraps what it returns; the
//! rules (who, when, what is valid) live in `actions`, `rag` and `auth`.
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};

use super::action::filter::RagStatusGql;
use super::action::records::{EvidenceRecord, TimescaleExtension, WorkstreamMove};
use super::action::Action;
use super::batch::BatchEnv;
use super::context::{batch_env, catalogues, state};
use super::principal;
use super::rag_update::RagUpdate;
use super::relay::{decode_id_of, Kind};
use super::scalars::Date;
use crate::actions::{self, ActionEdit, Changed, NewMilestone};
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::rag;

/// Most updates one `recordRagUpdates` call takes.
pub const MAX_BATCH: usize = 500;

#[derive(Default)]
pub struct MutationRoot;

fn action<R>(env: BatchEnv, changed: Changed<R>) -> Action {
    Action::single(env, changed.action.into())
}

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

/// The changed action.
#[derive(SimpleObject)]
pub struct ActionPayload {
    /// The action after the change.
    action: Action,
}

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

/// A link from one action to another of the same plan.
#[derive(InputObject)]
pub struct LinkActionsInput {
    /// The action that links (its `version` is the one checked and bumped).
    pub from_id: ID,
    /// The action linked to.
    pub to_id: ID,
    /// The `version` of `fromId` you read; a stale one is VERSION_CONFLICT. Null: no check.
    pub expected_version: Option<i32>,
    /// Makes retries safe: the same key and input returns the first result (integration
    /// tokens must send one).
    pub idempotency_key: Option<String>,
}

/// Both actions after the change.
#[derive(SimpleObject)]
pub struct LinkActionsPayload {
    /// The action that links, with its new `links` and `version`.
    from: Action,
    /// The action linked to (or unlinked from).
    to: Action,
}

/// Evidence of progress against an action.
#[derive(InputObject)]
pub struct AddEvidenceInput {
    /// The action's global id (`Action.id`).
    pub action_id: ID,
    /// What the evidence is.
    pub what: String,
    /// Where it comes from.
    pub source: Option<String>,
    /// A document reference or URL.
    pub reference: Option<String>,
    /// The date of the evidence (not in the future).
    pub date: Option<Date>,
    /// The action's `version` you read; a stale one is VERSION_CONFLICT. Null: no check.
    pub expected_version: Option<i32>,
    /// Makes retries safe: the same key and input returns the first result (integration
    /// tokens must send one).
    pub idempotency_key: Option<String>,
}

/// A plan file (JSON, see docs/plan-format.md) to import or re-import.
#[derive(InputObject)]
pub struct ImportPlanInput {
    /// The file's content.
    pub plan_json: String,
    /// Recorded in the history and audit trail, e.g. `herefordshire-2013.json`.
    pub file_name: Option<String>,
}

/// What an import changed.
#[derive(SimpleObject)]
pub struct ImportPlanPayload {
    /// The plan as imported.
    plan: super::plan::Plan,
    /// Whether the file's plan was new to the server.
    plan_created: bool,
    /// Whether the plan's own details or catalogue (themes, work streams, people, ...) changed.
    plan_updated: bool,
    /// Actions the file added.
    actions_created: u64,
    /// Actions the file changed.
    actions_updated: u64,
    /// Actions the file lists as they already were.
    actions_unchanged: u64,
    /// Imported actions the file no longer lists: marked removed, with their history kept.
    actions_removed: u64,
    /// RAG history entries appended (only where the file says something new).
    rag_updates: u64,
}

/// The action and the evidence recorded.
#[derive(SimpleObject)]
pub struct AddEvidencePayload {
    /// The action after the change (its new `submittedEvidence` and `version`).
    action: Action,
    /// The evidence, as `Action.submittedEvidence` now lists it.
    evidence: EvidenceRecord,
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

#[Object]
impl MutationRoot {
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

    /// Links one action to another of the same plan.
    async fn link_actions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The two actions.")] input: LinkActionsInput,
    ) -> Result<LinkActionsPayload> {
        self.relink(ctx, input, true).await
    }

    /// Removes a link between two actions.
    async fn unlink_actions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The two actions.")] input: LinkActionsInput,
    ) -> Result<LinkActionsPayload> {
        self.relink(ctx, input, false).await
    }

    /// Imports or re-imports a plan file (admins only): idempotent, one transaction, a file
    /// with problems changes nothing and says what they are.
    async fn import_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan file.")] input: ImportPlanInput,
    ) -> Result<ImportPlanPayload> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        let name = input
            .file_name
            .unwrap_or_else(|| "importPlan.json".to_string());
        let report = crate::plans::import::import_through_api(
            &st.writer,
            who,
            input.plan_json.as_bytes(),
            &name,
        )
        .await?;
        // The import bumped the plan's catalogue version: this reads the new catalogue.
        let plan = catalogues(ctx)?
            .by_slug_again(&report.plan)
            .await?
            .ok_or_else(|| AppError::Internal("BUG: imported plan missing".into()))?;
        Ok(ImportPlanPayload {
            plan: super::plan::Plan(plan),
            plan_created: report.plan_created,
            plan_updated: report.plan_updated,
            actions_created: report.actions_created as u64,
            actions_updated: report.actions_updated as u64,
            actions_unchanged: report.actions_unchanged as u64,
            actions_removed: report.actions_removed as u64,
            rag_updates: report.rag_updates as u64,
        })
    }

    /// Records evidence of progress against an action.
    async fn add_evidence(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action and the evidence.")] input: AddEvidenceInput,
    ) -> Result<AddEvidencePayload> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        let e = actions::NewEvidence {
            action_id: decode_id_of(Kind::Action, &input.action_id)?,
            what: input.what,
            source: input.source,
            reference: input.reference,
            dated: input.date.map(|d| d.0),
            expected_version: input.expected_version,
        };
        let changed =
            actions::add_evidence(&st.writer, who, e, input.idempotency_key.as_deref()).await?;
        Ok(AddEvidencePayload {
            evidence: EvidenceRecord(changed.appended.clone()),
            action: action(batch_env(ctx)?, changed),
        })
    }
}

impl MutationRoot {
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

    async fn relink(
        &self,
        ctx: &Context<'_>,
        input: LinkActionsInput,
        link: bool,
    ) -> Result<LinkActionsPayload> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        let l = actions::Link {
            from_id: decode_id_of(Kind::Action, &input.from_id)?,
            to_id: decode_id_of(Kind::Action, &input.to_id)?,
            expected_version: input.expected_version,
        };
        let key = input.idempotency_key.as_deref();
        let changed = if link {
            actions::link(&st.writer, who, l, key).await?
        } else {
            actions::unlink(&st.writer, who, l, key).await?
        };
        Ok(LinkActionsPayload {
            to: Action::single(batch_env(ctx)?, changed.appended.clone().into()),
            from: action(batch_env(ctx)?, changed),
        })
    }
}
