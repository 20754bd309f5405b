//! Changing actions: editing, creating, moving between work streams, extending deadlines,
//! retiring and reinstating, linking, and adding evidence. Who may do which is decided by
//! `auth::policy`; the rules of each change live here.
use chrono::NaiveDate;
use entity::{
    action, action_descriptor, action_lead, action_link, action_reference, action_state_change,
    evidence_record, milestone, plan, rag_update, timescale_extension, workstream_move, TextList,
};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;

use super::change::{
    change_action, change_actions, reload, unchanged, Changed, ChangedIds, Effect,
};
use super::filter::{normalise_descriptor, person_ids, reference_ids, theme_ids, workstream_ids};
use super::{LifecycleState, OfstedArea};
use crate::audit::{Begun, Subject, Writer};
use crate::auth::{Operation, Principal};
use crate::error::{AppError, AppResult};
use crate::plans::{import::search_text, query};
use crate::rag::{self, RagStatus, API_SOURCE};

/// Longest single text field (objective, item, reason) accepted.
pub const MAX_TEXT_LEN: usize = 10_000;
/// Longest action code (`2.1 (a)`).
pub const MAX_CODE_LEN: usize = 32;

/// A milestone as clients send it.
#[derive(Debug, Clone, Serialize)]
pub struct NewMilestone {
    pub label: String,
    pub due: Option<NaiveDate>,
}

/// Fields of an action to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ActionEdit {
    pub action_id: i32,
    pub expected_version: Option<i32>,
    pub objective: Option<String>,
    pub objective_items: Option<Vec<String>>,
    pub outcomes: Option<Vec<String>>,
    pub theme: Option<i32>,
    pub leads: Option<Vec<String>>,
    pub references: Option<Vec<String>>,
    pub descriptors: Option<Vec<String>>,
    pub by_when: Option<String>,
    pub milestones: Option<Vec<NewMilestone>>,
}

impl ActionEdit {
    /// Milestones ("by when") are the only fields leads may change.
    fn operation(&self) -> Operation {
        let other = self.objective.is_some()
            || self.objective_items.is_some()
            || self.outcomes.is_some()
            || self.theme.is_some()
            || self.leads.is_some()
            || self.references.is_some()
            || self.descriptors.is_some();
        if other {
            Operation::EditAction
        } else {
            Operation::EditMilestones
        }
    }

    fn is_empty(&self) -> bool {
        self.operation() == Operation::EditMilestones
            && self.by_when.is_none()
            && self.milestones.is_none()
    }
}

fn text(field: &str, value: &str) -> AppResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::bad_input(format!("`{field}` must not be empty")));
    }
    if v.chars().count() > MAX_TEXT_LEN {
        return Err(AppError::bad_input(format!(
            "`{field}` is longer than {MAX_TEXT_LEN} characters"
        )));
    }
    Ok(v.to_string())
}

fn optional_text(field: &str, value: Option<&str>) -> AppResult<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => text(field, v).map(Some),
    }
}

fn texts(field: &str, values: &[String]) -> AppResult<Vec<String>> {
    values.iter().map(|v| text(field, v)).collect()
}

/// Refuses a date after `today` (in England): records say what happened, not what will.
fn not_future(field: &str, d: NaiveDate, today: NaiveDate) -> AppResult<()> {
    if d > today {
        return Err(AppError::bad_input(format!(
            "`{field}` {d} is in the future"
        )));
    }
    Ok(())
}

/// What the audit trail keeps of an action's own columns.
pub fn snapshot(a: &action::Model) -> serde_json::Value {
    json!({
        "code": a.code,
        "themeId": a.theme_id,
        "workstreamId": a.workstream_id,
        "objective": a.objective,
        "objectiveItems": a.objective_items,
        "outcomes": a.outcomes,
        "byWhen": a.by_when,
        "leadText": a.lead_text,
        "dueDate": a.due_date,
        "rag": { "status": a.rag_status, "note": a.rag_note, "effectiveDate": a.rag_effective_date },
        "state": a.state,
        "removedReason": a.removed_reason,
        "version": a.version,
    })
}

