//! `updateAction`: changing the fields of an action, its child rows included.
use chrono::NaiveDate;
use entity::{timescale_extension, TextList};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde::Serialize;
use serde_json::json;

use super::change::{change_action, unchanged, Changed, Effect};
use super::children::{replace_children, Children};
use super::filter::{leads_named, reference_ids, theme_ids};
use super::input::{checked_milestones, descriptor_rows, text, texts};
use super::snapshot::{preview, snapshot};
use super::{due_date, search_text, NewMilestone};
use crate::audit::Writer;
use crate::auth::{Operation, Principal};
use crate::error::{AppError, AppResult};

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

/// The due date once `milestones` replace an action's, with the extensions agreed for it.
async fn due_with_extensions<C: ConnectionTrait>(
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
    Ok(due_date(milestones.iter().map(|m| m.due), extended))
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
                    let (ids, canonical) = leads_named(db, plan_id, codes).await?;
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
                        json!(rows.iter().map(|r| r.code.clone()).collect::<Vec<_>>()),
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
                    next.due_date = Set(due_with_extensions(db, current.id, &ms).await?);
                    Some(ms)
                }
                None => None,
            };
            let children = Children {
                leads: leads.as_deref(),
                references: references.as_deref(),
                evidence: None,
                descriptors: descriptors.as_deref(),
                milestones: milestones.as_deref(),
            };
            replace_children(db, current.id, children).await?;
            // `next` starts as the current row, so it holds every field, changed or not.
            next.search_text = Set(search_text(
                next.objective.as_ref(),
                next.objective_items.as_ref(),
                next.outcomes.as_ref(),
            ));
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
