//! `moveAction`: moving an action to another work stream of its plan.
use entity::workstream_move;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde::Serialize;

use super::change::{change_action, unchanged, Changed, Effect};
use super::filter::workstream_ids;
use super::input::{optional_text, room_for};
use super::snapshot::{preview, snapshot};
use crate::audit::Writer;
use crate::auth::{Operation, Principal};
use crate::error::{AppError, AppResult};

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
            let have = workstream_move::Entity::find()
                .filter(workstream_move::Column::ActionId.eq(current.id))
                .count(db)
                .await?;
            room_for("moves", &current.code, have, crate::plans::MAX_ITEMS)?;
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
