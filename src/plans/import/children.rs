//! An imported action's child rows, replaced from the file, and its event records (extensions,
//! moves, removal proposals), appended.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{removal_proposal, timescale_extension, workstream_move};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::catalogue_sync::Catalogue;
use super::format;
use super::{id_of, IMPORT_AUTHOR};
use crate::actions::{self, Children, DescriptorRow, NewMilestone};
use crate::error::AppResult;

/// Leads, references, evidence, descriptors and milestones are part of the action's content:
/// replaced wholesale from the file.
pub(super) async fn replace_children<C: ConnectionTrait>(
    db: &C,
    action_id: i32,
    a: &format::Action,
    cat: &Catalogue,
) -> AppResult<()> {
    let ids = |keys: &[String], of: &HashMap<String, i32>| -> AppResult<Vec<i32>> {
        keys.iter().map(|k| id_of(of, k.as_str())).collect()
    };
    let leads = ids(&a.leads, &cat.people)?;
    let references = ids(&a.references, &cat.references)?;
    let evidence = ids(&a.evidence, &cat.evidence)?;
    let descriptors: Vec<DescriptorRow> = a
        .ofsted
        .iter()
        .map(|d| DescriptorRow {
            code: d.code.clone(),
            area: d.area,
            raw: d.raw.clone(),
        })
        .collect();
    let milestones: Vec<NewMilestone> = a
        .milestones
        .iter()
        .map(|m| NewMilestone {
            label: m.label.clone(),
            due: m.due,
        })
        .collect();
    let children = Children {
        leads: Some(&leads),
        references: Some(&references),
        evidence: Some(&evidence),
        descriptors: Some(&descriptors),
        milestones: Some(&milestones),
    };
    actions::replace_children(db, action_id, children).await
}

/// Extensions, moves and removal proposals are events: appended when the file names one not yet
/// recorded (matched by its raw text), never edited or deleted.
pub(super) async fn append_records<C: ConnectionTrait>(
    db: &C,
    action_id: i32,
    a: &format::Action,
    cat: &Catalogue,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let known: HashSet<Option<String>> = timescale_extension::Entity::find()
        .filter(timescale_extension::Column::ActionId.eq(action_id))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.raw)
        .collect();
    let new = a
        .extensions
        .iter()
        .filter(|e| !known.contains(&Some(e.raw.clone())))
        .map(|e| timescale_extension::ActiveModel {
            action_id: Set(action_id),
            raw: Set(Some(e.raw.clone())),
            reason: Set(e.reason.clone()),
            agreed_on: Set(e.agreed_on),
            previous_due: Set(None),
            new_due: Set(e.new_due),
            recorded_at: Set(now),
            recorded_by: Set(IMPORT_AUTHOR.to_string()),
            ..Default::default()
        });
    timescale_extension::Entity::insert_many(new)
        .exec_without_returning(db)
        .await?;

    let known: HashSet<Option<String>> = workstream_move::Entity::find()
        .filter(workstream_move::Column::ActionId.eq(action_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.raw)
        .collect();
    let mut moves = Vec::new();
    for m in a
        .moves
        .iter()
        .filter(|m| !known.contains(&Some(m.raw.clone())))
    {
        moves.push(workstream_move::ActiveModel {
            action_id: Set(action_id),
            from_workstream_id: Set(Some(id_of(&cat.workstreams, m.from.as_str())?)),
            to_workstream_id: Set(id_of(&cat.workstreams, m.to.as_str())?),
            raw: Set(Some(m.raw.clone())),
            reason: Set(None),
            recorded_at: Set(now),
            recorded_by: Set(IMPORT_AUTHOR.to_string()),
            ..Default::default()
        });
    }
    workstream_move::Entity::insert_many(moves)
        .exec_without_returning(db)
        .await?;

    if let Some(p) = &a.removal_proposal {
        let exists = removal_proposal::Entity::find()
            .filter(removal_proposal::Column::ActionId.eq(action_id))
            .filter(removal_proposal::Column::Raw.eq(&p.raw))
            .one(db)
            .await?
            .is_some();
        if !exists {
            removal_proposal::ActiveModel {
                action_id: Set(action_id),
                raw: Set(p.raw.clone()),
                recorded_at: Set(now),
                recorded_by: Set(IMPORT_AUTHOR.to_string()),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}
