//! `createAction`: a new action in its plan, placed after its theme, with its first RAG status.
use entity::{action, plan, rag_update, TextList};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;

use super::change::{reload, Changed, ChangedIds};
use super::children::{replace_children, Children};
use super::filter::{leads_named, reference_ids, theme_ids, workstream_ids};
use super::input::{checked_milestones, descriptor_rows, optional_text, text, texts, MAX_CODE_LEN};
use super::snapshot::snapshot;
use super::{due_date, search_text, LifecycleState, NewMilestone};
use crate::audit::{Begun, Subject, Writer};
use crate::auth::{Operation, Principal};
use crate::error::{AppError, AppResult};
use crate::rag::{self, RagStatus, API_SOURCE};

/// A new action as clients send it.
#[derive(Debug, Clone, Serialize)]
pub struct NewAction {
    pub plan_id: i32,
    pub code: String,
    pub theme: i32,
    pub workstream: String,
    pub objective: String,
    pub objective_items: Vec<String>,
    pub outcomes: Vec<String>,
    pub leads: Vec<String>,
    pub references: Vec<String>,
    pub descriptors: Vec<String>,
    pub by_when: Option<String>,
    pub milestones: Vec<NewMilestone>,
    pub status: Option<RagStatus>,
    pub note: Option<String>,
}

/// `createAction`: a new action at the end of its theme, with its first RAG status.
pub async fn create(
    w: &Writer,
    who: &Principal,
    input: NewAction,
    key: Option<&str>,
) -> AppResult<Changed<rag_update::Model>> {
    who.require(Operation::CreateAction)?;
    let ch = match w.begin(who, Operation::CreateAction, key, &input).await? {
        Begun::Fresh(ch) => ch,
        Begun::Replay(ids) => return reload(w.db(), who, Operation::CreateAction, ids).await,
    };
    let db = ch.txn();
    // Lock the plan: creations in one plan queue, so codes and positions never collide.
    let plan = plan::Entity::find_by_id(input.plan_id)
        .filter(who.plan_condition())
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("no such plan"))?;
    let code = text("code", &input.code)?;
    if code.chars().count() > MAX_CODE_LEN {
        return Err(AppError::bad_input(format!(
            "`code` is longer than {MAX_CODE_LEN} characters"
        )));
    }
    if super::by_code(db, sea_orm::Condition::all(), plan.id, &code)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(format!(
            "action {code} already exists in plan {}; codes are unique per plan",
            plan.slug
        )));
    }
    let theme_id = theme_ids(db, plan.id, &[input.theme]).await?[0];
    let workstream_id =
        workstream_ids(db, plan.id, std::slice::from_ref(&input.workstream)).await?[0];
    let objective = text("objective", &input.objective)?;
    let items = texts("objectiveItems", &input.objective_items)?;
    let outcomes = texts("outcomes", &input.outcomes)?;
    let (leads, lead_codes) = leads_named(db, plan.id, &input.leads).await?;
    let references = reference_ids(db, plan.id, &input.references).await?;
    let descriptors = descriptor_rows(&input.descriptors)?;
    let milestones = checked_milestones(&input.milestones)?;
    let status = input.status.unwrap_or(RagStatus::Grey);
    let note = rag::clean_note(optional_text("note", input.note.as_deref())?.as_deref())?;
    rag::require_note(None, status, note.as_deref())?;
    let by_when = match &input.by_when {
        Some(b) => text("byWhen", b)?,
        None => milestones
            .iter()
            .map(|m| m.label.clone())
            .collect::<Vec<_>>()
            .join("; "),
    };

    // After the theme's last action (or at the end of the plan when the theme has none).
    let last_in_theme: Option<i32> = action::Entity::find()
        .select_only()
        .column_as(action::Column::Position.max(), "p")
        .filter(action::Column::PlanId.eq(plan.id))
        .filter(action::Column::ThemeId.eq(theme_id))
        .into_tuple::<Option<i32>>()
        .one(db)
        .await?
        .flatten();
    let last_in_plan: Option<i32> = action::Entity::find()
        .select_only()
        .column_as(action::Column::Position.max(), "p")
        .filter(action::Column::PlanId.eq(plan.id))
        .into_tuple::<Option<i32>>()
        .one(db)
        .await?
        .flatten();
    let position = last_in_theme.or(last_in_plan).map_or(0, |p| p + 1);
    // Imported actions are spaced (`POSITION_GAP`), so this is normally a free slot; only when
    // it is taken do the later actions move up one.
    let taken = action::Entity::find()
        .filter(action::Column::PlanId.eq(plan.id))
        .filter(action::Column::Position.eq(position))
        .count(db)
        .await?;
    if taken > 0 {
        action::Entity::update_many()
            .col_expr(
                action::Column::Position,
                Expr::col(action::Column::Position).add(1),
            )
            .filter(action::Column::PlanId.eq(plan.id))
            .filter(action::Column::Position.gte(position))
            .exec(db)
            .await?;
    }

    let now = ch.now();
    let today = ch.today();
    let created = action::ActiveModel {
        plan_id: Set(plan.id),
        code: Set(code),
        theme_id: Set(theme_id),
        workstream_id: Set(workstream_id),
        position: Set(position),
        search_text: Set(search_text(&objective, &items, &outcomes)),
        objective: Set(objective),
        objective_items: Set(TextList(items)),
        outcomes: Set(TextList(outcomes)),
        by_when: Set(by_when),
        lead_text: Set(lead_codes.join(", ")),
        // A new action has no extensions yet.
        due_date: Set(due_date(milestones.iter().map(|m| m.due), [])),
        rag_status: Set(status),
        rag_note: Set(note.clone()),
        rag_effective_date: Set(today),
        rag_recorded_at: Set(now),
        state: Set(LifecycleState::Active),
        removed_reason: Set(None),
        imported_json: Set(None),
        version: Set(1),
        // The first history row, appended below.
        history_count: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let children = Children {
        leads: Some(&leads),
        references: Some(&references),
        evidence: None,
        descriptors: Some(&descriptors),
        milestones: Some(&milestones),
    };
    replace_children(db, created.id, children).await?;
    let first = rag_update::ActiveModel {
        action_id: Set(created.id),
        status: Set(status),
        previous_status: Set(None),
        note: Set(note),
        effective_date: Set(today),
        recorded_at: Set(now),
        author: Set(who.display().to_string()),
        source: Set(API_SOURCE.to_string()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut after = snapshot(&created);
    after["leads"] = json!(lead_codes);
    after["references"] = json!(input.references);
    after["descriptors"] = json!(descriptors
        .iter()
        .map(|d| d.code.clone())
        .collect::<Vec<_>>());
    after["milestones"] = json!(milestones);
    after["ragUpdateId"] = json!(first.id);
    ch.record(action_subject(&created), None, Some(after))
        .await?;
    ch.commit(&ChangedIds {
        action: created.id,
        appended: Some(first.id),
    })
    .await?;
    Ok(Changed {
        action: created,
        appended: first,
    })
}

fn action_subject(a: &action::Model) -> Subject {
    Subject {
        kind: crate::audit::ACTION_KIND,
        id: a.id,
        plan_id: Some(a.plan_id),
    }
}
