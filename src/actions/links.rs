//! `linkActions` / `unlinkActions`: "see also" links between actions of one plan.
use entity::{action, action_link};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;

use super::change::{change_actions, unchanged, Changed, Effect};
use super::input::room_for;
use crate::audit::Writer;
use crate::auth::{Operation, Principal};
use crate::error::{AppError, AppResult};

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
                let max = crate::plans::MAX_LINKS;
                room_for("links", &from.code, before.len() as u64, max)?;
                let into = action_link::Entity::find()
                    .filter(action_link::Column::ToActionId.eq(to.id))
                    .count(db)
                    .await?;
                room_for("actions linking to it", &to.code, into, max)?;
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
