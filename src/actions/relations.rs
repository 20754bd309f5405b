//! Batch loaders for an action's relations: each takes the ids of a whole page and answers with
//! one statement (two for links), grouped by action id in the plan's order.
use std::collections::HashMap;

use entity::{
    action, action_descriptor, action_evidence, action_lead, action_link, action_reference,
    evidence_source, milestone, person, removal_proposal, source_reference, timescale_extension,
    workstream_move,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::ActionRow;
use crate::error::AppResult;

/// Groups rows by action id, keeping their order.
fn group<T>(rows: impl IntoIterator<Item = (i32, T)>) -> HashMap<i32, Vec<T>> {
    let mut map: HashMap<i32, Vec<T>> = HashMap::new();
    for (k, v) in rows {
        map.entry(k).or_default().push(v);
    }
    map
}

pub async fn leads_for<C: ConnectionTrait>(
    db: &C,
    action_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<person::Model>>> {
    let rows = action_lead::Entity::find()
        .find_also_related(person::Entity)
        .filter(action_lead::Column::ActionId.is_in(action_ids.iter().copied()))
        .order_by_asc(action_lead::Column::ActionId)
        .order_by_asc(action_lead::Column::Position)
        .all(db)
        .await?;
    Ok(group(
        rows.into_iter()
            .filter_map(|(l, p)| Some((l.action_id, p?))),
    ))
}

/// Lead people's ids per action, in the plan's order (the people themselves are in the plan's
/// catalogue).
pub async fn lead_ids_for<C: ConnectionTrait>(
    db: &C,
    action_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<i32>>> {
    let rows: Vec<(i32, i32)> = action_lead::Entity::find()
        .select_only()
        .column(action_lead::Column::ActionId)
        .column(action_lead::Column::PersonId)
        .filter(action_lead::Column::ActionId.is_in(action_ids.iter().copied()))
        .order_by_asc(action_lead::Column::ActionId)
        .order_by_asc(action_lead::Column::Position)
        .into_tuple()
        .all(db)
        .await?;
    Ok(group(rows))
}

/// Source references' ids per action, in the plan's order (see `lead_ids_for`).
pub async fn reference_ids_for<C: ConnectionTrait>(
    db: &C,
    action_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<i32>>> {
    let rows: Vec<(i32, i32)> = action_reference::Entity::find()
        .select_only()
        .column(action_reference::Column::ActionId)
        .column(action_reference::Column::ReferenceId)
        .filter(action_reference::Column::ActionId.is_in(action_ids.iter().copied()))
        .order_by_asc(action_reference::Column::ActionId)
        .order_by_asc(action_reference::Column::Position)
        .into_tuple()
        .all(db)
        .await?;
    Ok(group(rows))
}

pub async fn references_for<C: ConnectionTrait>(
    db: &C,
    action_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<source_reference::Model>>> {
    let rows = action_reference::Entity::find()
        .find_also_related(source_reference::Entity)
        .filter(action_reference::Column::ActionId.is_in(action_ids.iter().copied()))
        .order_by_asc(action_reference::Column::ActionId)
        .order_by_asc(action_reference::Column::Position)
        .all(db)
        .await?;
    Ok(group(
        rows.into_iter()
            .filter_map(|(l, r)| Some((l.action_id, r?))),
    ))
}

pub async fn evidence_for<C: ConnectionTrait>(
    db: &C,
    action_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<evidence_source::Model>>> {
    let rows = action_evidence::Entity::find()
        .find_also_related(evidence_source::Entity)
        .filter(action_evidence::Column::ActionId.is_in(action_ids.iter().copied()))
        .order_by_asc(action_evidence::Column::ActionId)
        .order_by_asc(action_evidence::Column::Position)
        .all(db)
        .await?;
    Ok(group(
        rows.into_iter()
            .filter_map(|(l, e)| Some((l.action_id, e?))),
    ))
}

pub async fn descriptors_for<C: ConnectionTrait>(
    db: &C,
    action_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<action_descriptor::Model>>> {
    let rows = action_descriptor::Entity::find()
        .filter(action_descriptor::Column::ActionId.is_in(action_ids.iter().copied()))
        .order_by_asc(action_descriptor::Column::ActionId)
        .order_by_asc(action_descriptor::Column::Position)
        .all(db)
        .await?;
    Ok(group(rows.into_iter().map(|d| (d.action_id, d))))
}

pub async fn milestones_for<C: ConnectionTrait>(
    db: &C,
    action_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<milestone::Model>>> {
    let rows = milestone::Entity::find()
        .filter(milestone::Column::ActionId.is_in(action_ids.iter().copied()))
        .order_by_asc(milestone::Column::ActionId)
        .order_by_asc(milestone::Column::Position)
        .all(db)
        .await?;
    Ok(group(rows.into_iter().map(|m| (m.action_id, m))))
}

pub async fn extensions_for<C: ConnectionTrait>(
    db: &C,
    action_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<timescale_extension::Model>>> {
    let rows = timescale_extension::Entity::find()
        .filter(timescale_extension::Column::ActionId.is_in(action_ids.iter().copied()))
        .order_by_asc(timescale_extension::Column::Id)
        .all(db)
        .await?;
    Ok(group(rows.into_iter().map(|m| (m.action_id, m))))
}

pub async fn moves_for<C: ConnectionTrait>(
    db: &C,
    action_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<workstream_move::Model>>> {
    let rows = workstream_move::Entity::find()
        .filter(workstream_move::Column::ActionId.is_in(action_ids.iter().copied()))
        .order_by_asc(workstream_move::Column::Id)
        .all(db)
        .await?;
    Ok(group(rows.into_iter().map(|m| (m.action_id, m))))
}

pub async fn removal_proposals_for<C: ConnectionTrait>(
    db: &C,
    action_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<removal_proposal::Model>>> {
    let rows = removal_proposal::Entity::find()
        .filter(removal_proposal::Column::ActionId.is_in(action_ids.iter().copied()))
        .order_by_asc(removal_proposal::Column::Id)
        .all(db)
        .await?;
    Ok(group(rows.into_iter().map(|m| (m.action_id, m))))
}

/// Direction of a link as seen from the action asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkDirection {
    /// Actions this one links to.
    Outgoing,
    /// Actions that link to this one.
    Incoming,
}

/// Linked actions, in plan order: two statements (links, then the actions they name).
pub async fn links_for<C: ConnectionTrait>(
    db: &C,
    action_ids: &[i32],
    direction: LinkDirection,
    visible: Condition,
) -> AppResult<HashMap<i32, Vec<ActionRow>>> {
    let this = match direction {
        LinkDirection::Outgoing => action_link::Column::FromActionId,
        LinkDirection::Incoming => action_link::Column::ToActionId,
    };
    let links = action_link::Entity::find()
        .filter(this.is_in(action_ids.iter().copied()))
        .all(db)
        .await?;
    if links.is_empty() {
        return Ok(HashMap::new());
    }
    let pick = |l: &action_link::Model| match direction {
        LinkDirection::Outgoing => (l.from_action_id, l.to_action_id),
        LinkDirection::Incoming => (l.to_action_id, l.from_action_id),
    };
    let targets: Vec<i32> = links.iter().map(|l| pick(l).1).collect();
    let actions: HashMap<i32, ActionRow> = action::Entity::find()
        .filter(action::Column::Id.is_in(targets))
        .filter(visible)
        .order_by_asc(action::Column::Position)
        .into_partial_model()
        .all(db)
        .await?
        .into_iter()
        .map(|a: ActionRow| (a.id, a))
        .collect();
    let mut out: HashMap<i32, Vec<ActionRow>> = HashMap::new();
    for l in &links {
        let (from, to) = pick(l);
        if let Some(a) = actions.get(&to) {
            out.entry(from).or_default().push(a.clone());
        }
    }
    for v in out.values_mut() {
        v.sort_by_key(|a| (a.position, a.id));
    }
    Ok(out)
}
