//! Replacing an action's child rows (leads, references, evidence sources, Ofsted descriptors,
//! milestones), for the API's writes and the importer alike.
use entity::{
    action_descriptor, action_evidence, action_lead, action_reference, milestone, OfstedArea,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::NewMilestone;
use crate::error::AppResult;

/// An Ofsted descriptor as stored: the normalised code, its area, and the text as written.
#[derive(Debug, Clone)]
pub struct DescriptorRow {
    pub code: String,
    pub area: OfstedArea,
    pub raw: String,
}

/// The child rows to write for an action, each list in order (a row's position is its index);
/// `None` leaves that kind as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct Children<'a> {
    /// Person ids.
    pub leads: Option<&'a [i32]>,
    /// Source reference ids.
    pub references: Option<&'a [i32]>,
    /// Evidence source ids.
    pub evidence: Option<&'a [i32]>,
    pub descriptors: Option<&'a [DescriptorRow]>,
    pub milestones: Option<&'a [NewMilestone]>,
}

/// Replaces the kinds of an action's child rows that `children` gives: one delete per kind,
/// and one insert per kind that has rows.
pub async fn replace_children<C: ConnectionTrait>(
    db: &C,
    action_id: i32,
    children: Children<'_>,
) -> AppResult<()> {
    replace(
        db,
        action_lead::Column::ActionId,
        action_id,
        children.leads,
        |position, id| action_lead::ActiveModel {
            action_id: Set(action_id),
            person_id: Set(*id),
            position: Set(position),
        },
    )
    .await?;
    replace(
        db,
        action_reference::Column::ActionId,
        action_id,
        children.references,
        |position, id| action_reference::ActiveModel {
            action_id: Set(action_id),
            reference_id: Set(*id),
            position: Set(position),
        },
    )
    .await?;
    replace(
        db,
        action_evidence::Column::ActionId,
        action_id,
        children.evidence,
        |position, id| action_evidence::ActiveModel {
            action_id: Set(action_id),
            evidence_source_id: Set(*id),
            position: Set(position),
        },
    )
    .await?;
    replace(
        db,
        action_descriptor::Column::ActionId,
        action_id,
        children.descriptors,
        |position, d| action_descriptor::ActiveModel {
            action_id: Set(action_id),
            position: Set(position),
            code: Set(d.code.clone()),
            area: Set(d.area),
            raw: Set(d.raw.clone()),
            ..Default::default()
        },
    )
    .await?;
    replace(
        db,
        milestone::Column::ActionId,
        action_id,
        children.milestones,
        |position, m| milestone::ActiveModel {
            action_id: Set(action_id),
            position: Set(position),
            label: Set(m.label.clone()),
            due: Set(m.due),
            ..Default::default()
        },
    )
    .await
}

/// Deletes an action's rows of one kind, then inserts one `row` per item, its position its index
/// (no insert when there are none). Nothing happens when `items` is `None`.
async fn replace<C, A, T>(
    db: &C,
    action_column: <A::Entity as EntityTrait>::Column,
    action_id: i32,
    items: Option<&[T]>,
    row: impl Fn(i32, &T) -> A,
) -> AppResult<()>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + Send,
{
    let Some(items) = items else {
        return Ok(());
    };
    let rows: Vec<A> = items
        .iter()
        .zip(0..)
        .map(|(item, i)| row(i, item))
        .collect();
    A::Entity::delete_many()
        .filter(action_column.eq(action_id))
        .exec(db)
        .await?;
    A::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}
