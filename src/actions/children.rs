//! Replacing an action's child rows (leads, references, Ofsted descriptors, milestones) and
//! naming its leads.
use entity::{action_descriptor, action_lead, action_reference, milestone};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::{NewMilestone, OfstedArea};
use crate::error::AppResult;
use crate::plans::query;

/// Replaces an action's leads, references, descriptors and/or milestones.
pub(super) async fn replace_children<C: ConnectionTrait>(
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
pub(super) async fn lead_codes<C: ConnectionTrait>(
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