/// Normalised descriptor rows (code, area, raw) for an action.
fn descriptor_rows(raw: &[String]) -> AppResult<Vec<(String, OfstedArea, String)>> {
    raw.iter()
        .map(|r| match normalise_descriptor(r) {
            Some(Ok(code)) => {
                let area = OfstedArea::parse(
                    code.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.'),
                )
                .ok_or_else(|| AppError::Internal("BUG: normalised code without area".into()))?;
                Ok((code, area, r.trim().to_string()))
            }
            Some(Err(area)) => Ok((area.as_str().to_string(), area, r.trim().to_string())),
            None => Err(AppError::bad_input(format!(
                "{r:?} is not an Ofsted descriptor code (like QP3.7 or 3.7) or area (OE, EHP, QP, LG)"
            ))),
        })
        .collect()
}

fn checked_milestones(ms: &[NewMilestone]) -> AppResult<Vec<NewMilestone>> {
    ms.iter()
        .map(|m| {
            Ok(NewMilestone {
                label: text("milestones.label", &m.label)?,
                due: m.due,
            })
        })
        .collect()
}

/// The latest milestone or agreed extension date: what `dueDate` filters and overdue use.
async fn due_date<C: ConnectionTrait>(
    db: &C,
    action_id: i32,
    milestones: &[NewMilestone],
) -> AppResult<Option<NaiveDate>> {
    let extended: Vec<Option<NaiveDate>> = timescale_extension::Entity::find()
        .select_only()
        .column(timescale_extension::Column::NewDue)
        .filter(timescale_extension::Column::ActionId.eq(action_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(milestones
        .iter()
        .filter_map(|m| m.due)
        .chain(extended.into_iter().flatten())
        .max())
}

/// Replaces an action's leads, references, descriptors and/or milestones.
async fn replace_children<C: ConnectionTrait>(
    db: &C,
    action_id: i32,
    leads: Option<&[i32]>,
    references: Option<&[i32]>,
    descriptors: Option<&[(String, OfstedArea, String)]>,
    milestones: Option<&[NewMilestone]>,
) -> AppResult<()> {
    if let Some(ids) = leads {
        action_lead::Entity::delete_many()
            .filter(action_lead::Column::ActionId.eq(action_id))
            .exec(db)
            .await?;
        if !ids.is_empty() {
            action_lead::Entity::insert_many(ids.iter().enumerate().map(|(i, id)| {
                action_lead::ActiveModel {
                    action_id: Set(action_id),
                    person_id: Set(*id),
                    position: Set(i as i32),
                }
            }))
            .exec(db)
            .await?;
        }
    }
    if let Some(ids) = references {
        action_reference::Entity::delete_many()
            .filter(action_reference::Column::ActionId.eq(action_id))
            .exec(db)
            .await?;
        if !ids.is_empty() {
            action_reference::Entity::insert_many(ids.iter().enumerate().map(|(i, id)| {
                action_reference::ActiveModel {
                    action_id: Set(action_id),
                    reference_id: Set(*id),
                    position: Set(i as i32),
                }
            }))
            .exec(db)
            .await?;
        }
    }
    if let Some(rows) = descriptors {
        action_descriptor::Entity::delete_many()
            .filter(action_descriptor::Column::ActionId.eq(action_id))
            .exec(db)
            .await?;
        if !rows.is_empty() {
            action_descriptor::Entity::insert_many(rows.iter().enumerate().map(
                |(i, (code, area, raw))| action_descriptor::ActiveModel {
                    action_id: Set(action_id),
                    position: Set(i as i32),
                    code: Set(code.clone()),
                    area: Set(*area),
                    raw: Set(raw.clone()),
                    ..Default::default()
                },
            ))
            .exec(db)
            .await?;
        }
    }
    if let Some(ms) = milestones {
        milestone::Entity::delete_many()
            .filter(milestone::Column::ActionId.eq(action_id))
            .exec(db)
            .await?;
        if !ms.is_empty() {
            milestone::Entity::insert_many(ms.iter().enumerate().map(|(i, m)| {
                milestone::ActiveModel {
                    action_id: Set(action_id),
                    position: Set(i as i32),
                    label: Set(m.label.clone()),
                    due: Set(m.due),
                    ..Default::default()
                }
            }))
            .exec(db)
            .await?;
        }
    }
    Ok(())
}

/// Canonical person codes of the given ids, in order (`J.Rez` was resolved to `JRez`).
async fn lead_codes<C: ConnectionTrait>(
    db: &C,
    plan_id: i32,
    ids: &[i32],
) -> AppResult<Vec<String>> {
    let people = query::people(db, plan_id).await?;
    Ok(ids
        .iter()
        .filter_map(|id| people.iter().find(|p| p.id == *id).map(|p| p.code.clone()))
        .collect())
}

/// `updateAction`: changes the given fields. Leads may change milestones only.
pub async fn update(
    w: &Writer,
    who: &Principal,
    edit: ActionEdit,
    key: Option<&str>,
) -> AppResult<Changed> {
    if edit.is_empty() {
        return Err(AppError::bad_input(
            "nothing to change: give at least one field besides `actionId`",
        ));
    }
    let op = edit.operation();
    change_action(
        w,
        who,
        op,
        key,
        &edit,
        edit.action_id,
        edit.expected_version,
        async |ch, current| {
            let db = ch.txn();
            let plan_id = current.plan_id;
            let mut next = unchanged(current);
            let mut before = snapshot(current);
            let mut after_extra = serde_json::Map::new();
            if let Some(o) = &edit.objective {
                next.objective = Set(text("objective", o)?);
            }
            if let Some(items) = &edit.objective_items {
                next.objective_items = Set(TextList(texts("objectiveItems", items)?));
            }
            if let Some(items) = &edit.outcomes {
                next.outcomes = Set(TextList(texts("outcomes", items)?));
            }
            if let Some(n) = edit.theme {
                next.theme_id = Set(theme_ids(db, plan_id, &[n]).await?[0]);
            }
            if let Some(b) = &edit.by_when {
                next.by_when = Set(text("byWhen", b)?);
            }
            let leads = match &edit.leads {
                Some(codes) => {
                    let ids = person_ids(db, plan_id, codes).await?;
                    let canonical = lead_codes(db, plan_id, &ids).await?;
                    next.lead_text = Set(canonical.join(", "));
                    let old = super::leads_for(db, &[current.id]).await?;
                    before["leads"] = json!(old
                        .get(&current.id)
                        .map(|v| v.iter().map(|p| p.code.clone()).collect::<Vec<_>>())
                        .unwrap_or_default());
                    after_extra.insert("leads".into(), json!(canonical));
                    Some(ids)
                }
                None => None,
            };
            let references = match &edit.references {
                Some(codes) => {
                    let ids = reference_ids(db, plan_id, codes).await?;
                    let old = super::references_for(db, &[current.id]).await?;
                    before["references"] = json!(old
                        .get(&current.id)
                        .map(|v| v.iter().map(|r| r.code.clone()).collect::<Vec<_>>())
                        .unwrap_or_default());
                    after_extra.insert("references".into(), json!(codes));
                    Some(ids)
                }
                None => None,
            };
            let descriptors = match &edit.descriptors {
                Some(raw) => {
                    let rows = descriptor_rows(raw)?;
                    let old = super::descriptors_for(db, &[current.id]).await?;
                    before["descriptors"] = json!(old
                        .get(&current.id)
                        .map(|v| v.iter().map(|d| d.code.clone()).collect::<Vec<_>>())
                        .unwrap_or_default());
                    after_extra.insert(
                        "descriptors".into(),
                        json!(rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>()),
                    );
                    Some(rows)
                }
                None => None,
            };
            let milestones = match &edit.milestones {
                Some(ms) => {
                    let ms = checked_milestones(ms)?;
                    let old = super::milestones_for(db, &[current.id]).await?;
                    before["milestones"] = json!(old
                        .get(&current.id)
                        .map(|v| v
                            .iter()
                            .map(|m| json!({ "label": m.label, "due": m.due }))
                            .collect::<Vec<_>>())
                        .unwrap_or_default());
                    after_extra.insert("milestones".into(), json!(ms));
                    next.due_date = Set(due_date(db, current.id, &ms).await?);
                    Some(ms)
                }
                None => None,
            };
            replace_children(
                db,
                current.id,
                leads.as_deref(),
                references.as_deref(),
                descriptors.as_deref(),
                milestones.as_deref(),
            )
            .await?;
            let objective = match &next.objective {
                sea_orm::ActiveValue::Set(v) | sea_orm::ActiveValue::Unchanged(v) => v.clone(),
                sea_orm::ActiveValue::NotSet => current.objective.clone(),
            };
            let items = next.objective_items.as_ref();
            let outcomes = next.outcomes.as_ref();
            next.search_text = Set(search_text(&objective, items, outcomes));
            let mut after = snapshot(&preview(current, &next));
            for (k, v) in after_extra {
                after[k] = v;
            }
            Ok(Effect {
                action: next,
                appended: (),
                before,
                after,
            })
        },
    )
    .await
}

/// The action as it will be once `next` is saved (for the audit event's "after").
fn preview(current: &action::Model, next: &action::ActiveModel) -> action::Model {
    let mut m = current.clone();
    macro_rules! take {
        ($($f:ident),*) => {$(
            if let sea_orm::ActiveValue::Set(v) = &next.$f {
                m.$f = v.clone();
            }
        )*};
    }
    take!(
        objective,
        objective_items,
        outcomes,
        theme_id,
        workstream_id,
        by_when,
        lead_text,
        due_date,
        state,
        removed_reason
    );
    m.version = current.version + 1;
    m
}

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
    let leads = person_ids(db, plan.id, &input.leads).await?;
    let references = reference_ids(db, plan.id, &input.references).await?;
    let descriptors = descriptor_rows(&input.descriptors)?;
    let milestones = checked_milestones(&input.milestones)?;
    let status = input.status.unwrap_or(RagStatus::Grey);
    let note = rag::clean_note(optional_text("note", input.note.as_deref())?.as_deref())?;
    rag::require_note(None, None, status, note.as_deref())?;
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
        lead_text: Set(lead_codes(db, plan.id, &leads).await?.join(", ")),
        due_date: Set(milestones.iter().filter_map(|m| m.due).max()),
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
    replace_children(
        db,
        created.id,
        Some(&leads),
        Some(&references),
        Some(&descriptors),
        Some(&milestones),
    )
    .await?;
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
    after["leads"] = json!(lead_codes(db, plan.id, &leads).await?);
    after["references"] = json!(input.references);
    after["descriptors"] = json!(descriptors.iter().map(|d| d.0.clone()).collect::<Vec<_>>());
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

/// `moveAction`: to another work stream of its plan, with the move recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Move {
    pub action_id: i32,
    pub workstream: String,
    pub reason: Option<String>,
    pub expected_version: Option<i32>,
}

pub async fn move_to(
    w: &Writer,
    who: &Principal,
    m: Move,
    key: Option<&str>,
) -> AppResult<Changed<workstream_move::Model>> {
    change_action(
        w,
        who,
        Operation::MoveAction,
        key,
        &m,
        m.action_id,
        m.expected_version,
        async |ch, current| {
            let db = ch.txn();
            let to =
                workstream_ids(db, current.plan_id, std::slice::from_ref(&m.workstream)).await?[0];
            if to == current.workstream_id {
                return Err(AppError::bad_input(format!(
                    "action {} is already in work stream {}",
                    current.code, m.workstream
                )));
            }
            let reason = optional_text("reason", m.reason.as_deref())?;
            let moved = workstream_move::ActiveModel {
                action_id: Set(current.id),
                from_workstream_id: Set(Some(current.workstream_id)),
                to_workstream_id: Set(to),
                raw: Set(None),
                reason: Set(reason),
                recorded_at: Set(ch.now()),
                recorded_by: Set(ch.actor().display().to_string()),
                ..Default::default()
            }
            .insert(db)
            .await?;
            let mut next = unchanged(current);
            next.workstream_id = Set(to);
            Ok(Effect {
                after: snapshot(&preview(current, &next)),
                before: snapshot(current),
                action: next,
                appended: moved,
            })
        },
    )
    .await
}

/// `extendDeadline`: a new due date agreed for an action; the old one is kept in the record.
#[derive(Debug, Clone, Serialize)]
pub struct Extension {
    pub action_id: i32,
    pub new_due: NaiveDate,
    pub reason: String,
    pub agreed_on: Option<NaiveDate>,
    pub expected_version: Option<i32>,
}

pub async fn extend(
    w: &Writer,
    who: &Principal,
    e: Extension,
    key: Option<&str>,
) -> AppResult<Changed<timescale_extension::Model>> {
    change_action(
        w,
        who,
        Operation::ExtendDeadline,
        key,
        &e,
        e.action_id,
        e.expected_version,
        async |ch, current| {
            let reason = text("reason", &e.reason)?;
            if let Some(d) = e.agreed_on {
                not_future("agreedOn", d, ch.today())?;
            }
            if let Some(due) = current.due_date {
                if e.new_due <= due {
                    return Err(AppError::bad_input(format!(
                        "action {} is due {due}; an extension must move the date later, not to {}",
                        current.code, e.new_due
                    )));
                }
            }
            let ext = timescale_extension::ActiveModel {
                action_id: Set(current.id),
                raw: Set(None),
                reason: Set(Some(reason)),
                agreed_on: Set(e.agreed_on.or(Some(ch.today()))),
                previous_due: Set(current.due_date),
                new_due: Set(Some(e.new_due)),
                recorded_at: Set(ch.now()),
                recorded_by: Set(ch.actor().display().to_string()),
                ..Default::default()
            }
            .insert(ch.txn())
            .await?;
            let mut next = unchanged(current);
            next.due_date = Set(Some(e.new_due));
            Ok(Effect {
                after: snapshot(&preview(current, &next)),
                before: snapshot(current),
                action: next,
                appended: ext,
            })
        },
    )
    .await
}

/// `retireAction` / `reinstateAction`: an action leaves the plan (it stays readable as
/// REMOVED) or comes back, always with a reason.
#[derive(Debug, Clone, Serialize)]
pub struct Lifecycle {
    pub action_id: i32,
    pub reason: String,
    pub expected_version: Option<i32>,
}

pub async fn retire(
    w: &Writer,
    who: &Principal,
    l: Lifecycle,
    key: Option<&str>,
) -> AppResult<Changed> {
    set_state(w, who, Operation::RetireAction, l, key).await
}

pub async fn reinstate(
    w: &Writer,
    who: &Principal,
    l: Lifecycle,
    key: Option<&str>,
) -> AppResult<Changed> {
    set_state(w, who, Operation::ReinstateAction, l, key).await
}

/// Appends a change of an action's lifecycle state (what `asOf` counts read).
pub async fn record_state<C: ConnectionTrait>(
    db: &C,
    action_id: i32,
    state: LifecycleState,
    effective: NaiveDate,
    reason: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
    by: &str,
) -> AppResult<()> {
    action_state_change::ActiveModel {
        action_id: Set(action_id),
        state: Set(state),
        effective_date: Set(effective),
        reason: Set(reason),
        recorded_at: Set(now),
        recorded_by: Set(by.to_string()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

async fn set_state(
    w: &Writer,
    who: &Principal,
    op: Operation,
    l: Lifecycle,
    key: Option<&str>,
) -> AppResult<Changed> {
    let retiring = op == Operation::RetireAction;
    change_action(
        w,
        who,
        op,
        key,
        &l,
        l.action_id,
        l.expected_version,
        async |ch, current| {
            let reason = text("reason", &l.reason)?;
            let removed = current.state == LifecycleState::Removed;
            if retiring == removed {
                return Err(AppError::bad_input(format!(
                    "action {} is already {}",
                    current.code,
                    if removed { "removed" } else { "active" }
                )));
            }
            let state = if retiring {
                LifecycleState::Removed
            } else {
                LifecycleState::Active
            };
            record_state(
                ch.txn(),
                current.id,
                state,
                ch.today(),
                Some(reason.clone()),
                ch.now(),
                ch.actor().display(),
            )
            .await?;
            let mut next = unchanged(current);
            if retiring {
                next.state = Set(LifecycleState::Removed);
                next.removed_reason = Set(Some(reason.clone()));
            } else {
                next.state = Set(LifecycleState::Active);
                next.removed_reason = Set(None);
            }
            let mut after = snapshot(&preview(current, &next));
            after["reason"] = json!(reason);
            Ok(Effect {
                before: snapshot(current),
                after,
                action: next,
                appended: (),
            })
        },
    )
    .await
}

/// `linkActions` / `unlinkActions`: "see also" links between actions of one plan.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub from_id: i32,
    pub to_id: i32,
    pub expected_version: Option<i32>,
}

pub async fn link(
    w: &Writer,
    who: &Principal,
    l: Link,
    key: Option<&str>,
) -> AppResult<Changed<action::Model>> {
    relink(w, who, Operation::LinkActions, l, key).await
}

pub async fn unlink(
    w: &Writer,
    who: &Principal,
    l: Link,
    key: Option<&str>,
) -> AppResult<Changed<action::Model>> {
    relink(w, who, Operation::UnlinkActions, l, key).await
}

async fn linked_codes<C: ConnectionTrait>(db: &C, from: i32) -> AppResult<Vec<String>> {
    let ids: Vec<i32> = action_link::Entity::find()
        .select_only()
        .column(action_link::Column::ToActionId)
        .filter(action_link::Column::FromActionId.eq(from))
        .into_tuple()
        .all(db)
        .await?;
    Ok(action::Entity::find()
        .select_only()
        .column(action::Column::Code)
        .filter(action::Column::Id.is_in(ids))
        .order_by_asc(action::Column::Position)
        .into_tuple()
        .all(db)
        .await?)
}

async fn relink(
    w: &Writer,
    who: &Principal,
    op: Operation,
    l: Link,
    key: Option<&str>,
) -> AppResult<Changed<action::Model>> {
    let linking = op == Operation::LinkActions;
    change_actions(
        w,
        who,
        op,
        key,
        &l,
        &[l.from_id, l.to_id],
        l.expected_version,
        async |ch, from| {
            let to = super::for_change(ch, op, l.to_id).await?;
            if to.id == from.id {
                return Err(AppError::bad_input("an action cannot link to itself"));
            }
            if to.plan_id != from.plan_id {
                return Err(AppError::bad_input("links join actions of the same plan"));
            }
            let db = ch.txn();
            let before = linked_codes(db, from.id).await?;
            let exists = before.contains(&to.code);
            if linking && exists {
                return Err(AppError::bad_input(format!(
                    "action {} already links to {}",
                    from.code, to.code
                )));
            }
            if !linking && !exists {
                return Err(AppError::bad_input(format!(
                    "action {} does not link to {}",
                    from.code, to.code
                )));
            }
            if linking {
                action_link::ActiveModel {
                    from_action_id: Set(from.id),
                    to_action_id: Set(to.id),
                }
                .insert(db)
                .await?;
            } else {
                action_link::Entity::delete_many()
                    .filter(action_link::Column::FromActionId.eq(from.id))
                    .filter(action_link::Column::ToActionId.eq(to.id))
                    .exec(db)
                    .await?;
            }
            let after = linked_codes(db, from.id).await?;
            Ok(Effect {
                action: unchanged(from),
                appended: to,
                before: json!({ "code": from.code, "version": from.version, "links": before }),
                after: json!({ "code": from.code, "version": from.version + 1, "links": after }),
            })
        },
    )
    .await
}

/// `addEvidence`: what shows progress, where it is, and its date.
#[derive(Debug, Clone, Serialize)]
pub struct NewEvidence {
    pub action_id: i32,
    pub what: String,
    pub source: Option<String>,
    pub reference: Option<String>,
    pub dated: Option<NaiveDate>,
    pub expected_version: Option<i32>,
}

pub async fn add_evidence(
    w: &Writer,
    who: &Principal,
    e: NewEvidence,
    key: Option<&str>,
) -> AppResult<Changed<evidence_record::Model>> {
    change_action(
        w,
        who,
        Operation::AddEvidence,
        key,
        &e,
        e.action_id,
        e.expected_version,
        async |ch, current| {
            let what = text("what", &e.what)?;
            let source = optional_text("source", e.source.as_deref())?;
            let reference = optional_text("reference", e.reference.as_deref())?;
            if let Some(d) = e.dated {
                not_future("date", d, ch.today())?;
            }
            let rec = evidence_record::ActiveModel {
                action_id: Set(current.id),
                what: Set(what),
                source: Set(source),
                reference: Set(reference),
                dated: Set(e.dated),
                recorded_at: Set(ch.now()),
                recorded_by: Set(ch.actor().display().to_string()),
                ..Default::default()
            }
            .insert(ch.txn())
            .await?;
            Ok(Effect {
                action: unchanged(current),
                before: json!({ "code": current.code, "version": current.version }),
                after: json!({
                    "code": current.code,
                    "version": current.version + 1,
                    "evidence": {
                        "id": rec.id, "what": rec.what, "source": rec.source,
                        "reference": rec.reference, "date": rec.dated,
                    },
                }),
                appended: rec,
            })
        },
    )
    .await
}

/// Evidence submitted for actions, oldest first.
pub async fn evidence_records_for<C: ConnectionTrait>(
    db: &C,
    action_ids: &[i32],
) -> AppResult<std::collections::HashMap<i32, Vec<evidence_record::Model>>> {
    let rows = evidence_record::Entity::find()
        .filter(evidence_record::Column::ActionId.is_in(action_ids.iter().copied()))
        .order_by_asc(evidence_record::Column::ActionId)
        .order_by_asc(evidence_record::Column::Id)
        .all(db)
        .await?;
    let mut map: std::collections::HashMap<i32, Vec<evidence_record::Model>> =
        std::collections::HashMap::new();
    for r in rows {
        map.entry(r.action_id).or_default().push(r);
    }
    Ok(map)
}
